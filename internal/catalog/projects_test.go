package catalog_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestSuggestRefs(t *testing.T) {
	refs := []string{"abcd1234", "abcd5678", "demo", "demo-staging", "efgh5678", "prod"}
	tests := []struct {
		ref  string
		want []string
	}{
		{"demx", []string{"demo"}},
		{"dmeo", []string{"demo"}},
		{"demo", []string{"demo-staging"}},
		{"DEMO", []string{"demo", "demo-staging"}},
		{"abcd", []string{"abcd1234", "abcd5678"}},
		{"abcd1243", []string{"abcd1234"}},
		{"abcd12345", []string{"abcd1234"}},
		{"efgh567", []string{"efgh5678"}},
		{"zzzz", nil},
		{"pr", nil},
	}
	for _, tt := range tests {
		if got := catalog.SuggestRefs(tt.ref, refs, 3); !slices.Equal(got, tt.want) {
			t.Errorf("SuggestRefs(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
	many := []string{"p1", "p2", "p3", "p4", "p5"}
	if got := catalog.SuggestRefs("p0", many, 3); !slices.Equal(got, many[:3]) {
		t.Errorf("SuggestRefs(p0) = %q, want the first 3 of %q", got, many)
	}
}

// TestProjects lists the projects of a local and an S3 store, counting
// snapshots as ListSnapshots does (no safety snapshots, audit records,
// sidecars or uploads in progress); a folder without snapshots is a
// project with none. An unknown project gets the closest refs.
func TestProjects(t *testing.T) {
	m := testenv.StartMinIO(t)
	stores := map[string]func(t *testing.T) catalog.Store{
		"local": func(t *testing.T) catalog.Store { return newLocal(t, t.TempDir()) },
		"s3":    func(t *testing.T) catalog.Store { return newS3(t, m, m.CreateBucket(t), "daily") },
	}
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if refs, err := catalog.ListProjects(t.Context(), s); err != nil || len(refs) != 0 {
				t.Fatalf("ListProjects(empty store) = %q, %v", refs, err)
			}
			assertNoSnapshots(t, s, "demo", nil, 0, "holds no projects at all")

			newest := catalog.SnapshotKey("demo", base)
			for i, k := range []string{catalog.SnapshotKey("demo", base.AddDate(0, 0, -2)), catalog.SnapshotKey("demo", base.AddDate(0, 0, -1)), newest} {
				storetest.Put(t, s, k, []byte(strings.Repeat("x", 100+i)))
			}
			for _, k := range []string{
				newest + catalog.IndexSuffix,
				"demo/pre-restore/" + base.AddDate(0, 0, 1).Format(catalog.TimestampLayout) + ".sql.gz",
				"demo/audit/" + base.AddDate(0, 0, 1).Format(catalog.TimestampLayout) + "-x.json",
				catalog.SnapshotKey("demo2", base.AddDate(0, 0, -5)),
				"onlyaudit/audit/20261120T000000Z-y.json",
				"not.a.ref/" + base.Format(catalog.TimestampLayout) + ".sql.gz",
				"README",
			} {
				storetest.Put(t, s, k, []byte("{}"))
			}
			// A first snapshot still being written makes no project yet.
			w, err := s.Create(t.Context(), catalog.SnapshotKey("pending", base))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			w.Write([]byte("half a dump"))

			refs, err := catalog.ListProjects(t.Context(), s)
			if want := []string{"demo", "demo2", "onlyaudit"}; err != nil || !slices.Equal(refs, want) {
				t.Fatalf("ListProjects = %q, %v; want %q", refs, err, want)
			}
			got, err := catalog.Projects(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				ref    string
				n      int
				newest string
				size   int64
			}{
				{"demo", 3, newest, 102},
				{"demo2", 1, catalog.SnapshotKey("demo2", base.AddDate(0, 0, -5)), 2},
				{"onlyaudit", 0, "", 0},
			}
			if len(got) != len(want) {
				t.Fatalf("Projects = %+v, want %d projects", got, len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.Ref != w.ref || g.Snapshots != w.n || g.Newest.Key != w.newest || g.Newest.Size != w.size {
					t.Errorf("project %d = {%s %d %s %d}, want %+v", i, g.Ref, g.Snapshots, g.Newest.Key, g.Newest.Size, w)
				}
			}
			if !got[0].Newest.Time.Equal(base) || got[0].Newest.Ref != "demo" {
				t.Errorf("demo's newest: %+v, want taken at %v", got[0].Newest, base)
			}

			assertNoSnapshots(t, s, "demx", []string{"demo"}, 3, "did you mean demo? (restorectl projects lists the 3 projects it holds)")
			assertNoSnapshots(t, s, "demo3", []string{"demo", "demo2"}, 3, "did you mean demo or demo2?")
			assertNoSnapshots(t, s, "zzzzzz", nil, 3, "check the project ref (restorectl projects lists the 3 projects")
			// REF@TIME says the same.
			_, err = catalog.ResolveSnapshot(t.Context(), "demx@now", s, m.Options(), base, time.UTC)
			var nse *catalog.NoSnapshotsError
			if !errors.As(err, &nse) || !slices.Equal(nse.Suggestions, []string{"demo"}) || !strings.Contains(err.Error(), "project demx has no snapshots in "+s.String()) {
				t.Errorf("ResolveSnapshot(demx@now) = %v, want a NoSnapshotsError suggesting demo", err)
			}
		})
	}
}

func assertNoSnapshots(t *testing.T, s catalog.Store, ref string, suggest []string, projects int, says string) {
	t.Helper()
	err := catalog.NoSnapshots(t.Context(), s, ref)
	var nse *catalog.NoSnapshotsError
	if !errors.As(err, &nse) {
		t.Fatalf("NoSnapshots(%s) = %v (%T), want a NoSnapshotsError", ref, err, err)
	}
	if nse.Ref != ref || !slices.Equal(nse.Suggestions, suggest) || nse.Projects != projects {
		t.Errorf("NoSnapshots(%s) = %+v, want suggestions %q among %d projects", ref, nse, suggest, projects)
	}
	if !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), "project "+ref+" has no snapshots in "+s.String()) {
		t.Errorf("NoSnapshots(%s) says %q, want it to say %q", ref, err, says)
	}
}
