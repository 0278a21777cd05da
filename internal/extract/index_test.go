package extract

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/testenv"
)

// gzipCut compresses text as one gzip member per segment, cut at the
// given uncompressed offsets, and returns the members' starts.
func gzipCut(t testing.TB, text []byte, cuts []int64) ([]byte, []Member) {
	t.Helper()
	var out bytes.Buffer
	var members []Member
	cuts = append([]int64{0}, cuts...)
	for i, c := range cuts {
		end := int64(len(text))
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		members = append(members, Member{Offset: c, CompressedOffset: int64(out.Len())})
		zw := gzip.NewWriter(&out)
		zw.Write(text[c:end])
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes(), members
}

// TestIndexCorpus: for every corpus dump, written as one member per COPY
// block (and between them), the index found in one pass has those members,
// its TOC equals a scan's, it survives JSON, and every COPY entry's ranges
// decompress to exactly the dump's bytes.
func TestIndexCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			text, err := os.ReadFile(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			scan := readTOCFile(t, d.GzipPath)

			var cuts []int64
			var scannedAt int64
			st, err := ScanTOC(t.Context(), NewReader(bytes.NewReader(text)), ScanHooks{
				Boundary: func(off int64) {
					if off < scannedAt {
						t.Errorf("boundary %d reported after the scan passed %d", off, scannedAt)
					}
					cuts = append(cuts, off)
				},
				Scanned: func(off int64) {
					if off < scannedAt {
						t.Errorf("scanned went back from %d to %d", scannedAt, off)
					}
					scannedAt = off
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			assertTOCEqual(t, "ScanTOC", st, scan)
			var want []int64
			for _, e := range scan.Entries {
				if e.Item == CopyData {
					want = append(want, e.Offset, e.End)
				}
			}
			if !slices.Equal(cuts, want) || scannedAt != int64(len(text)) {
				t.Errorf("boundaries %v (scanned to %d), want %v (to %d)", cuts, scannedAt, want, len(text))
			}
			cuts = slices.DeleteFunc(cuts, func(c int64) bool { return c == 0 || c == int64(len(text)) })

			gz, members := gzipCut(t, text, cuts)
			ix, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz), int64(len(gz)), "etag-1")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ix.Members, members) {
				t.Errorf("members %v, want %v", ix.Members, members)
			}
			assertTOCEqual(t, "index", ix.TOC(), scan)

			var buf bytes.Buffer
			if err := ix.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := DecodeIndex(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, ix) {
				t.Error("the index changed through JSON")
			}
			assertTOCEqual(t, "decoded index", back.TOC(), scan)

			for i, e := range scan.Entries {
				if e.Item != CopyData {
					continue
				}
				rs := back.Ranges([]int{i})
				if len(rs) != 1 {
					t.Fatalf("entry %d: ranges %v", i, rs)
				}
				r := rs[0]
				if r.Start != e.Offset || r.End != e.End {
					t.Errorf("entry %d [%d, %d): range covers [%d, %d), want its own member", i, e.Offset, e.End, r.Start, r.End)
				}
				plain := gunzip(t, gz[r.Offset:r.Offset+r.Length])
				if int64(len(plain)) != r.End-r.Start || !bytes.Equal(plain, text[r.Start:r.End]) {
					t.Errorf("entry %d: range %+v does not decompress to the dump's bytes", i, r)
				}
			}
		})
	}
}

func assertTOCEqual(t *testing.T, what string, got, want *TOC) {
	t.Helper()
	if !reflect.DeepEqual(got.Entries, want.Entries) {
		for i := range min(len(got.Entries), len(want.Entries)) {
			if !reflect.DeepEqual(got.Entries[i], want.Entries[i]) {
				t.Errorf("%s: entry %d = %+v, want %+v", what, i, got.Entries[i], want.Entries[i])
				break
			}
		}
		t.Errorf("%s: %d entries, want %d (they differ)", what, len(got.Entries), len(want.Entries))
	}
	if !reflect.DeepEqual(got.Tables, want.Tables) {
		t.Errorf("%s: tables differ", what)
	}
	if got.Size != want.Size || !slices.Equal(got.Warnings, want.Warnings) {
		t.Errorf("%s: size %d, warnings %q; want %d, %q", what, got.Size, got.Warnings, want.Size, want.Warnings)
	}
	for _, tbl := range want.Tables {
		if g := got.Table(tbl.Name); !reflect.DeepEqual(g, tbl) {
			t.Errorf("%s: Table(%s) = %+v, want %+v", what, tbl.Name, g, tbl)
		}
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const tinyDump = `SET statement_timeout = 0;

CREATE TABLE public.a (id integer);

CREATE TABLE public.b (id integer);

COPY public.a (id) FROM stdin;
1
2
\.

COPY public.b (id) FROM stdin;
3
\.

-- PostgreSQL database dump complete

`

// TestIndexSingleMember: an old snapshot of one member gets a valid index
// with one member, whose ranges are the whole object.
func TestIndexSingleMember(t *testing.T) {
	gz, _ := gzipCut(t, []byte(tinyDump), nil)
	ix, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz), int64(len(gz)), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Members) != 1 || ix.Seekable() {
		t.Errorf("members %v", ix.Members)
	}
	toc := ix.TOC()
	if a := toc.Table(Name{"public", "a"}); a == nil || a.Rows != 2 {
		t.Errorf("table a: %+v", a)
	}
	rs := ix.Ranges([]int{4})
	if len(rs) != 1 || rs[0] != (ByteRange{Offset: 0, Length: int64(len(gz)), Start: 0, End: int64(len(tinyDump))}) {
		t.Errorf("ranges %+v", rs)
	}
	// Trailing bytes after the gzip stream are not a snapshot the index can describe.
	if _, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz), int64(len(gz))+1, ""); err == nil {
		t.Error("a wrong size was accepted")
	}
	// A truncated snapshot is a CorruptError.
	var ce *CorruptError
	if _, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz[:len(gz)-4]), int64(len(gz)-4), ""); !errors.As(err, &ce) {
		t.Errorf("truncated: %v, want a CorruptError", err)
	}
}

func TestIndexRanges(t *testing.T) {
	text := []byte(tinyDump)
	a := int64(strings.Index(tinyDump, "COPY public.a"))
	b := int64(strings.Index(tinyDump, "COPY public.b"))
	aEnd := int64(strings.Index(tinyDump, "\n\nCOPY public.b")) // just past a's "\." line
	gz, members := gzipCut(t, text, []int64{a, aEnd - 1, b})
	ix, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz), int64(len(gz)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.Members, members) {
		t.Fatalf("members %v, want %v", ix.Members, members)
	}
	var copies []int
	for i, e := range ix.Entries {
		if e.Kind == "copy" {
			copies = append(copies, i)
		}
	}
	// Entry a spans members 1 and 2 (cut inside it); b is member 3; both
	// together are one merged range.
	rs := ix.Ranges(copies[:1])
	if len(rs) != 1 || rs[0].Offset != members[1].CompressedOffset || rs[0].Length != members[3].CompressedOffset-members[1].CompressedOffset {
		t.Errorf("ranges of a: %+v (members %v)", rs, members)
	}
	rs = ix.Ranges([]int{copies[1], copies[0], copies[1]})
	if len(rs) != 1 || rs[0].Offset != members[1].CompressedOffset || rs[0].Offset+rs[0].Length != int64(len(gz)) || rs[0].End != int64(len(text)) {
		t.Errorf("ranges of a and b: %+v", rs)
	}
	// The first statement and b: two ranges.
	rs = ix.Ranges([]int{0, copies[1]})
	if len(rs) != 2 || rs[0].Offset != 0 || rs[1].Offset != members[3].CompressedOffset {
		t.Errorf("ranges of 0 and b: %+v", rs)
	}
	if rs := ix.Ranges([]int{-1, 99}); len(rs) != 0 {
		t.Errorf("ranges of nothing: %+v", rs)
	}
}

func TestIndexDecodeErrors(t *testing.T) {
	gz, _ := gzipCut(t, []byte(tinyDump), nil)
	ix, err := IndexSnapshotStream(t.Context(), bytes.NewReader(gz), int64(len(gz)), "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ix.Encode(&buf)
	good := buf.String()
	for name, text := range map[string]string{
		"empty":         "",
		"not json":      "hello",
		"no format":     `{"members": [[0, 0]]}`,
		"newer":         strings.Replace(good, `"format":1`, `"format":2`, 1),
		"truncated":     good[:len(good)/2],
		"bad member":    strings.Replace(good, `"members":[[0,0]]`, `"members":[[5,0]]`, 1),
		"bad kind":      strings.Replace(good, `"kind":"copy"`, `"kind":"frob"`, 1),
		"entry outside": strings.Replace(good, `"uncompressed_size":`, `"uncompressed_size":1`, 1) + "x",
	} {
		if name != "newer" && name != "empty" && name != "not json" && name != "no format" && name != "truncated" && text == good {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := DecodeIndex(strings.NewReader(text)); !errors.Is(err, ErrIndexFormat) {
			t.Errorf("%s: %v, want ErrIndexFormat", name, err)
		}
	}
	if _, err := DecodeIndex(strings.NewReader(strings.Replace(good, `"format":1`, `"format":2`, 1))); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("newer format: %v", err)
	}
}

func TestIndexMatches(t *testing.T) {
	ix := &Index{Snapshot: IndexSnapshot{Size: 100, ETag: "abc"}}
	for _, c := range []struct {
		obj  catalog.Object
		want bool
	}{
		{catalog.Object{Size: 100, ETag: "abc"}, true},
		{catalog.Object{Size: 100}, true}, // a local copy
		{catalog.Object{Size: 100, ETag: "def"}, false},
		{catalog.Object{Size: 101, ETag: "abc"}, false},
		{catalog.Object{Size: 101}, false},
	} {
		if got := ix.Matches(c.obj); got != c.want {
			t.Errorf("Matches(%+v) = %v", c.obj, got)
		}
	}
}
