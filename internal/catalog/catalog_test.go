package catalog_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
)

func TestParseSnapshotKey(t *testing.T) {
	ts := time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	cases := []struct {
		key    string
		ok     bool
		ref    string
		wantTS time.Time
	}{
		{"abc/20261120T140500Z.sql.gz", true, "abc", ts},
		{"my_proj-1/20261120T140500Z.sql.gz", true, "my_proj-1", ts},
		{catalog.SnapshotKey("abc", ts.In(time.FixedZone("CET", 3600))), true, "abc", ts},
		{"abc/20261120T140500Z.sql.gz.index.json", false, "", time.Time{}},  // sidecar
		{"abc/pre-restore/20261120T140500Z.sql.gz", false, "", time.Time{}}, // safety snapshot
		{"audit/20261120T140500Z-restore-abc.json", false, "", time.Time{}},
		{"audit/abc/20261120T140500Z.json", false, "", time.Time{}},
		{"abc/.20261120T140500Z.sql.gz.partial-123", false, "", time.Time{}},
		{"20261120T140500Z.sql.gz", false, "", time.Time{}},     // no project
		{"abc/20261120T140500.sql.gz", false, "", time.Time{}},  // no Z
		{"abc/20261320T140500Z.sql.gz", false, "", time.Time{}}, // month 13
		{"abc/20261120T140500Z.sql", false, "", time.Time{}},
		{"-abc/20261120T140500Z.sql.gz", false, "", time.Time{}}, // invalid ref
		{"a.b/20261120T140500Z.sql.gz", false, "", time.Time{}},
		{"", false, "", time.Time{}},
		// Other tools' timestamps: RFC 3339 and Unix seconds.
		{"abc/2026-11-20T14:05:00Z.sql.gz", true, "abc", ts},
		{"abc/2026-11-20T15:05:00+01:00.sql.gz", true, "abc", ts},
		{"abc/2026-11-20T14:05:00.5Z.sql.gz", true, "abc", ts.Add(500 * time.Millisecond)},
		{"abc/" + strconv.FormatInt(ts.Unix(), 10) + ".sql.gz", true, "abc", ts},
		{"abc/2026-11-20T14:05:00Z.sql.gz.index.json", false, "", time.Time{}},
		{"abc/" + strconv.FormatInt(ts.Unix(), 10) + ".sql.gz.index.json", false, "", time.Time{}},
		{"abc/pre-restore/2026-11-20T14:05:00Z.sql.gz", false, "", time.Time{}},
		{"abc/audit/1763647500.sql.gz", false, "", time.Time{}},
		{"abc/2026-11-20T14:05:00+00:00.sql.gz", false, "", time.Time{}}, // not canonical: Z
		{"abc/2026-11-20T14:05:00.50Z.sql.gz", false, "", time.Time{}},   // not canonical: .5
		{"abc/2026-11-20T14:05Z.sql.gz", false, "", time.Time{}},         // no seconds
		{"abc/2026-11-20 14:05:00Z.sql.gz", false, "", time.Time{}},
		{"abc/20261120.sql.gz", false, "", time.Time{}},   // a date, not 1970
		{"abc/0763647500.sql.gz", false, "", time.Time{}}, // leading zero
		{"abc/+763647500.sql.gz", false, "", time.Time{}},
		{"abc/17636475000.sql.gz", false, "", time.Time{}}, // beyond 2286
	}
	for _, c := range cases {
		ref, got, ok := catalog.ParseSnapshotKey(c.key)
		if ok != c.ok || ref != c.ref || !got.Equal(c.wantTS) {
			t.Errorf("ParseSnapshotKey(%q) = %q, %v, %v; want %q, %v, %v", c.key, ref, got, ok, c.ref, c.wantTS, c.ok)
		}
	}
}

func TestSnapshotKeyIsUTC(t *testing.T) {
	local := time.Date(2026, 1, 2, 1, 30, 0, 0, time.FixedZone("X", 2*3600))
	if got, want := catalog.SnapshotKey("p", local), "p/20260101T233000Z.sql.gz"; got != want {
		t.Errorf("SnapshotKey = %q, want %q", got, want)
	}
}

var now = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

// snaps returns snapshots taken ages ago, newest first as ListSnapshots
// returns them.
func snaps(ages ...time.Duration) []catalog.Snapshot {
	var out []catalog.Snapshot
	for _, a := range ages {
		ts := now.Add(-a)
		out = append(out, catalog.Snapshot{Ref: "p", Time: ts, Object: catalog.Object{Key: catalog.SnapshotKey("p", ts)}})
	}
	return out
}

func days(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }

func keys(ss []catalog.Snapshot) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Key)
	}
	return out
}

func TestRetentionPlan(t *testing.T) {
	r := catalog.Retention{KeepDays: 7, KeepMin: 3}
	cases := []struct {
		name       string
		snaps      []catalog.Snapshot
		keep, drop int // counts; kept ones are always the newest
	}{
		{"none", nil, 0, 0},
		{"all recent", snaps(days(0), days(1), days(2), days(3), days(4)), 5, 0},
		{"some old", snaps(days(1), days(2), days(3), days(8), days(9)), 3, 2},
		{"old beyond keep-min", snaps(days(1), days(2), days(3), days(4), days(8), days(9)), 4, 2},
		{"all old: newest KeepMin kept", snaps(days(30), days(31), days(32), days(33), days(34)), 3, 2},
		{"fewer than KeepMin, all old", snaps(days(30), days(31)), 2, 0},
		{"exactly at cutoff is kept", snaps(days(1), days(2), days(3), days(7)), 4, 0},
		{"just past cutoff is dropped", snaps(days(1), days(2), days(3), days(7)+time.Second), 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keep, drop := r.Plan(c.snaps, now)
			if len(keep) != c.keep || len(drop) != c.drop {
				t.Fatalf("Plan kept %d and dropped %d, want %d and %d", len(keep), len(drop), c.keep, c.drop)
			}
			if !slices.Equal(append(keys(keep), keys(drop)...), keys(c.snaps)) {
				t.Errorf("Plan kept %q and dropped %q: not the newest kept", keys(keep), keys(drop))
			}
		})
	}
}

func TestRetentionValidate(t *testing.T) {
	for _, r := range []catalog.Retention{{0, 1}, {1, 0}, {-1, 3}} {
		if r.Validate() == nil {
			t.Errorf("%+v validated", r)
		}
	}
	if err := (catalog.Retention{KeepDays: 1, KeepMin: 1}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// Prune deletes old snapshots with their sidecars, and leaves everything
// else: recent snapshots, other projects, safety snapshots, audit records.
func TestPrune(t *testing.T) {
	s := newLocal(t, t.TempDir())
	ctx := t.Context()
	old, recent := now.Add(-days(10)), now.Add(-days(1))
	oldKey, recentKey := catalog.SnapshotKey("p", old), catalog.SnapshotKey("p", recent)
	all := []string{
		oldKey, oldKey + ".index.json",
		recentKey, recentKey + ".index.json",
		catalog.SnapshotKey("q", old), // another project
		"p/pre-restore/" + old.Format(catalog.TimestampLayout) + ".sql.gz",
		"audit/" + old.Format(catalog.TimestampLayout) + "-restore-p.json",
	}
	for _, k := range all {
		storetest.Put(t, s, k, []byte(k))
	}
	policy := catalog.Retention{KeepDays: 7, KeepMin: 1}

	planned, err := catalog.Prune(ctx, s, "p", policy, now, true)
	if err != nil {
		t.Fatalf("dry-run Prune: %v", err)
	}
	if got := keys(planned); !slices.Equal(got, []string{oldKey}) {
		t.Errorf("dry run would delete %q, want [%s]", got, oldKey)
	}
	if got := storetest.Keys(t, s, ""); len(got) != len(all) {
		t.Fatalf("dry run deleted something: %q left", got)
	}

	deleted, err := catalog.Prune(ctx, s, "p", policy, now, false)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if got := keys(deleted); !slices.Equal(got, []string{oldKey}) {
		t.Errorf("Prune deleted %q, want [%s]", got, oldKey)
	}
	want := slices.Clone(all[2:])
	slices.Sort(want)
	if got := storetest.Keys(t, s, ""); !slices.Equal(got, want) {
		t.Errorf("after Prune the store holds %q, want %q", got, want)
	}
}

// ListSnapshots lists every key form, newest first with times in UTC, marks
// the snapshots whose sidecar index is in the same listing, and lists
// nothing that is not one of the project's snapshots.
func TestListSnapshots(t *testing.T) {
	s := newLocal(t, t.TempDir())
	t1, t2, t3 := now.Add(-days(3)), now.Add(-days(2)), now.Add(-days(1))
	platform := catalog.SnapshotKey("p", t1)
	rfc := "p/" + t2.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339) + ".sql.gz"
	unix := "p/" + strconv.FormatInt(t3.Unix(), 10) + ".sql.gz"
	for _, k := range []string{
		platform, platform + catalog.IndexSuffix, rfc, unix, unix + catalog.IndexSuffix,
		"p/" + strconv.FormatInt(t1.Unix(), 10) + catalog.IndexSuffix, // a sidecar alone
		"p/pre-restore/" + t3.Format(catalog.TimestampLayout) + ".sql.gz",
		"p/audit/" + t3.Format(time.RFC3339) + ".sql.gz",
		catalog.SnapshotKey("q", t3),
	} {
		storetest.Put(t, s, k, []byte(k))
	}
	got, err := catalog.ListSnapshots(t.Context(), s, "p")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		key     string
		time    time.Time
		indexed bool
	}
	var rows []row
	for _, snap := range got {
		rows = append(rows, row{snap.Key, snap.Time, snap.Indexed})
		if snap.Time.Location() != time.UTC {
			t.Errorf("%s: time %v not in UTC", snap.Key, snap.Time)
		}
	}
	want := []row{{unix, t3, true}, {rfc, t2, false}, {platform, t1, true}}
	if !slices.EqualFunc(rows, want, func(a, b row) bool { return a.key == b.key && a.time.Equal(b.time) && a.indexed == b.indexed }) {
		t.Errorf("ListSnapshots = %+v, want %+v", rows, want)
	}
}

// FuzzParseSnapshotKey: a key is recognised as a snapshot exactly when it
// is "<ref>/<stem>.sql.gz" and its stem is the time formatted back in one of
// the key formats, so sidecars, partial uploads and look-alikes are never
// listed (or pruned) as snapshots; and the platform's own keys round-trip
// through SnapshotKey.
func FuzzParseSnapshotKey(f *testing.F) {
	f.Add("abcd1234/20261120T140500Z.sql.gz")
	f.Add("abcd1234/20261120T140500Z.sql.gz.index.json")
	f.Add("abcd1234/pre-restore/20261120T140500Z.sql.gz")
	f.Add("abcd1234/20261320T140500Z.sql.gz")
	f.Add("../20261120T140500Z.sql.gz")
	f.Add("abcd1234/2026-11-20T14:05:00Z.sql.gz")
	f.Add("abcd1234/2026-11-20T14:05:00.123+05:30.sql.gz")
	f.Add("abcd1234/1763647500.sql.gz")
	f.Fuzz(func(t *testing.T, key string) {
		ref, ts, ok := catalog.ParseSnapshotKey(key)
		if !ok {
			return
		}
		if err := catalog.ValidateRef(ref); err != nil {
			t.Fatalf("ParseSnapshotKey(%q) accepted ref %q: %v", key, ref, err)
		}
		stem, found := strings.CutPrefix(key, ref+"/")
		stem, isSnap := strings.CutSuffix(stem, catalog.SnapshotExt)
		if !found || !isSnap {
			t.Fatalf("ParseSnapshotKey(%q) = %q: not <ref>/<stem>%s", key, ref, catalog.SnapshotExt)
		}
		formats := map[string]string{
			"platform": ts.Format(catalog.TimestampLayout),
			"RFC 3339": ts.Format(time.RFC3339Nano),
			"Unix":     strconv.FormatInt(ts.Unix(), 10),
		}
		var matched []string
		for name, s := range formats {
			if s == stem {
				matched = append(matched, name)
			}
		}
		if len(matched) != 1 {
			t.Fatalf("ParseSnapshotKey(%q) = %v; stem %q formats back in %d forms %q, want exactly 1", key, ts, stem, len(matched), formats)
		}
		if matched[0] == "platform" {
			if got := catalog.SnapshotKey(ref, ts); got != key {
				t.Fatalf("ParseSnapshotKey(%q) = %q, %v; its canonical key is %q", key, ref, ts, got)
			}
		}
	})
}
