package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

func TestExtractCommand(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	dir := t.TempDir()

	// To stdout: the script, the dropped foreign key on stderr.
	script, stderr, code := runCLI(t, nil, "extract", d.GzipPath, "--table", "public.orders")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"BEGIN;\n", "CREATE TABLE public.orders (", "COPY public.orders ", "CREATE TYPE public.order_status", "COMMIT;\n"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if strings.Contains(script, "CREATE TABLE public.profiles") || strings.Contains(script, `\restrict`) {
		t.Errorf("script holds another table or the dump's \\restrict")
	}
	wantFK := "left out: FOREIGN KEY orders_customer_id_fkey on public.orders references public.profiles, which is not selected"
	if !strings.Contains(stderr, wantFK) {
		t.Errorf("stderr %q lacks %q", stderr, wantFK)
	}
	plain := filepath.Join(dir, "orders.sql")
	os.WriteFile(plain, []byte(script), 0o644)
	db, _ := pg.CreateDatabase(t)
	pg.LoadScript(t, db, plain)
	if got, want := pg.TableChecksum(t, db, "public.orders"), pg.TableChecksum(t, d.Database, "public.orders"); got != want {
		t.Errorf("checksum %s, source %s", got, want)
	}

	// To a .gz file: the same text, compressed, and nothing else left in dir.
	gz := filepath.Join(dir, "orders.sql.gz")
	if _, stderr, code := runCLI(t, nil, "extract", "--table=orders", d.GzipPath, "-o", gz); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, []byte(script)) {
		t.Errorf("the .gz file holds %d bytes, stdout had %d", len(unzipped), len(script))
	}
	assertFiles(t, dir, "orders.sql", "orders.sql.gz")

	// Several tables, comma-separated and repeated.
	out, stderr, code := runCLI(t, nil, "extract", d.GzipPath, "--table", "public.orders,profiles", "--table", "auth.users", "--schema-only")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "CREATE TABLE auth.users") || strings.Contains(out, "COPY ") || strings.Contains(stderr, "left out") {
		t.Errorf("--schema-only of three tables: stderr %q, script:\n%s", stderr, out)
	}
}

func TestExtractDryRun(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "partitions")[0]
	dir := t.TempDir()

	out, stderr, code := runCLI(t, nil, "extract", d.GzipPath, "--table", "public.measurements", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"nothing written", "public.measurements_2024", "archive.measurements_old", "statements",
		"left out: FOREIGN KEY measurements_device_fkey on public.measurements references public.devices, which is not selected"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}

	out, stderr, code = runCLI(t, nil, "extract", d.GzipPath, "--table", "public.cars", "--dry-run", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Snapshot string
		Mode     string
		Tables   []struct {
			Schema, Name, Kind string
			Rows, Bytes        int64
			DefinitionOnly     bool `json:"definition_only"`
		}
		Statements int
		Rows       int64
		DroppedFKs []struct{ Name, Table string } `json:"dropped_foreign_keys"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Mode != "schema+data" || rep.Statements == 0 || rep.Rows != 2 || len(rep.Tables) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if c, v := rep.Tables[0], rep.Tables[1]; c.Name != "cars" || c.Rows != 2 || c.DefinitionOnly || v.Name != "vehicles" || !v.DefinitionOnly {
		t.Errorf("tables %+v", rep.Tables)
	}
	if !strings.Contains(stderr, "public.vehicles is not selected but comes as a definition only") {
		t.Errorf("stderr %q", stderr)
	}
	assertFiles(t, dir)
}

func TestExtractErrors(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	dir := t.TempDir()
	data, err := os.ReadFile(d.GzipPath)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.sql.gz")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	out := filepath.Join(dir, "out.sql")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown table", []string{"extract", d.GzipPath, "--table", "public.ordrs"}, exitFailure, "no table public.ordrs in the snapshot; did you mean public.orders"},
		{"ambiguous", []string{"extract", d.GzipPath, "--table", "items"}, exitFailure, "it is public.items or storage.items"},
		{"empty schema", []string{"extract", d.GzipPath, "--table", "nope.*"}, exitFailure, "no table in schema nope"},
		{"bad name", []string{"extract", d.GzipPath, "--table", `"unterminated`}, exitUsage, "unterminated quoted name"},
		{"damaged", []string{"extract", truncated, "--table", "public.orders", "-o", out}, exitFailure, "damaged dump at byte"},
		{"no table", []string{"extract", d.GzipPath}, exitUsage, "--table is required"},
		{"both modes", []string{"extract", d.GzipPath, "--table", "a", "--schema-only", "--data-only"}, exitUsage, "exclude each other"},
		{"json alone", []string{"extract", d.GzipPath, "--table", "a", "--json"}, exitUsage, "--json applies to --dry-run only"},
		{"no snapshot", []string{"extract", "--table", "a"}, exitUsage, "want 1 argument"},
		{"empty name", []string{"extract", d.GzipPath, "--table", "a,,b"}, exitUsage, "empty table name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			assertFiles(t, dir, "truncated.sql.gz")
		})
	}
}

// TestExtractOutputRemovedOnFailure: when the second pass fails (the
// snapshot changed since its table of contents was read, or the run was
// cancelled), no output file is left behind, not even a partial one.
func TestExtractOutputRemovedOnFailure(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dumps := pg.Corpus(t, "platform", "shapes")
	dir := t.TempDir()
	snapFile := filepath.Join(dir, "snap.sql.gz")
	copyFile(t, dumps[0].GzipPath, snapFile)
	e := env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, environ: os.Environ}
	store, tz := "", "UTC"
	snap, err := snapshotFlags{store: &store, tz: &tz}.resolve(t.Context(), snapFile, e)
	if err != nil {
		t.Fatal(err)
	}
	toc, err := readTOC(t.Context(), snap)
	if err != nil {
		t.Fatal(err)
	}
	names, err := toc.Resolve([]string{"public.events"})
	if err != nil {
		t.Fatal(err)
	}
	sel := toc.Select(names)
	out := filepath.Join(dir, "out.sql.gz")

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := mustOpen(t, snap).Export(cancelled, out, sel, extract.SchemaAndData); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	assertFiles(t, dir, "snap.sql.gz")

	copyFile(t, dumps[1].GzipPath, snapFile) // another dump in its place
	var changed *extract.ChangedError
	if _, _, err := mustOpen(t, snap).Export(t.Context(), out, sel, extract.SchemaAndData); !errors.As(err, &changed) {
		t.Errorf("changed snapshot: %v", err)
	}
	assertFiles(t, dir, "snap.sql.gz")
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertFiles checks that dir holds exactly the named files.
func assertFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// mustOpen opens snap to scan it, reading nothing yet.
func mustOpen(t *testing.T, snap catalog.Resolved) *ticket.Snapshot {
	t.Helper()
	s, err := ticket.Open(t.Context(), snap, ticket.OpenOptions{NoIndex: true, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
