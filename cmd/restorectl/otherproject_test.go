package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
)

func TestProjectOfKey(t *testing.T) {
	store, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		snap catalog.Resolved
		want string
	}{
		{"REF@TIME", catalog.Resolved{Store: store, Key: "abcd/20261120T030000Z.sql.gz", Snapshot: catalog.Snapshot{Ref: "abcd"}}, "abcd"},
		{"daily snapshot", catalog.Resolved{Store: store, Key: "abcd/20261120T030000Z.sql.gz"}, "abcd"},
		{"under a bucket's prefix", catalog.Resolved{Store: store, Key: "backups/daily/abcd/20261120T030000Z.sql.gz"}, "abcd"},
		{"safety snapshot", catalog.Resolved{Store: store, Key: "abcd/pre-restore/20261120T030000Z-0a1b2c3d.sql.gz"}, "abcd"},
		{"safety snapshot under a prefix", catalog.Resolved{Store: store, Key: "backups/abcd/pre-restore/20261120T030000Z-0a1b2c3d.sql.gz"}, "abcd"},
		{"a local file", catalog.Resolved{Store: store, Key: "20261120T030000Z.sql.gz"}, ""},
		{"no store", catalog.Resolved{Key: "abcd/20261120T030000Z.sql.gz"}, ""},
		{"not a ref", catalog.Resolved{Store: store, Key: "Not A Ref!/20261120T030000Z.sql.gz"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := projectOfKey(tt.snap); got != tt.want {
				t.Errorf("projectOfKey(%q) = %q, want %q", tt.snap.Key, got, tt.want)
			}
		})
	}
}

// TestRestoreIntoOtherProject: a snapshot of project proj restored with
// --project other is refused as a usage error before anything happens,
// whatever the mode; --into-other-project lets it through, and its audit
// record names both projects.
func TestRestoreIntoOtherProject(t *testing.T) {
	f := newRestoreFixture(t, 100)
	base := []string{"restore", f.snap, "--store", f.store, "--project", "other", "--pg-dump", f.pg.Bin("pg_dump"), "--operator", "tester"}
	tests := []struct {
		name    string
		args    []string
		refused bool
	}{
		{"merge", []string{"--table", "public.small", "--mode", "merge", "--target", f.targetURL, "--ticket", "T-7", "--yes"}, true},
		{"overwrite", []string{"--table", "public.small", "--mode", "overwrite", "--target", f.targetURL, "--ticket", "T-7", "--yes"}, true},
		{"overwrite dry run", []string{"--table", "public.small", "--mode", "overwrite", "--target", f.targetURL, "--dry-run"}, true},
		{"new project", []string{"--table", "public.small", "--admin-url", f.pg.URL("postgres"), "--new-project", "other_np", "--ticket", "T-7"}, true},
		{"json", []string{"--table", "public.small", "--mode", "merge", "--target", f.targetURL, "--ticket", "T-7", "--yes", "--json"}, true},
		{"asked for", []string{"--table", "public.small", "--mode", "merge", "--target", f.targetURL, "--ticket", "T-7", "--yes", "--json", "--into-other-project"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, f.environ, append(append([]string{}, base...), tt.args...)...)
			if !tt.refused {
				// Past the project rule the restore runs (or is refused
				// for reasons of its own, which are not this test's):
				// either way its audit record names both projects.
				if code == exitUsage || strings.Contains(stderr, "belongs to project") {
					t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
				}
				var res struct {
					AuditID string `json:"audit_id"`
				}
				if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.AuditID == "" {
					t.Fatalf("%v: %s", err, stdout)
				}
				store, err := catalog.NewLocal(f.store)
				if err != nil {
					t.Fatal(err)
				}
				rec, err := apply.FindRecord(t.Context(), store, "other", res.AuditID)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Project != "other" || rec.SnapshotProject != f.ref || !rec.IntoOtherProject {
					t.Errorf("record: project %q, snapshot_project %q, into_other_project %v; want other, %s, true",
						rec.Project, rec.SnapshotProject, rec.IntoOtherProject, f.ref)
				}
				if code == exitOK && rec.Outcome != apply.OutcomeOK {
					t.Errorf("exit 0, but the record's outcome is %s", rec.Outcome)
				}
				return
			}
			want := fmt.Sprintf("belongs to project %s, not other", f.ref)
			if code != exitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "--into-other-project") {
				t.Errorf("exit %d, stderr %q; want %d saying %q and naming --into-other-project", code, stderr, exitUsage, want)
			}
			f.assertTargetUnchanged(t)
			// Nothing was done: no audit record, no database.
			if keys := storetest.Keys(t, mustLocal(t, f.store), "other/"); len(keys) != 0 {
				t.Errorf("the refused restore left %q in the store", keys)
			}
			if n := f.count(t, "postgres", "pg_database WHERE datname LIKE 'other_np%'"); n != 0 {
				t.Errorf("%d databases named other_np*", n)
			}
		})
	}
}

func mustLocal(t *testing.T, dir string) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUndoRefusesOtherProjectsSafetySnapshot: undo puts back only the
// project's own safety snapshot, whatever its audit record says.
func TestUndoRefusesOtherProjectsSafetySnapshot(t *testing.T) {
	dir := t.TempDir()
	store := mustLocal(t, dir)
	at := time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	for _, tt := range []struct{ id, safety string }{
		{"0000aaaa", catalog.SafetyKey("victim", at, "0000aaaa")},
		{"0000bbbb", "victim/20261120T030000Z.sql.gz"},
		{"0000cccc", "20261120T030000Z.sql.gz"},
	} {
		rec := apply.Record{ID: tt.id, Project: "proj", StartedAt: at, Mode: apply.Overwrite, Outcome: apply.OutcomeOK, SafetySnapshot: tt.safety}
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		storetest.Put(t, store, catalog.AuditKey("proj", at, tt.id), data)
		storetest.Put(t, store, tt.safety, []byte("-- not read\n"))
		_, stderr, code := runCLI(t, nil, "undo", tt.id, "--project", "proj", "--store", dir, "--target", "postgres://localhost:1/proj", "--ticket", "T", "--yes")
		if code != exitFailure || !strings.Contains(stderr, "is not one of project proj's") {
			t.Errorf("undo of a record whose safety snapshot is %s: exit %d, stderr %q", tt.safety, code, stderr)
		}
	}
}
