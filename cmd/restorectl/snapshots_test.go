package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// snapshotRow is one element of `snapshots --json`.
type snapshotRow struct {
	Project         string `json:"project"`
	Key             string `json:"key"`
	Time            string `json:"time"`
	Size            int64  `json:"size"`
	VersionID       string `json:"version_id"`
	IsLatest        bool   `json:"is_latest"`
	Indexed         bool   `json:"indexed"`
	Position        string `json:"position"`
	DistanceSeconds int64  `json:"distance_seconds"`
}

func snapshotsJSON(t *testing.T, environ map[string]string, args ...string) []snapshotRow {
	t.Helper()
	stdout, stderr, code := runCLI(t, environ, append([]string{"snapshots", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("snapshots %q: exit %d: %s", args, code, stderr)
	}
	var rows []snapshotRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("snapshots --json printed %q: %v", stdout, err)
	}
	return rows
}

// checkNearestOrder checks that rows are ordered by distance from near,
// before first at equal distance, and that each row's position, distance
// and time agree.
func checkNearestOrder(t *testing.T, rows []snapshotRow, near time.Time) {
	t.Helper()
	abs := func(n int64) int64 { return max(n, -n) }
	for i, r := range rows {
		ts, err := time.Parse(time.RFC3339, r.Time)
		if err != nil {
			t.Fatalf("row %d: time %q is not RFC 3339", i, r.Time)
		}
		if want := int64(ts.Sub(near) / time.Second); r.DistanceSeconds != want {
			t.Fatalf("row %d (%s): distance %d s, want %d s", i, r.Key, r.DistanceSeconds, want)
		}
		want := map[bool]string{true: "before", false: "after"}[r.DistanceSeconds < 0]
		if r.DistanceSeconds == 0 {
			want = "at"
		}
		if r.Position != want {
			t.Fatalf("row %d (%s): position %q, want %q", i, r.Key, r.Position, want)
		}
		if i == 0 {
			continue
		}
		prev := rows[i-1]
		if d, p := abs(r.DistanceSeconds), abs(prev.DistanceSeconds); d < p || (d == p && prev.DistanceSeconds > r.DistanceSeconds) {
			t.Fatalf("row %d (%s, %d s) listed after row %d (%s, %d s)", i, r.Key, r.DistanceSeconds, i-1, prev.Key, prev.DistanceSeconds)
		}
	}
}

// TestSnapshotsManyLocal lists 2,500 snapshots of a project, some indexed,
// among objects that are not its snapshots: every snapshot is listed once,
// nearest first, with its index flag, and quickly.
func TestSnapshotsManyLocal(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	write := func(key string, body string) {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const n = 2500
	indexed := make(map[string]bool)
	for i := range n {
		key := catalog.SnapshotKey("p", base.Add(-time.Duration(i)*time.Hour))
		write(key, strings.Repeat("x", i%300))
		if i%7 == 0 {
			write(key+catalog.IndexSuffix, "{}")
			indexed[key] = true
		}
	}
	// Other tools' key formats count; everything else does not.
	rfcKey := "p/" + base.Add(-1000*time.Hour+30*time.Minute).Format(time.RFC3339) + ".sql.gz"
	unixKey := "p/" + strconv.FormatInt(base.Add(-1000*time.Hour-20*time.Minute).Unix(), 10) + ".sql.gz"
	write(rfcKey, "rfc")
	write(unixKey+catalog.IndexSuffix, "{}")
	write(unixKey, "unix")
	indexed[unixKey] = true
	for _, k := range []string{
		"p/pre-restore/" + base.Format(catalog.TimestampLayout) + ".sql.gz",
		"p/audit/" + base.Format(catalog.TimestampLayout) + ".sql.gz",
		"p/." + base.Format(catalog.TimestampLayout) + ".sql.gz.partial-1",
		"p/20261120.sql.gz",
		"p/notes.txt",
		catalog.SnapshotKey("q", base),
	} {
		write(k, "not a snapshot of p")
	}

	near := base.Add(-1000 * time.Hour)
	start := time.Now()
	rows := snapshotsJSON(t, nil, "--store", dir, "--project", "p", "--near", near.Format(time.RFC3339))
	elapsed := time.Since(start)
	t.Logf("listed %d snapshots in %v", len(rows), elapsed)
	if elapsed > 5*time.Second {
		t.Errorf("listing %d snapshots took %v", len(rows), elapsed)
	}
	if len(rows) != n+2 {
		t.Fatalf("listed %d snapshots, want %d", len(rows), n+2)
	}
	checkNearestOrder(t, rows, near)
	seen := make(map[string]bool)
	for _, r := range rows {
		if seen[r.Key] {
			t.Fatalf("%s listed twice", r.Key)
		}
		seen[r.Key] = true
		if r.Project != "p" || !r.IsLatest || r.VersionID != "" || r.Indexed != indexed[r.Key] {
			t.Errorf("row %+v: want project p, latest, no version id, indexed=%v", r, indexed[r.Key])
		}
	}
	wantFirst := []string{catalog.SnapshotKey("p", near), unixKey, rfcKey}
	for i, k := range wantFirst {
		if rows[i].Key != k {
			t.Errorf("row %d is %s, want %s", i, rows[i].Key, k)
		}
	}
	if rows[0].Position != "at" || rows[1].Position != "before" || rows[2].Position != "after" || rows[1].DistanceSeconds != -1200 {
		t.Errorf("first rows %+v", rows[:3])
	}
}

// The table shows times in --tz, which also applies to --near, and marks
// each snapshot before or after it with its distance.
func TestSnapshotsTable(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	dir := t.TempDir()
	s, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	for _, ts := range []time.Time{at(19, 12), at(20, 12), at(20, 18)} {
		storetest.Put(t, s, catalog.SnapshotKey("p", ts), make([]byte, 2048))
	}
	storetest.Put(t, s, catalog.SnapshotKey("p", at(20, 12))+catalog.IndexSuffix, []byte("{}"))

	// 14:05 in Berlin is 13:05 UTC.
	stdout, stderr, code := runCLI(t, nil, "snapshots", "--store", dir, "--project", "p", "--near", "2026-11-20 14:05", "--tz", "Europe/Berlin")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := []string{
		`^3 snapshots of project p in file://.*, nearest to 2026-11-20 14:05:00 CET first$`,
		`^WHEN +DISTANCE +TIME \(Europe/Berlin\) +SIZE +INDEX +VERSION +KEY$`,
		`^before +1h05m +2026-11-20 13:00:00 +2\.0 KiB +yes +- +p/20261120T120000Z\.sql\.gz$`,
		`^after +4h55m +2026-11-20 19:00:00 +2\.0 KiB +no +- +p/20261120T180000Z\.sql\.gz$`,
		`^before +25h05m +2026-11-19 13:00:00 +2\.0 KiB +no +- +p/20261119T120000Z\.sql\.gz$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("output has %d lines, want %d:\n%s", len(lines), len(want), stdout)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want it to match %s", i, lines[i], re)
		}
	}

	// --versions on a store without versions says so, and lists anyway.
	stdout, stderr, code = runCLI(t, nil, "snapshots", "--store", dir, "--project", "p", "--versions")
	if code != exitOK || !strings.Contains(stderr, "keeps no older versions") || strings.Count(stdout, "p/2026") != 3 {
		t.Errorf("--versions on a local store: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// No snapshots: an error naming the store (exit 4); JSON still prints
	// an empty array. TestUnknownProject checks the suggestions.
	stdout, stderr, code = runCLI(t, nil, "snapshots", "--store", dir, "--project", "nobody")
	if code != exitNotFound || stdout != "" || !strings.Contains(stderr, "project nobody has no snapshots in file://"+dir) {
		t.Errorf("no snapshots: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stdout, _, code = runCLI(t, nil, "snapshots", "--store", dir, "--project", "nobody", "--json")
	if code != exitNotFound || stdout != "[]\n" {
		t.Errorf("no snapshots --json: exit %d, %q, want []", code, stdout)
	}
}

func TestSnapshotsUsageErrors(t *testing.T) {
	store := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--near", "whenever"}, `--near: cannot read time "whenever"`},
		{[]string{"--near", "2026-11-20 14:05", "--tz", "Mars/Olympus"}, `unknown --tz "Mars/Olympus"`},
		{[]string{"--json", "--near", "3 fortnights ago"}, "3h ago"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"snapshots", "--store", store, "--project", "p"}, tt.args...)
			_, stderr, code := runCLI(t, nil, args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestSnapshotsS3Versions lists a few hundred snapshots in a versioned
// bucket, one of them overwritten and one deleted: the current listing has
// version ids, --versions adds the older versions, marked noncurrent.
func TestSnapshotsS3Versions(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateVersionedBucket(t)
	s, err := catalog.NewS3(t.Context(), bucket, "daily", m.Options())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	const n = 300
	keys := make([]string, n)
	for i := range keys {
		keys[i] = catalog.SnapshotKey("p", base.AddDate(0, 0, -i))
	}
	putAll(t, s, keys)
	overwritten, deleted := keys[1], keys[2]
	storetest.Put(t, s, overwritten, []byte("written again"))
	storetest.Put(t, s, overwritten+catalog.IndexSuffix, []byte("{}"))
	if err := s.Delete(t.Context(), deleted); err != nil {
		t.Fatal(err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", m.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.SecretKey)
	t.Setenv("AWS_REGION", m.Region)
	environ := map[string]string{"RESTORECTL_STORE": "s3://" + bucket + "/daily", "AWS_ENDPOINT_URL_S3": m.Endpoint}
	near := base.AddDate(0, 0, -1).Add(time.Hour)

	current := snapshotsJSON(t, environ, "--project", "p", "--near", near.Format(time.RFC3339))
	if len(current) != n-1 {
		t.Fatalf("listed %d current snapshots, want %d", len(current), n-1)
	}
	checkNearestOrder(t, current, near)
	for _, r := range current {
		if r.VersionID == "" || !r.IsLatest || r.Key == deleted || r.Indexed != (r.Key == overwritten) {
			t.Fatalf("current row %+v", r)
		}
	}
	if current[0].Key != overwritten || current[0].Size != int64(len("written again")) {
		t.Errorf("nearest is %+v, want the overwritten %s's new version", current[0], overwritten)
	}

	all := snapshotsJSON(t, environ, "--project", "p", "--near", near.Format(time.RFC3339), "--versions")
	if len(all) != n+1 {
		t.Fatalf("--versions listed %d, want %d", len(all), n+1)
	}
	checkNearestOrder(t, all, near)
	var old []string
	for _, r := range all {
		if !r.IsLatest {
			old = append(old, r.Key)
		}
	}
	if len(old) != 2 || old[0] != overwritten || old[1] != deleted {
		t.Errorf("noncurrent versions of %q, want [%s %s]", old, overwritten, deleted)
	}
	if all[0].Key != overwritten || !all[0].IsLatest || all[1].Key != overwritten || all[1].IsLatest {
		t.Errorf("first rows %+v, want the current version of %s before its older one", all[:2], overwritten)
	}

	stdout, _, code := runCLI(t, environ, "snapshots", "--project", "p", "--versions")
	if code != exitOK || strings.Count(stdout, "(noncurrent)") != 2 {
		t.Errorf("table with --versions: exit %d, want 2 noncurrent versions marked:\n%s", code, stdout)
	}
}

// putAll writes a small object at each key, a few at once.
func putAll(t *testing.T, s catalog.Store, keys []string) {
	t.Helper()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for k := range work {
				storetest.Put(t, s, k, fmt.Appendf(nil, "snapshot %s", k))
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
}
