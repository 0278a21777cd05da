package sample

import (
	"context"
	"os"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
)

// The unpacked store lists the demo project's three snapshots, and is
// writable (restores record themselves in it).
func TestUnpack(t *testing.T) {
	dir, err := Unpack(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := catalog.ListSnapshots(context.Background(), st, Project)
	if err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots of %s: %v (%v)", Project, snaps, err)
	}
	if err := os.WriteFile(dir+"/probe", nil, 0o644); err != nil {
		t.Errorf("the unpacked store is not writable: %v", err)
	}
}
