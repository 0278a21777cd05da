// Package sample ships the sample store inside the binary: three daily
// snapshots of a small platform-like project, "demo" (real pg_dump output,
// gzipped; make-store.sh regenerates them), for `restorectl demo`, the
// README's quick start and the tests.
package sample

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Only the snapshots: audit records a local run may have left are not shipped.
//
//go:embed store/*/*.sql.gz
var files embed.FS

// Project is the sample store's project ref.
const Project = "demo"

// Unpack writes the sample store into a new directory under dir (the
// system's temporary directory when empty) and returns it: restores from
// the demo write their audit records next to the snapshots, so the store
// must be a writable directory. The caller removes it.
func Unpack(dir string) (string, error) {
	root, err := os.MkdirTemp(dir, "restorectl-demo-")
	if err != nil {
		return "", fmt.Errorf("unpack the sample store: %w", err)
	}
	store, _ := fs.Sub(files, "store")
	if err := os.CopyFS(root, store); err != nil {
		os.RemoveAll(root)
		return "", fmt.Errorf("unpack the sample store into %s: %w", root, err)
	}
	return filepath.Clean(root), nil
}
