package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// sampleCopy copies the sample store's snapshots into a temp dir (the
// repository's files are never modified) and returns it.
func sampleCopy(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.CopyFS(dir, os.DirFS(sampleStore)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestIndexCommand(t *testing.T) {
	store := sampleCopy(t)
	file := filepath.Join(store, "demo", "20261122T030000Z.sql.gz")
	scanned, stderr, code := runCLI(t, nil, "tables", file, "--json")
	if code != exitOK {
		t.Fatalf("tables: exit %d: %s", code, stderr)
	}

	stdout, stderr, code := runCLI(t, nil, "index", file)
	if code != exitOK {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1 gzip member ") || !strings.Contains(stdout, "20261122T030000Z.sql.gz.index.json") {
		t.Errorf("index printed %q", stdout)
	}
	sidecar := file + catalog.IndexSuffix
	if _, err := os.Stat(sidecar); err != nil {
		t.Fatalf("no sidecar next to the file: %v", err)
	}

	// tables answers the same from the index, without a note.
	indexed, stderr, code := runCLI(t, nil, "tables", file, "--json")
	if code != exitOK || stderr != "" || indexed != scanned {
		t.Errorf("tables with the index: exit %d, stderr %q, output differs: %v", code, stderr, indexed != scanned)
	}
	// The same by REF@TIME through the store: stderr says which snapshot
	// the time picked, and nothing more.
	byRef, stderr, code := runCLI(t, map[string]string{"RESTORECTL_STORE": store}, "tables", "demo@2026-11-22 12:00", "--json")
	if code != exitOK || !regexp.MustCompile(`^snapshot: demo/\S+\.sql\.gz \([^)]*\)\n$`).MatchString(stderr) || byRef != scanned {
		t.Errorf("tables REF@TIME with the index: exit %d, stderr %q", code, stderr)
	}
	// The snapshot listing sees the index.
	stdout, _, _ = runCLI(t, map[string]string{"RESTORECTL_STORE": store}, "snapshots", "--project", "demo", "--json")
	if strings.Count(stdout, `"indexed": true`) != 1 {
		t.Errorf("snapshots --json does not show exactly one indexed snapshot: %s", stdout)
	}

	// Proof that tables used the index: an index that lies about the
	// contents (same size) is believed.
	ix := readIndexFile(t, sidecar)
	ix.Tables[0].Rows = 999 // informational only: TOC rebuilds tables from entries
	for i := range ix.Entries {
		if ix.Entries[i].Kind == "copy" && ix.Entries[i].Class.Name == "orders" {
			ix.Entries[i].Rows = 4242
		}
	}
	writeIndexFile(t, sidecar, ix)
	stdout, _, code = runCLI(t, nil, "tables", file)
	if code != exitOK || !strings.Contains(stdout, "4,242") {
		t.Errorf("tables did not answer from the index:\n%s", stdout)
	}

	// Replace the object with another of a different size: the index no
	// longer matches, tables says so on stderr and scans.
	other, err := os.ReadFile(filepath.Join(store, "demo", "20261121T030000Z.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(file); fi.Size() == int64(len(other)) {
		t.Fatal("the sample snapshots have the same size; the test needs another")
	}
	os.WriteFile(file, other, 0o644)
	want, _, _ := runCLI(t, nil, "tables", filepath.Join(store, "demo", "20261121T030000Z.sql.gz"))
	stdout, stderr, code = runCLI(t, nil, "tables", file)
	if code != exitOK || stdout != want || strings.Contains(stdout, "4242") {
		t.Errorf("tables after the object changed: exit %d\n%s\nwant\n%s", code, stdout, want)
	}
	if !strings.Contains(stderr, "index does not match the snapshot (size/ETag differ): scanning") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line saying the index does not match", stderr)
	}

	// Re-indexing fixes it.
	if _, stderr, code := runCLI(t, nil, "index", file); code != exitOK {
		t.Fatalf("index again: exit %d: %s", code, stderr)
	}
	if stdout, stderr, _ := runCLI(t, nil, "tables", file); stdout != want || stderr != "" {
		t.Errorf("tables after re-indexing: %q, stderr %q", stdout, stderr)
	}
}

// A damaged or unknown-format index is ignored with a warning: tables
// scans and gives the right answer.
func TestTablesBadIndex(t *testing.T) {
	store := sampleCopy(t)
	file := filepath.Join(store, "demo", "20261122T030000Z.sql.gz")
	want, _, _ := runCLI(t, nil, "tables", file)
	if _, stderr, code := runCLI(t, nil, "index", file); code != exitOK {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	sidecar := file + catalog.IndexSuffix
	good, _ := os.ReadFile(sidecar)
	for name, content := range map[string]string{
		"garbage":   "{not json",
		"truncated": string(good[:len(good)/2]),
		"newer":     strings.Replace(string(good), `"format":1`, `"format":7`, 1),
	} {
		os.WriteFile(sidecar, []byte(content), 0o644)
		stdout, stderr, code := runCLI(t, nil, "tables", file)
		if code != exitOK || stdout != want {
			t.Errorf("%s: exit %d, output\n%s\nwant\n%s", name, code, stdout, want)
		}
		if !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, "scanning") || !strings.Contains(stderr, "unknown index format") {
			t.Errorf("%s: stderr %q", name, stderr)
		}
	}
}

func TestIndexCommandErrors(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.sql")
	os.WriteFile(plain, []byte("SELECT 1;\n"), 0o644)
	damaged := filepath.Join(dir, "damaged.sql.gz")
	data, _ := os.ReadFile(filepath.Join(sampleStore, "demo", "20261122T030000Z.sql.gz"))
	os.WriteFile(damaged, data[:len(data)/2], 0o644)
	for _, args := range [][]string{{"index"}, {"index", plain}, {"index", damaged}, {"index", "no-such.sql.gz"}} {
		_, stderr, code := runCLI(t, nil, args...)
		if code == exitOK || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(damaged + catalog.IndexSuffix); err == nil {
		t.Error("an index was written for a damaged snapshot")
	}
}

// countingStore counts the bytes read from the objects of a Store.
type countingStore struct {
	catalog.Store
	read  atomic.Int64
	opens map[string]int
}

func (s *countingStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	s.opens[key]++
	rc, err := s.Store.Open(ctx, key)
	return s.wrap(rc, err)
}

func (s *countingStore) OpenRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	s.opens[key]++
	rc, err := s.Store.OpenRange(ctx, key, off, n)
	return s.wrap(rc, err)
}

func (s *countingStore) wrap(rc io.ReadCloser, err error) (io.ReadCloser, error) {
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{readCounter{rc, &s.read}, rc}, nil
}

type readCounter struct {
	r io.Reader
	n *atomic.Int64
}

func (c readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// indexedSample indexes a copy of a sample snapshot and returns a counting
// store over it, the key and the sidecar's size.
func indexedSample(tb testing.TB) (*countingStore, string, int64) {
	store := sampleCopy(tb)
	key := "demo/20261122T030000Z.sql.gz"
	var out bytes.Buffer
	e := env{stdout: &out, stderr: &out, getenv: func(string) string { return "" }, environ: os.Environ}
	if err := run(context.Background(), []string{"index", filepath.Join(store, key)}, e); err != nil {
		tb.Fatalf("index: %v: %s", err, out.String())
	}
	s, err := catalog.NewLocal(store)
	if err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(store, key+catalog.IndexSuffix))
	if err != nil {
		tb.Fatal(err)
	}
	return &countingStore{Store: s, opens: map[string]int{}}, key, fi.Size()
}

// With an index, readTOC reads the sidecar and nothing of the snapshot.
func TestReadTOCReadsOnlyTheIndex(t *testing.T) {
	cs, key, sidecar := indexedSample(t)
	toc, err := readTOC(t.Context(), catalog.Resolved{Store: cs, Key: key, Name: key})
	if err != nil {
		t.Fatal(err)
	}
	if tbl := toc.Table(extract.Name{Schema: "public", Name: "orders"}); tbl == nil || tbl.Rows != 37 {
		t.Errorf("orders: %+v", tbl)
	}
	if n := cs.read.Load(); n > sidecar || cs.opens[key] != 0 {
		t.Errorf("read %d bytes (sidecar %d), opened the snapshot %d times", n, sidecar, cs.opens[key])
	}
}

func BenchmarkTablesIndexed(b *testing.B) {
	cs, key, sidecar := indexedSample(b)
	snap := catalog.Resolved{Store: cs, Key: key, Name: key}
	ctx := context.Background()
	for b.Loop() {
		if _, err := readTOC(ctx, snap); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(cs.read.Load()) / float64(b.N)
	b.ReportMetric(perOp, "bytes-read/op")
	if perOp > float64(sidecar) || cs.opens[key] != 0 {
		b.Fatalf("read %.0f bytes per run (sidecar %d), opened the snapshot %d times", perOp, sidecar, cs.opens[key])
	}
}

func readIndexFile(t *testing.T, path string) *extract.Index {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := extract.DecodeIndex(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func writeIndexFile(t *testing.T, path string, ix *extract.Index) {
	t.Helper()
	var buf bytes.Buffer
	if err := ix.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
