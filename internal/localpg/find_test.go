package localpg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeServer puts fake programs named names into dir (under root).
func fakeServer(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	at := func(p string) string { return filepath.Join(root, p) }
	// Debian's versions, the newest without pg_ctl (a broken install).
	fakeServer(t, at("usr/lib/postgresql/9.6/bin"), "initdb", "pg_ctl")
	fakeServer(t, at("usr/lib/postgresql/14/bin"), "initdb", "pg_ctl")
	fakeServer(t, at("usr/lib/postgresql/17/bin"), "initdb")
	// Homebrew's, elsewhere in the order.
	fakeServer(t, at("opt/homebrew/opt/postgresql@16/bin"), "initdb", "pg_ctl")

	// A real server elsewhere, linked from a directory on PATH as
	// Debian's /usr/local/bin does.
	real := fakeServer(t, at("srv/pg/bin"), "initdb", "pg_ctl", "pg_dump")
	linked := filepath.Join(t.TempDir(), "bin")
	os.Mkdir(linked, 0o755)
	for _, n := range []string{"initdb", "pg_ctl"} {
		if err := os.Symlink(filepath.Join(real, n), filepath.Join(linked, n)); err != nil {
			t.Fatal(err)
		}
	}
	onlyInitdb := fakeServer(t, filepath.Join(t.TempDir(), "bin"), "initdb")
	notExecutable := fakeServer(t, filepath.Join(t.TempDir(), "bin"))
	for _, n := range []string{"initdb", "pg_ctl"} {
		os.WriteFile(filepath.Join(notExecutable, n), []byte("#!/bin/sh\n"), 0o644)
	}
	both := fakeServer(t, filepath.Join(t.TempDir(), "bin"), "initdb", "pg_ctl")
	relative, _ := filepath.Rel(mustGetwd(t), both)

	list := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }
	for _, tc := range []struct {
		name, path, root, want string
	}{
		{"on PATH", list(t.TempDir(), both), root, both},
		{"linked from PATH: the real directory", list(linked, both), root, real},
		{"PATH without pg_ctl beside initdb: the install directories", list(onlyInitdb), root, at("usr/lib/postgresql/14/bin")},
		{"not executable", list(notExecutable), root, at("usr/lib/postgresql/14/bin")},
		{"a relative PATH entry is not searched", list(relative, "", "."), root, at("usr/lib/postgresql/14/bin")},
		{"no PATH", "", root, at("usr/lib/postgresql/14/bin")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindBinDir(tc.path, tc.root)
			if err != nil || got != tc.want {
				t.Errorf("FindBinDir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	t.Run("Homebrew, the newest version", func(t *testing.T) {
		root := t.TempDir()
		at := func(p string) string { return filepath.Join(root, p) }
		fakeServer(t, at("opt/homebrew/opt/postgresql@9.6/bin"), "initdb", "pg_ctl")
		fakeServer(t, at("opt/homebrew/opt/postgresql@17/bin"), "initdb", "pg_ctl")
		fakeServer(t, at("opt/homebrew/opt/postgresql@16/bin"), "initdb", "pg_ctl")
		if got, err := FindBinDir("", root); err != nil || got != at("opt/homebrew/opt/postgresql@17/bin") {
			t.Errorf("FindBinDir = %q, %v", got, err)
		}
	})
	t.Run("Postgres.app: versions before latest", func(t *testing.T) {
		root := t.TempDir()
		at := func(p string) string { return filepath.Join(root, p) }
		fakeServer(t, at("Applications/Postgres.app/Contents/Versions/latest/bin"), "initdb", "pg_ctl")
		fakeServer(t, at("Applications/Postgres.app/Contents/Versions/15/bin"), "initdb", "pg_ctl")
		if got, err := FindBinDir("", root); err != nil || got != at("Applications/Postgres.app/Contents/Versions/15/bin") {
			t.Errorf("FindBinDir = %q, %v", got, err)
		}
	})
	t.Run("none", func(t *testing.T) {
		got, err := FindBinDir(list(onlyInitdb), t.TempDir())
		if !errors.Is(err, ErrNotFound) || got != "" {
			t.Fatalf("FindBinDir = %q, %v; want ErrNotFound", got, err)
		}
		for _, want := range []string{"PATH", "/usr/lib/postgresql/*/bin", "/opt/homebrew/opt/postgresql@*/bin", "install"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say %q: %v", want, err)
			}
		}
	})
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
