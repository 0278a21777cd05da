package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

// craftedSnapshot writes a snapshot holding a statement pg_dump never
// writes, COPY ... FROM PROGRAM touching marker, as dir/demo/<ts>.sql and
// .sql.gz. It returns both paths and the statement's byte offset.
func craftedSnapshot(t *testing.T, dir, marker string) (plain, gz string, offset int) {
	t.Helper()
	prelude := "--\n-- PostgreSQL database dump\n--\n\n" +
		"SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n" +
		"SELECT pg_catalog.set_config('search_path', '', false);\n\n" +
		"--\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE public.t (\n    id integer\n);\n\n" +
		"--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n"
	text := prelude + "COPY public.t (id) FROM PROGRAM 'touch " + marker + "';\n\n" +
		"COPY public.t (id) FROM stdin;\n1\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
	if err := os.MkdirAll(filepath.Join(dir, "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain = filepath.Join(dir, "demo", "20261122T030000Z.sql")
	gz = plain + ".gz"
	if err := os.WriteFile(plain, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(gz, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(text))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return plain, gz, len(prelude)
}

// TestVocabularyRefusedByCommands: a .sql or .sql.gz snapshot holding COPY
// ... FROM PROGRAM is refused by extract, tables and a new-project restore,
// with the statement's offset, and the program never runs.
func TestVocabularyRefusedByCommands(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dir := t.TempDir()
	// The cluster runs as the postgres user: a place it could write to.
	markerDir, err := os.MkdirTemp("", "restorectl-vocab-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(markerDir)
	os.Chmod(markerDir, 0o777)
	marker := filepath.Join(markerDir, "program-ran")
	plain, gz, off := craftedSnapshot(t, dir, marker)
	want := fmt.Sprintf("snapshot statement at byte %d is not something pg_dump writes (COPY ... FROM PROGRAM)", off)

	check := func(t *testing.T, args ...string) {
		t.Helper()
		stdout, stderr, code := runCLI(t, nil, args...)
		if code == exitOK || !strings.Contains(stderr, want) || !strings.Contains(stderr, "refusing the snapshot") {
			t.Errorf("%q: exit %d, stderr %q; want a failure saying %q", args, code, stderr, want)
		}
		if strings.Contains(stdout, "PROGRAM") {
			t.Errorf("%q: stdout holds the forbidden statement:\n%s", args, stdout)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%q: the program ran", args)
		}
	}
	out := filepath.Join(t.TempDir(), "script.sql")
	for _, snap := range []string{plain, gz} {
		t.Run(filepath.Base(snap), func(t *testing.T) {
			check(t, "extract", snap, "--table", "public.t")
			check(t, "extract", snap, "--table", "public.t", "-o", out)
			check(t, "extract", snap, "--table", "public.t", "--dry-run")
			check(t, "tables", snap)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("extract -o left %s behind", out)
			}
		})
	}

	t.Run("restore new-project", func(t *testing.T) {
		name := fmt.Sprintf("vocab_np_%d", os.Getpid())
		check(t, "restore", gz, "--project", "demo", "--all", "--store", t.TempDir(),
			"--admin-url", pg.URL("postgres"), "--new-project", name, "--ticket", "T-1")
		conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname LIKE $1", name+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d databases named %s*: the refused restore created one", n, name)
		}
	})
}
