package sample

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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

// Install creates the store, and on a second run keeps what restores left
// in it (their undo needs it) while putting back a snapshot that differs.
func TestInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "demo-store")
	if err := Install(dir); err != nil {
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
	audit := filepath.Join(dir, Project, "audit", "record.json")
	if err := os.MkdirAll(filepath.Dir(audit), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(audit, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, filepath.FromSlash(snaps[0].Key))
	want, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snap, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(snap); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s not put back (%v)", snap, err)
	}
	if _, err := os.Stat(audit); err != nil {
		t.Errorf("the second Install removed what a restore left: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, Project))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file is left: %s", e.Name())
		}
	}
}
