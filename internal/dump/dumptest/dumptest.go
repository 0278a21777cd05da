// Package dumptest holds what the tests of dump and of the backup job built
// on it share: a password that must never show, a fixed snapshot time, and
// a stand-in pg_dump.
package dumptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Secret is the password put into every test database URL; trust auth
// ignores it, and it must never show anywhere.
const Secret = "s3cr3tpw"

// FixedTime is the snapshot time of tests that need a fixed one.
var FixedTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// WithPassword adds Secret to a testenv URL (postgres://postgres@host...).
func WithPassword(url string) string {
	return strings.Replace(url, "postgres://postgres@", "postgres://postgres:"+Secret+"@", 1)
}

// FakePgDump writes an executable shell script standing in for pg_dump.
func FakePgDump(t testing.TB, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pg_dump")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// AssertNoSecret fails if Secret appears in any of texts.
func AssertNoSecret(t testing.TB, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, Secret) {
			t.Errorf("password appears in %s: %s", where, s)
		}
	}
}
