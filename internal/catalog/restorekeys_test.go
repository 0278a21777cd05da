package catalog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestRestoreKeys(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	ts := time.Date(2026, 11, 20, 15, 5, 9, 0, cet) // 14:05:09Z
	cases := []struct {
		name, got, want string
	}{
		{"SafetyKey", catalog.SafetyKey("abcd1234", ts, "id1"), "abcd1234/pre-restore/20261120T140509Z-id1.sql.gz"},
		{"SafetyKey/sub-second", catalog.SafetyKey("p", ts.Add(999*time.Millisecond), "id1"), "p/pre-restore/20261120T140509Z-id1.sql.gz"},
		{"SafetyPrefix", catalog.SafetyPrefix("abcd1234"), "abcd1234/pre-restore/"},
		{"AuditKey", catalog.AuditKey("abcd1234", ts, "0a1b2c3d"), "abcd1234/audit/20261120T140509Z-0a1b2c3d.json"},
		{"AuditPrefix", catalog.AuditPrefix("abcd1234"), "abcd1234/audit/"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestParseAuditKey(t *testing.T) {
	ts := time.Date(2026, 11, 20, 14, 5, 9, 0, time.UTC)
	cases := []struct {
		key     string
		ok      bool
		ref, id string
	}{
		{catalog.AuditKey("abcd1234", ts, "0a1b2c3d"), true, "abcd1234", "0a1b2c3d"},
		{catalog.AuditKey("my_proj-1", ts, "x-y"), true, "my_proj-1", "x-y"},
		{"abcd1234/audit/20261120T140509Z.json", false, "", ""},     // no id
		{"abcd1234/audit/20261120T140509Z-.json", false, "", ""},    // empty id
		{"abcd1234/audit/20261120T140509-0a1b.json", false, "", ""}, // no Z
		{"abcd1234/audit/20261120T140509Z-0a1b.json.tmp", false, "", ""},
		{"abcd1234/audit/sub/20261120T140509Z-0a1b.json", false, "", ""},
		{"audit/20261120T140509Z-0a1b.json", false, "", ""},
		{"a.b/audit/20261120T140509Z-0a1b.json", false, "", ""},
		{"abcd1234/20261120T140509Z-0a1b.json", false, "", ""},
		{catalog.SafetyKey("abcd1234", ts, "id1"), false, "", ""},
		{"", false, "", ""},
	}
	for _, c := range cases {
		ref, got, id, ok := catalog.ParseAuditKey(c.key)
		if ok != c.ok || ref != c.ref || id != c.id || (ok && !got.Equal(ts)) {
			t.Errorf("ParseAuditKey(%q) = %q, %v, %q, %v; want %q, %v, %q, %v", c.key, ref, got, id, ok, c.ref, ts, c.id, c.ok)
		}
	}
}

// Safety snapshots, their indexes and audit records live under the
// project's prefix but are never taken for snapshots: ParseSnapshotKey
// rejects them, so ListSnapshots and ListSnapshotVersions never list them
// and Prune, however old they are, never deletes them.
func TestRestoreObjectsAreNotSnapshots(t *testing.T) {
	old := now.Add(-days(30))
	restoreKeys := []string{
		catalog.SafetyKey("p", old, "id1"),
		catalog.SafetyKey("p", old, "id1") + catalog.IndexSuffix,
		catalog.AuditKey("p", old, "0a1b2c3d"),
	}
	for _, k := range restoreKeys {
		if ref, _, ok := catalog.ParseSnapshotKey(k); ok {
			t.Errorf("ParseSnapshotKey(%q) took it for a snapshot of %q", k, ref)
		}
	}

	stores := []struct {
		name string
		new  func(t *testing.T) catalog.Store
	}{
		{"local", func(t *testing.T) catalog.Store { return newLocal(t, t.TempDir()) }},
		{"minio-versioned", func(t *testing.T) catalog.Store {
			m := testenv.StartMinIO(t)
			s, err := catalog.NewS3(t.Context(), m.CreateVersionedBucket(t), "prefix", m.Options())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new(t)
			ctx := t.Context()
			oldSnap := catalog.SnapshotKey("p", old.Add(-time.Hour))
			newSnap := catalog.SnapshotKey("p", now.Add(-days(1)))
			for _, k := range append([]string{oldSnap, newSnap}, restoreKeys...) {
				storetest.Put(t, s, k, []byte(k))
			}
			// Overwrite the audit record, as every restore does, so that
			// a versioned bucket holds a noncurrent version of it.
			storetest.Put(t, s, restoreKeys[2], []byte("again"))

			want := []string{newSnap, oldSnap}
			listed, err := catalog.ListSnapshots(ctx, s, "p")
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(listed); !slices.Equal(got, want) {
				t.Errorf("ListSnapshots = %q, want %q", got, want)
			}
			for _, noncurrent := range []bool{false, true} {
				listed, err := catalog.ListSnapshotVersions(ctx, s, "p", noncurrent)
				if err != nil {
					t.Fatal(err)
				}
				if got := keys(listed); !slices.Equal(got, want) {
					t.Errorf("ListSnapshotVersions(noncurrent=%v) = %q, want %q", noncurrent, got, want)
				}
			}

			deleted, err := catalog.Prune(ctx, s, "p", catalog.Retention{KeepDays: 7, KeepMin: 1}, now, false)
			if err != nil {
				t.Fatalf("Prune: %v", err)
			}
			if got := keys(deleted); !slices.Equal(got, []string{oldSnap}) {
				t.Errorf("Prune deleted %q, want [%s]", got, oldSnap)
			}
			wantLeft := append([]string{newSnap}, restoreKeys...)
			slices.Sort(wantLeft)
			if got := storetest.Keys(t, s, ""); !slices.Equal(got, wantLeft) {
				t.Errorf("after Prune the store holds %q, want %q", got, wantLeft)
			}
		})
	}
}
