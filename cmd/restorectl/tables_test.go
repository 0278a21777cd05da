package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

const sampleStore = "../../internal/sample/store"

func TestTablesCommand(t *testing.T) {
	file := filepath.Join(sampleStore, "demo", "20261122T030000Z.sql.gz")
	stdout, stderr, code := runCLI(t, nil, "tables", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^public\.orders +table +37 +`).MatchString(stdout) {
		t.Errorf("no line for public.orders with 37 rows:\n%s", stdout)
	}

	// The same snapshot by REF@TIME, flags after the argument, as JSON.
	stdout, stderr, code = runCLI(t, map[string]string{"RESTORECTL_STORE": sampleStore}, "tables", "demo@2026-11-22 12:00", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []struct {
		Schema, Name, Kind string
		Rows, Bytes        int64
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	found := false
	for _, r := range rows {
		if r.Schema == "public" && r.Name == "orders" {
			found = r.Rows == 37 && r.Bytes > 0 && r.Kind == "table"
		}
	}
	if len(rows) != 5 || !found {
		t.Errorf("tables --json = %+v", rows)
	}
}

// A truncated or corrupt snapshot is an error naming the snapshot and the
// byte offset, with exit status 1.
func TestTablesDamagedSnapshot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sampleStore, "demo", "20261122T030000Z.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.sql.gz")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-6] ^= 0xff // inside the CRC-32 / size trailer
	corrupt := filepath.Join(dir, "corrupt.sql.gz")
	os.WriteFile(corrupt, flipped, 0o644)

	for _, file := range []string{truncated, corrupt} {
		_, stderr, code := runCLI(t, nil, "tables", file)
		if code != exitFailure || !strings.Contains(stderr, file) || !regexp.MustCompile(`damaged dump at byte \d+`).MatchString(stderr) {
			t.Errorf("tables %s: exit %d, stderr %q", filepath.Base(file), code, stderr)
		}
	}
}

func TestTablesUsage(t *testing.T) {
	for _, args := range [][]string{{"tables"}, {"tables", "a.sql.gz", "b.sql.gz"}, {"tables", "no-such-file.sql.gz"}, {"tables", "demo@yesterday"}} {
		_, stderr, code := runCLI(t, nil, args...)
		if code == exitOK || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// readTOC returns a snapshot's table of contents: from its sidecar index
// alone when it has one that matches the object, otherwise by scanning the
// whole snapshot. Notes about an unusable index go to the stderr carried by
// ctx (withStderr), or os.Stderr.
func readTOC(ctx context.Context, snap catalog.Resolved) (*extract.TOC, error) {
	src, err := openSnapshotSource(ctx, snap, false)
	if err != nil {
		return nil, err
	}
	return src.TOC(), nil
}
