package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

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

// TestRestoreNamedByURLUnderStore is the ticket where a snapshot is named
// by its full URL inside the configured store (s3://bucket/daily/rref/...
// with RESTORECTL_STORE=s3://bucket/daily): the restore belongs to rref,
// not "daily". Its audit record is rref's, `audit --project rref` lists
// it, and nothing is filed under daily/daily/.
func TestRestoreNamedByURLUnderStore(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", m.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.SecretKey)
	t.Setenv("AWS_REGION", m.Region)
	environ := map[string]string{"RESTORECTL_STORE": "s3://" + bucket + "/daily", "AWS_ENDPOINT_URL_S3": m.Endpoint}
	store, err := catalog.NewS3(t.Context(), bucket, "daily", m.Options())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(sampleStore, "demo", "20261122T030000Z.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	key := "rref/20261122T030000Z.sql.gz"
	storetest.Put(t, store, key, data)

	stdout, stderr, code := runCLI(t, environ, "restore", "s3://"+bucket+"/daily/"+key, "--all", "--dry-run", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		AuditID string `json:"audit_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.AuditID == "" {
		t.Fatalf("%v: %s", err, stdout)
	}
	rec, err := apply.FindRecord(t.Context(), store, "rref", res.AuditID)
	if err != nil {
		t.Fatalf("rref's audit record: %v", err)
	}
	if rec.Project != "rref" || rec.SnapshotProject != "rref" || rec.Snapshot.Key != key {
		t.Errorf("record: project %q, snapshot_project %q, key %q; want rref, rref, %s", rec.Project, rec.SnapshotProject, rec.Snapshot.Key, key)
	}
	if keys := storetest.Keys(t, store, "daily/"); len(keys) != 0 {
		t.Errorf("filed under daily/daily/: %q", keys)
	}
	if stdout, _, _ := runCLI(t, environ, "audit", "--project", "rref"); !strings.Contains(stdout, res.AuditID) {
		t.Errorf("audit --project rref does not list %s:\n%s", res.AuditID, stdout)
	}
}
