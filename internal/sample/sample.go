// Package sample ships the sample store inside the binary: three daily
// snapshots of a small platform-like project, "demo" (real pg_dump output,
// gzipped; make-store.sh regenerates them), for `restorectl demo`, the
// README's quick start and the tests.
package sample

import (
	"bytes"
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

// Install makes dir hold the sample store, creating it if need be, and
// keeps what else it holds: the audit records and safety snapshots of
// earlier demos, which their undo commands need. A snapshot is written
// only when dir lacks it or holds another version of it (from an older
// restorectl), through a temporary file renamed into place, so that demos
// started at the same time never read half a file.
func Install(dir string) error {
	return fs.WalkDir(files, "store", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("store", filepath.FromSlash(name))
		dst := filepath.Join(dir, rel)
		data, err := files.ReadFile(name)
		if err != nil {
			return fmt.Errorf("install the sample store: %w", err)
		}
		if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, data) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("install the sample store into %s: %w", dir, err)
		}
		if err := writeFileAtomic(dst, data); err != nil {
			return fmt.Errorf("install the sample store into %s: %w", dir, err)
		}
		return nil
	})
}

// writeFileAtomic writes data to path through a temporary file beside it.
// The temporary file's name starts with "." and holds ".partial-", as the
// local store's own partial writes do, so that no listing takes it for a
// snapshot.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
