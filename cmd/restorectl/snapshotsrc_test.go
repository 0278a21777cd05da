package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// writeSeekable writes text as a snapshot of many gzip members, as the
// backup job cuts them (at COPY blocks) and more (every 4 KiB).
func writeSeekable(t *testing.T, text []byte, path string) {
	t.Helper()
	var cuts []int64
	if _, err := extract.ScanTOC(t.Context(), extract.NewReader(bytes.NewReader(text)), extract.ScanHooks{
		Boundary: func(off int64) { cuts = append(cuts, off) },
	}); err != nil {
		t.Fatal(err)
	}
	for off := int64(4 << 10); off < int64(len(text)); off += 4 << 10 {
		cuts = append(cuts, off)
	}
	cuts = append(cuts, 0, int64(len(text)))
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out bytes.Buffer
	for i := 0; i+1 < len(cuts); i++ {
		zw := gzip.NewWriter(&out)
		zw.Write(text[cuts[i]:cuts[i+1]])
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var statsLine = regexp.MustCompile(`(?m)^stats: read .*\((\d+) of (\d+) bytes\)$`)

func readStats(t *testing.T, stderr string) (read, size int64) {
	t.Helper()
	m := statsLine.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no stats in %q", stderr)
	}
	read, _ = strconv.ParseInt(m[1], 10, 64)
	size, _ = strconv.ParseInt(m[2], 10, 64)
	return read, size
}

// TestExtractIndexed: with the index of a seekable snapshot, extract and
// preview read only part of it and print what a scan prints; a damaged
// index is an error that says what to do, and writes no file.
func TestExtractIndexed(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	text, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.sql.gz")
	writeSeekable(t, text, snap)
	if _, stderr, code := runCLI(t, nil, "index", snap); code != exitOK {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	f, err := os.Open(snap + catalog.IndexSuffix)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := extract.DecodeIndex(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Seekable() {
		t.Fatal("the index is not seekable")
	}
	toc := ix.TOC()
	var small *extract.Table
	for _, tbl := range toc.Tables {
		if tbl.Data >= 0 && (small == nil || tbl.Bytes < small.Bytes) {
			small = tbl
		}
	}
	name := small.Name.String()
	fromIndex, _, code1 := runCLI(t, nil, "tables", snap, "--json")
	fromScan, _, code2 := runCLI(t, nil, "tables", snap, "--json", "--no-index")
	if code1 != exitOK || code2 != exitOK || fromIndex != fromScan {
		t.Errorf("tables: from the index (exit %d) and --no-index (exit %d) differ", code1, code2)
	}

	for _, mode := range []string{"", "--schema-only", "--data-only"} {
		args := func(extra ...string) []string {
			a := []string{"extract", snap, "--table", name, "--stats"}
			if mode != "" {
				a = append(a, mode)
			}
			return append(a, extra...)
		}
		indexed, stderr, code := runCLI(t, nil, args()...)
		if code != exitOK {
			t.Fatalf("extract %s: exit %d: %s", mode, code, stderr)
		}
		read, size := readStats(t, stderr)
		if read <= 0 || read >= size || !strings.Contains(stderr, "ranged reads") {
			t.Errorf("extract %s with the index read %d of %d bytes: %s", mode, read, size, stderr)
		}
		scanned, stderr, code := runCLI(t, nil, args("--no-index")...)
		if code != exitOK {
			t.Fatalf("extract %s --no-index: exit %d: %s", mode, code, stderr)
		}
		if read, size := readStats(t, stderr); read != 2*size { // one scan for the TOC, one for the script
			t.Errorf("extract %s --no-index read %d of %d bytes, want it twice", mode, read, size)
		}
		if indexed != scanned {
			t.Errorf("extract %s: the script through the index differs from the scan's", mode)
		}
	}

	for _, tbl := range toc.Tables {
		for _, asJSON := range []string{"--json", "--limit=2"} {
			indexed, stderr, code := runCLI(t, nil, "preview", snap, "--table", tbl.Name.String(), asJSON)
			scanned, stderr2, code2 := runCLI(t, nil, "preview", snap, "--table", tbl.Name.String(), asJSON, "--no-index")
			if indexed != scanned || code != code2 || stderr != stderr2 {
				t.Errorf("preview %s %s: through the index exit %d %q %q; scan exit %d %q %q", tbl.Name, asJSON, code, indexed, stderr, code2, scanned, stderr2)
			}
		}
	}

	// A damaged index: the table's data is said to start a byte later.
	ix.Entries[small.Data].Offset++
	var buf bytes.Buffer
	if err := ix.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snap+catalog.IndexSuffix, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.sql")
	_, stderr, code := runCLI(t, nil, "extract", snap, "--table", name, "-o", out)
	t.Logf("extract with a damaged index: %s", stderr)
	if code == exitOK || !strings.Contains(stderr, "restorectl index") || !strings.Contains(stderr, "--no-index") {
		t.Errorf("extract with a damaged index: exit %d: %s", code, stderr)
	}
	assertFiles(t, dir, "snap.sql.gz", "snap.sql.gz.index.json")
	_, stderr, code = runCLI(t, nil, "preview", snap, "--table", name)
	if code == exitOK || !strings.Contains(stderr, "--no-index") {
		t.Errorf("preview with a damaged index: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "extract", snap, "--table", name, "-o", out, "--no-index"); code != exitOK {
		t.Errorf("extract --no-index with a damaged index: exit %d: %s", code, stderr)
	}
}
