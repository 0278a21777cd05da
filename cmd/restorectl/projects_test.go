package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// projectRow is one element of `projects --json`.
type projectRow struct {
	Project   string `json:"project"`
	Snapshots int    `json:"snapshots"`
	Newest    *struct {
		Key        string `json:"key"`
		Time       string `json:"time"`
		Size       int64  `json:"size"`
		AgeSeconds int64  `json:"age_seconds"`
	} `json:"newest"`
	Stale *bool `json:"stale"`
}

// TestProjectsCommand lists a local and an S3 store's projects (table and
// JSON), counting only daily snapshots; --stale exits 1 naming the
// projects whose newest snapshot is too old or that have none, and 0 when
// all are fresh.
func TestProjectsCommand(t *testing.T) {
	m := testenv.StartMinIO(t)
	now := time.Now().UTC().Truncate(time.Second)
	fill := func(t *testing.T, s catalog.Store, withLate bool) {
		t.Helper()
		put := func(key string, size int) { storetest.Put(t, s, key, bytes.Repeat([]byte("x"), size)) }
		put(catalog.SnapshotKey("fresh", now.Add(-27*time.Hour)), 100)
		put(catalog.SnapshotKey("fresh", now.Add(-3*time.Hour)), 2048)
		put(catalog.SnapshotKey("fresh", now.Add(-3*time.Hour))+catalog.IndexSuffix, 10)
		put("fresh/pre-restore/"+now.Add(-time.Hour).Format(catalog.TimestampLayout)+"-ab12.sql.gz", 10)
		put("fresh/audit/"+now.Add(-time.Hour).Format(catalog.TimestampLayout)+"-ab12.json", 10)
		if withLate {
			put(catalog.SnapshotKey("late", now.Add(-50*time.Hour)), 300)
			put(catalog.SnapshotKey("late", now.Add(-74*time.Hour)), 300)
			put("none/audit/"+now.Format(catalog.TimestampLayout)+"-cd34.json", 10)
			put("none/pre-restore/"+now.Format(catalog.TimestampLayout)+"-cd34.sql.gz", 10)
		}
	}
	local := func(t *testing.T, withLate bool) (string, map[string]string) {
		dir := t.TempDir()
		s, err := catalog.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, s, withLate)
		return dir, nil
	}
	remote := func(t *testing.T, withLate bool) (string, map[string]string) {
		bucket := m.CreateBucket(t)
		s, err := catalog.NewS3(t.Context(), bucket, "daily", m.Options())
		if err != nil {
			t.Fatal(err)
		}
		fill(t, s, withLate)
		return "s3://" + bucket + "/daily", map[string]string{"AWS_ENDPOINT_URL_S3": m.Endpoint}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", m.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.SecretKey)
	t.Setenv("AWS_REGION", m.Region)

	type store func(t *testing.T, withLate bool) (string, map[string]string)
	tests := []struct {
		name     string
		store    store
		withLate bool
		args     []string
		code     int
		stdout   []string // regular expressions, one per line, in order
		stderr   []string // substrings
		noStderr []string
	}{
		{"table", local, true, nil, exitOK, []string{
			`^3 projects in file://`,
			`^PROJECT +SNAPSHOTS +NEWEST \(UTC\) +AGE +SIZE$`,
			`^fresh +2 +` + regexp.QuoteMeta(now.Add(-3*time.Hour).Format(time.DateTime)) + ` +3h00m +2\.0 KiB$`,
			`^late +2 +` + regexp.QuoteMeta(now.Add(-50*time.Hour).Format(time.DateTime)) + ` +2d02h +300 B$`,
			`^none +0 +- +- +-$`,
		}, nil, nil},
		{"s3 table", remote, true, nil, exitOK, []string{
			`^3 projects in s3://t-.*/daily$`, `^PROJECT`, `^fresh +2 +.* 3h00m +2\.0 KiB$`, `^late +2 `, `^none +0 `,
		}, nil, nil},
		{"stale", local, true, []string{"--stale", "26h"}, exitFailure, []string{
			`^3 projects in`,
			`^PROJECT +SNAPSHOTS +NEWEST \(UTC\) +AGE +SIZE +STALE$`,
			`^fresh +2 .* no$`, `^late +2 .* yes$`, `^none +0 .* yes$`,
		}, []string{"stale: late: newest snapshot 2d02h old", "more than 26h00m", "stale: none: no snapshots", "2 of 3 projects", "late, none"}, []string{"stale: fresh"}},
		{"s3 stale", remote, true, []string{"--stale", "26h"}, exitFailure, nil, []string{"stale: late:", "stale: none: no snapshots", "late, none"}, []string{"stale: fresh"}},
		{"all fresh", local, false, []string{"--stale", "26h"}, exitOK, []string{`^1 project in`, `^PROJECT`, `^fresh +2 .* no$`}, nil, []string{"stale"}},
		{"s3 all fresh", remote, false, []string{"--stale", "26h"}, exitOK, nil, nil, []string{"stale"}},
		{"looser threshold", local, true, []string{"--stale", "51h"}, exitFailure, nil, []string{"stale: none", "1 of 3 projects"}, []string{"stale: late", "stale: fresh"}},
		{"empty store", func(t *testing.T, _ bool) (string, map[string]string) { return t.TempDir(), nil }, false, nil, exitOK, []string{`^no projects in file://`}, nil, nil},
		{"empty store stale", func(t *testing.T, _ bool) (string, map[string]string) { return t.TempDir(), nil }, false, []string{"--stale", "26h"}, exitFailure,
			[]string{`^no projects in`}, []string{"holds no projects at all"}, nil},
		{"negative stale", local, false, []string{"--stale", "-1h"}, exitUsage, nil, []string{"--stale must be positive"}, nil},
		{"bad duration", local, false, []string{"--stale", "a day"}, exitUsage, nil, []string{"invalid value"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, environ := tt.store(t, tt.withLate)
			args := append([]string{"projects", "--store", url}, tt.args...)
			stdout, stderr, code := runCLI(t, environ, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if tt.stdout != nil && len(lines) != len(tt.stdout) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.stdout), stdout)
			}
			for i, re := range tt.stdout {
				if !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("line %d = %q, want it to match %s", i, lines[i], re)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.noStderr {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr says %q:\n%s", w, stderr)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		for name, st := range map[string]store{"local": local, "s3": remote} {
			url, environ := st(t, true)
			for _, stale := range []bool{false, true} {
				args := []string{"projects", "--store", url, "--json"}
				if stale {
					args = append(args, "--stale", "26h")
				}
				stdout, stderr, code := runCLI(t, environ, args...)
				if want := map[bool]int{false: exitOK, true: exitFailure}[stale]; code != want {
					t.Fatalf("%s %q: exit %d, want %d: %s", name, args, code, want, stderr)
				}
				var rows []projectRow
				if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
					t.Fatalf("%s: --json printed %q: %v", name, stdout, err)
				}
				if len(rows) != 3 || rows[0].Project != "fresh" || rows[1].Project != "late" || rows[2].Project != "none" {
					t.Fatalf("%s: rows %+v, want fresh, late, none", name, rows)
				}
				fresh, none := rows[0], rows[2]
				wantKey := catalog.SnapshotKey("fresh", now.Add(-3*time.Hour))
				if fresh.Snapshots != 2 || fresh.Newest == nil || fresh.Newest.Key != wantKey || fresh.Newest.Size != 2048 ||
					fresh.Newest.Time != now.Add(-3*time.Hour).Format(time.RFC3339) || fresh.Newest.AgeSeconds < 3*3600 || fresh.Newest.AgeSeconds > 3*3600+60 {
					t.Errorf("%s: fresh = %+v %+v, want 2 snapshots, the newest %s of 2048 bytes, 3h old", name, fresh, fresh.Newest, wantKey)
				}
				if none.Snapshots != 0 || none.Newest != nil {
					t.Errorf("%s: none = %+v, want no snapshots and newest null", name, none)
				}
				if !stale {
					if strings.Contains(stdout, `"stale"`) {
						t.Errorf("%s: \"stale\" without --stale:\n%s", name, stdout)
					}
					continue
				}
				for i, want := range []bool{false, true, true} {
					if rows[i].Stale == nil || *rows[i].Stale != want {
						t.Errorf("%s: %s stale = %v, want %v", name, rows[i].Project, rows[i].Stale, want)
					}
				}
			}
		}
		stdout, _, code := runCLI(t, nil, "projects", "--store", t.TempDir(), "--json")
		if code != exitOK || stdout != "[]\n" {
			t.Errorf("empty store --json: exit %d, %q; want []", code, stdout)
		}
	})
}
