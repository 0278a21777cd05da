package apply

import (
	"errors"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
)

// One restore touches one project: a snapshot of another project than the
// restore's is refused before anything happens (no audit record either)
// unless IntoOtherProject; the record of one let through keeps both refs.
func TestAuditOtherProject(t *testing.T) {
	tests := []struct {
		name            string
		mode            Mode
		snapshotProject string
		into, dryRun    bool
		refused         bool   // an *OtherProjectError
		wantErr         string // another validation error
	}{
		{"same project", Overwrite, "abcd1234", false, false, false, ""},
		{"unknown project (a local file)", Overwrite, "", false, false, false, ""},
		{"other project", Overwrite, "efgh5678", false, false, true, ""},
		{"other project, merge", Merge, "efgh5678", false, false, true, ""},
		{"other project, new project", NewProject, "efgh5678", false, false, true, ""},
		{"other project, dry run", Overwrite, "efgh5678", false, true, true, ""},
		{"other project asked for", Overwrite, "efgh5678", true, false, false, ""},
		{"other project asked for, new project", NewProject, "efgh5678", true, false, false, ""},
		{"asked for, same project", Overwrite, "abcd1234", true, false, false, ""},
		{"invalid snapshot project", Overwrite, "../etc", false, false, false, "the snapshot's project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := auditRequest()
			req.Mode, req.SnapshotProject, req.IntoOtherProject, req.DryRun = tt.mode, tt.snapshotProject, tt.into, tt.dryRun
			cfg := Config{Store: auditFailingStore{}}
			if tt.mode == NewProject {
				req.Database, req.Target = "abcd1234-restore", ""
				cfg.Provisioner = &PostgresProvisioner{}
			}
			err := req.validate(cfg)
			var other *OtherProjectError
			switch {
			case tt.refused:
				if !errors.As(err, &other) {
					t.Fatalf("validate = %v, want an *OtherProjectError", err)
				}
				if other.SnapshotProject != "efgh5678" || other.Project != "abcd1234" || other.Snapshot != req.Source.Name {
					t.Errorf("refusal %+v", other)
				}
				for _, want := range []string{"efgh5678", "abcd1234", req.Source.Name, "nothing was changed"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("refusal %q does not say %q", err, want)
					}
				}
			case tt.wantErr != "":
				if err == nil || errors.As(err, &other) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("validate = %v, want an error saying %q", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("validate = %v, want nil", err)
			}

			// Run refuses it the same way, before writing any record.
			local, lerr := catalog.NewLocal(t.TempDir())
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tt.refused {
				cfg.Store = local
				res, err := Run(t.Context(), cfg, req)
				if !errors.As(err, &other) || res != nil {
					t.Errorf("Run = %v, %v; want the refusal", res, err)
				}
				if keys := storetest.Keys(t, local, ""); len(keys) != 0 {
					t.Errorf("the refused restore left %q in the store", keys)
				}
				return
			}
			if err != nil {
				return
			}
			// The record names both projects.
			key, err := writeRecord(t.Context(), local, newRecord(req, auditTime))
			if err != nil {
				t.Fatal(err)
			}
			m, _ := auditRawRecord(t, local, key)
			if m["project"] != "abcd1234" || m["snapshot_project"] != tt.snapshotProject {
				t.Errorf("record: project %v, snapshot_project %v; want abcd1234 and %q", m["project"], m["snapshot_project"], tt.snapshotProject)
			}
			if got, _ := m["into_other_project"].(bool); got != tt.into {
				t.Errorf("record: into_other_project %v, want %v", m["into_other_project"], tt.into)
			}
		})
	}
}
