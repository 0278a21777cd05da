package dump

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// secret is the password put into every test database URL; trust auth
// ignores it, and it must never show anywhere.
const secret = "s3cr3tpw"

var fixedTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// withPassword adds secret to a testenv URL (postgres://postgres@host...).
func withPassword(url string) string {
	return strings.Replace(url, "postgres://postgres@", "postgres://postgres:"+secret+"@", 1)
}

// localStore is a fresh local store in a temp dir.
func localStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listKeys lists every object in the store.
func listKeys(t *testing.T, s catalog.Store) []string { return storetest.Keys(t, s, "") }

// fakePgDump writes an executable shell script standing in for pg_dump.
func fakePgDump(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pg_dump")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertNoSecret fails if the secret appears in any of texts.
func assertNoSecret(t *testing.T, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("password appears in %s: %s", where, s)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
