package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/ticket"
)

// TestStoreBackendOneProject: the console tells apply whose snapshot it
// restores, so that a snapshot of another project than the ticket's is
// refused before anything is written, in every mode and in the preview's
// plan.
func TestStoreBackendOneProject(t *testing.T) {
	dir := t.TempDir()
	const key = "demo/20261121T030000Z.sql.gz"
	data, err := os.ReadFile(filepath.Join("../sample/store", key))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "demo"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, key), data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := NewStoreBackend(&ticket.Service{Store: st, TargetTemplate: "postgres://u@127.0.0.1:1/{ref}", AdminURL: "postgres://u@127.0.0.1:1/postgres"})
	snaps, err := b.Snapshots(context.Background(), "demo", tablesNow)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v, %v", snaps, err)
	}
	toc, err := b.Open(context.Background(), snaps[0].Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		mode    apply.Mode
		plan    bool
		project string
	}{
		{"new project", apply.NewProject, false, "other"},
		{"overwrite", apply.Overwrite, false, "other"},
		{"merge", apply.Merge, false, "other"},
		{"preview's plan", apply.Overwrite, true, "other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := RestoreRequest{Mode: tt.mode, Snapshot: snaps[0].Snapshot, TOC: toc, Tables: nil,
				Project: tt.project, Ticket: "T-1", Database: "other_np"}
			req.Tables = append(req.Tables, toc.Tables[0].Name)
			if tt.plan {
				_, err = b.Plan(context.Background(), req)
			} else {
				_, err = b.Restore(context.Background(), req, nil)
			}
			var other *apply.OtherProjectError
			if !errors.As(err, &other) || other.SnapshotProject != "demo" || other.Project != "other" {
				t.Errorf("err = %v, want the refusal of demo's snapshot in project other", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "other")); len(entries) != 0 {
				t.Errorf("the refused restore wrote into other/: %v", entries)
			}
		})
	}
}
