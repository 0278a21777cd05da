package extract

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

// gzipMembers compresses each part as its own gzip member, concatenated.
func gzipMembers(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts {
		zw := gzip.NewWriter(&buf)
		if _, err := io.WriteString(zw, p); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// testDump is a small dump whose COPY block will be split across members.
var testDump = "SET a = 1;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nCOPY t (a) FROM stdin;\n" +
	strings.Repeat("row with\\ttabs and \\\\. dots\n", 2000) + "\\.\nSELECT 2;\n" + trailer

func readSnapshot(t *testing.T, compressed []byte) ([]gotItem, error) {
	t.Helper()
	sr, err := NewSnapshotReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, err
	}
	return readItems("", 4096, sr)
}

func TestSnapshotReaderMembers(t *testing.T) {
	want, err := readItems(testDump, defaultBufSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	mid := strings.Index(testDump, "row with") + 7 // inside a row
	for _, tc := range []struct {
		name  string
		parts []string
	}{
		{"one member", []string{testDump}},
		{"two members split inside a row", []string{testDump[:mid], testDump[mid:]}},
		{"many members, one empty", []string{testDump[:5], "", testDump[5:mid], testDump[mid : mid+1], testDump[mid+1:]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSnapshot(t, gzipMembers(t, tc.parts...))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("items differ from the plain reading")
			}
		})
	}
}

func TestSnapshotReaderDamaged(t *testing.T) {
	good := gzipMembers(t, testDump[:len(testDump)/2], testDump[len(testDump)/2:])
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		return b
	}
	for _, tc := range []struct {
		name     string
		input    []byte
		reason   string
		sentinel error
		offset   int64 // uncompressed; -1: somewhere inside the dump
		zOffset  int64 // compressed; -1: any
	}{
		{"truncated", good[:len(good)-100], "ends early", io.ErrUnexpectedEOF, -1, int64(len(good) - 100)},
		{"truncated in the trailer", good[:len(good)-3], "ends early", io.ErrUnexpectedEOF, int64(len(testDump)), int64(len(good) - 3)},
		{"CRC mismatch", flip(len(good) - 8), "checksum mismatch", gzip.ErrChecksum, int64(len(testDump)), int64(len(good) - 0)},
		{"trailing garbage", append(bytes.Clone(good), "garbage!garbage!"...), "invalid gzip header", gzip.ErrHeader, int64(len(testDump)), -1},
		{"not gzip", []byte("SELECT 1;\n"), "invalid gzip header", gzip.ErrHeader, 0, -1},
		{"empty", nil, "the snapshot is empty", nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := readSnapshot(t, tc.input)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v after %d items, want a CorruptError", err, len(items))
			}
			if !strings.Contains(ce.Reason, tc.reason) || tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("got %v, want reason %q and %v", err, tc.reason, tc.sentinel)
			}
			if tc.offset >= 0 && ce.Offset != tc.offset || tc.offset < 0 && (ce.Offset <= 0 || ce.Offset >= int64(len(testDump))) {
				t.Errorf("uncompressed offset %d, want %d", ce.Offset, tc.offset)
			}
			if tc.zOffset >= 0 && ce.CompressedOffset != tc.zOffset || ce.CompressedOffset < 0 || ce.CompressedOffset > int64(len(tc.input)) {
				t.Errorf("compressed offset %d, want %d", ce.CompressedOffset, tc.zOffset)
			}
		})
	}
}

// TestSnapshotReaderSourceError checks that a failing source (network, disk)
// is reported as such, not as damage.
func TestSnapshotReaderSourceError(t *testing.T) {
	good := gzipMembers(t, testDump)
	failing := io.MultiReader(bytes.NewReader(good[:len(good)/2]), iotest.ErrReader(errors.New("connection reset")))
	sr, err := NewSnapshotReader(failing)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readItems("", 4096, sr)
	var ce *CorruptError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "connection reset") || !strings.Contains(err.Error(), "compressed byte") {
		t.Errorf("got %v", err)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"plain.sql":            []byte(testDump),
		"gzipped.sql.gz":       gzipMembers(t, testDump),
		"gzipped-misnamed.sql": gzipMembers(t, testDump),
		"plain-misnamed.gz":    []byte(testDump),
	}
	want, err := readItems(testDump, defaultBufSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := readItems("", 0, f.Reader.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("items differ")
			}
		})
	}
	if _, err := OpenFile(filepath.Join(dir, "missing.sql.gz")); err == nil || !strings.Contains(err.Error(), "open dump") {
		t.Errorf("missing file: %v", err)
	}
	for _, short := range []string{"", "x"} {
		r, err := NewDumpReader(strings.NewReader(short))
		if err != nil {
			t.Fatal(err)
		}
		var ce *CorruptError
		if _, err := r.Next(); !errors.As(err, &ce) {
			t.Errorf("dump %q: %v", short, err)
		}
	}
}
