package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
)

// sharedTempDir is a temporary directory that PostgreSQL's server may
// enter: when the tests run as root it runs as the postgres user, whom
// t.TempDir's directories keep out.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "restorectl-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoFlags are the demo's flags as runDemo sets them, with args.
func demoFlags(t *testing.T, args ...string) consoleFlags {
	t.Helper()
	fs := newFlagSet("demo", "", env{stderr: io.Discard})
	cf := addConsoleFlags(fs)
	if err := fs.Parse(append([]string{"--at", "2026-11-21 14:05"}, args...)); err != nil {
		t.Fatal(err)
	}
	return cf
}

// Without a PostgreSQL that starts, the demo runs without a database and
// says why, before the console and on its mode screen; with --target or
// --admin-url it uses those and starts none.
func TestDemoDatabaseUnavailable(t *testing.T) {
	store, err := catalog.NewLocal(sampleStore)
	if err != nil {
		t.Fatal(err)
	}
	// A server that fails: initdb complains.
	failing := sharedTempDir(t)
	os.WriteFile(filepath.Join(failing, "initdb"), []byte("#!/bin/sh\necho 'initdb: cannot create the cluster' >&2\nexit 1\n"), 0o755)
	os.WriteFile(filepath.Join(failing, "pg_ctl"), []byte("#!/bin/sh\nexit 1\n"), 0o755)
	tmp := sharedTempDir(t)
	t.Setenv("TMPDIR", tmp)

	for _, tc := range []struct {
		name, path string
		args       []string
		why        string
		stderr     []string
	}{
		{"no PostgreSQL", "", nil, "the demo found no PostgreSQL on this machine",
			[]string{"restorectl demo: no PostgreSQL server found: initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin", "restores nothing"}},
		{"PostgreSQL fails", failing, nil, "the demo's PostgreSQL did not start: create a PostgreSQL cluster",
			[]string{"restorectl demo: starting a throwaway PostgreSQL (" + failing + ")", "initdb: cannot create the cluster", "restores nothing"}},
		{"--target given", failing, []string{"--target", "postgres://db/{ref}"}, "", nil},
		{"--admin-url given", failing, []string{"--admin-url", "postgres://db/postgres"}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := demoFlags(t, tc.args...)
			target, admin := *cf.target, *cf.adminURL
			var stderr bytes.Buffer
			e := env{stdout: io.Discard, stderr: &stderr, getenv: func(k string) string {
				if k == "PATH" {
					return tc.path
				}
				return ""
			}}
			c, why, err := cf.demoDatabase(t.Context(), store, t.TempDir(), e)
			if c != nil || err != nil {
				t.Fatalf("demoDatabase = %v, %v; want no cluster and no error", c, err)
			}
			if tc.why == "" && why != "" || !strings.HasPrefix(why, tc.why) {
				t.Errorf("why = %q, want %q…", why, tc.why)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if tc.stderr == nil && stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
			if *cf.target != target || *cf.adminURL != admin || *cf.pgDump != "" {
				t.Errorf("the flags changed: --target %q, --admin-url %q, --pg-dump %q", *cf.target, *cf.adminURL, *cf.pgDump)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "restorectl-pg-*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
