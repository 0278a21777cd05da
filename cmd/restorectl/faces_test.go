package main

import (
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
	"github.com/powabase/restorectl/internal/ui"
)

// TestFacesPlanAlike: the same ticket planned on both faces, the command
// line's `restore --dry-run` and the console's backend as its confirm
// screen calls it, gives the same plan, line for line, in every mode the
// console offers on a project's database. Both are ticket.Service; this
// is what keeps them one.
func TestFacesPlanAlike(t *testing.T) {
	f := newRestoreFixture(t, 2000)
	store, err := catalog.NewLocal(f.store)
	if err != nil {
		t.Fatal(err)
	}
	backend := ui.NewStoreBackend(&ticket.Service{Store: store, TargetTemplate: f.targetURL, Operator: "tester"})
	_, at, _ := strings.Cut(f.snap, "@")
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := backend.Snapshots(t.Context(), f.ref, when)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v, %v", snaps, err)
	}
	snap := snaps[0].Snapshot
	if _, err := backend.Open(t.Context(), snap, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		mode          apply.Mode
		updateChanged bool
	}{
		{"overwrite", apply.Overwrite, false},
		{"merge", apply.Merge, false},
		{"merge, update changed", apply.Merge, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := f.args("--table", "public.small", "--mode", string(tc.mode), "--dry-run")
			if tc.updateChanged {
				args = append(args, "--update-changed")
			}
			stdout, stderr, code := runCLI(t, f.environ, args...)
			if code != 0 {
				t.Fatalf("restore --dry-run: exit %d: %s", code, stderr)
			}
			cli, _, _ := strings.Cut(stdout, "\nDry run:")

			plan, err := backend.Plan(t.Context(), ui.RestoreRequest{Mode: tc.mode, Snapshot: snap, Tables: []extract.Name{{Schema: "public", Name: "small"}},
				Project: f.ref, UpdateChanged: tc.updateChanged})
			if err != nil {
				t.Fatal(err)
			}
			var console strings.Builder
			if err := ticket.WritePlan(&console, plan); err != nil {
				t.Fatal(err)
			}
			if cli != console.String() {
				t.Errorf("the faces plan differently:\n--- command line\n%s\n--- console\n%s", cli, console.String())
			}
			if !strings.Contains(cli, "public.small") || (tc.mode == apply.Merge && !strings.Contains(cli, "missing")) {
				t.Errorf("the plan does not show the table's counts:\n%s", cli)
			}
		})
	}
}
