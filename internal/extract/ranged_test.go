package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

// seekable compresses text as the backup job does, one member from every
// COPY statement and from just past every COPY block, and more every
// every bytes (often mid-statement, mid-row), and returns the object and
// its index.
func seekable(t testing.TB, text []byte, every int64) ([]byte, *Index) {
	t.Helper()
	var cuts []int64
	_, err := ScanTOC(context.Background(), NewReader(bytes.NewReader(text)), ScanHooks{
		Boundary: func(off int64) { cuts = append(cuts, off) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for off := every; off < int64(len(text)); off += every {
		cuts = append(cuts, off)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	cuts = slices.DeleteFunc(cuts, func(c int64) bool { return c <= 0 || c >= int64(len(text)) })
	gz, members := gzipCut(t, text, cuts)
	ix, err := IndexSnapshotStream(context.Background(), bytes.NewReader(gz), int64(len(gz)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.Members, members) {
		t.Fatalf("members %v, want %v", ix.Members, members)
	}
	return gz, ix
}

// byteOpener serves ranges of obj, counting the bytes handed out and the
// requests, and checking they stay within the object.
type byteOpener struct {
	t     testing.TB
	obj   []byte
	mu    sync.Mutex
	bytes int64
	reqs  int
	short int64 // if > 0, every range is cut to this many bytes
}

func (o *byteOpener) open(_ context.Context, off, length int64) (io.ReadCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if off < 0 || length < 0 || off+length > int64(len(o.obj)) {
		o.t.Errorf("range [%d, +%d) outside the %d-byte object", off, length, len(o.obj))
		return nil, fmt.Errorf("bad range")
	}
	o.reqs++
	if o.short > 0 {
		length = min(length, o.short)
	}
	return io.NopCloser(&countingBytes{o: o, r: bytes.NewReader(o.obj[off : off+length])}), nil
}

type countingBytes struct {
	o *byteOpener
	r *bytes.Reader
}

func (c *countingBytes) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.o.mu.Lock()
	c.o.bytes += int64(n)
	c.o.mu.Unlock()
	return n, err
}

func scanScript(t testing.TB, gz []byte, sel *Selection, mode Mode) []byte {
	t.Helper()
	r, err := NewDumpReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := WriteScript(context.Background(), &out, r, sel, mode); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestRangedCorpus: for every corpus dump cut into members, every table
// extracted through the index in every mode is byte for byte the script of
// a scan, reading less than the whole object when the table is small; the
// same for all tables at once, and for previews.
func TestRangedCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			text, err := os.ReadFile(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			for _, every := range []int64{16 << 20, 4 << 10} {
				gz, ix := seekable(t, text, every)
				toc := ix.TOC()
				check := func(names []Name, mode Mode, parallel int, prefetch int64) {
					t.Helper()
					sel := toc.Select(names)
					sel.Source = "snap"
					want := scanScript(t, gz, sel, mode)
					o := &byteOpener{t: t, obj: gz}
					rg := &Ranged{Index: ix, Open: o.open, Parallel: parallel, PrefetchBytes: prefetch}
					var got bytes.Buffer
					st, err := rg.WriteScript(t.Context(), &got, sel, mode)
					if err != nil {
						t.Fatalf("every %d, %v %s: %v", every, names, mode, err)
					}
					if !bytes.Equal(got.Bytes(), want) {
						t.Fatalf("every %d, %v %s: ranged script (%d bytes) differs from the scan's (%d bytes)", every, names, mode, got.Len(), len(want))
					}
					if st.Bytes != int64(len(want)) {
						t.Errorf("stats say %d bytes, wrote %d", st.Bytes, len(want))
					}
					fb, reqs := rg.Fetched()
					if fb != o.bytes || reqs != int64(o.reqs) {
						t.Errorf("Fetched() = %d bytes in %d requests, the store saw %d in %d", fb, reqs, o.bytes, o.reqs)
					}
					if o.bytes > int64(len(gz)) {
						t.Errorf("read %d bytes of a %d-byte object", o.bytes, len(gz))
					}
				}
				var all []Name
				for _, tbl := range toc.Tables {
					all = append(all, tbl.Name)
					for _, mode := range []Mode{SchemaAndData, SchemaOnly, DataOnly} {
						check([]Name{tbl.Name}, mode, 0, 0)
					}
					// Tiny prefetches: heads and streamed rests everywhere.
					check([]Name{tbl.Name}, SchemaAndData, 2, 100)

					want, err := Preview(t.Context(), mustDumpReader(t, gz), tbl.Name, 3)
					o := &byteOpener{t: t, obj: gz}
					got, gerr := (&Ranged{Index: ix, Open: o.open}).Preview(t.Context(), toc, tbl.Name, 3)
					if (err == nil) != (gerr == nil) || (err != nil && err.Error() != gerr.Error()) {
						t.Fatalf("preview %s: ranged error %v, scan error %v", tbl.Name, gerr, err)
					}
					if err == nil && !reflect.DeepEqual(got, want) {
						t.Errorf("preview %s: ranged %+v, scan %+v", tbl.Name, got, want)
					}
				}
				check(all, SchemaAndData, 0, 0)
				check(all, SchemaAndData, 1, 1)
			}
		})
	}
}

func mustDumpReader(t testing.TB, gz []byte) *Reader {
	r, err := NewDumpReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRangedReadsLess: a small table of a big dump is extracted from a
// small part of the object.
func TestRangedReadsLess(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("CREATE TABLE public.small (id integer);\n\nCREATE TABLE public.big (id integer, v text);\n\n")
	b.WriteString("COPY public.small (id) FROM stdin;\n1\n2\n\\.\n\n")
	b.WriteString("COPY public.big (id, v) FROM stdin;\n")
	for i := range 200000 {
		fmt.Fprintf(&b, "%d\t%x\n", i, i*7919)
	}
	b.WriteString("\\.\n\nALTER TABLE ONLY public.small ADD CONSTRAINT small_pkey PRIMARY KEY (id);\n\n")
	b.WriteString("-- PostgreSQL database dump complete\n\n")
	gz, ix := seekable(t, b.Bytes(), 64<<10)
	toc := ix.TOC()
	sel := toc.Select([]Name{n("public", "small")})
	want := scanScript(t, gz, sel, SchemaAndData)
	o := &byteOpener{t: t, obj: gz}
	rg := &Ranged{Index: ix, Open: o.open}
	var got bytes.Buffer
	if _, err := rg.WriteScript(t.Context(), &got, sel, SchemaAndData); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("ranged script differs:\n%s\nwant:\n%s", got.Bytes(), want)
	}
	if o.bytes*20 > int64(len(gz)) {
		t.Errorf("read %d bytes of a %d-byte object", o.bytes, len(gz))
	}
}

// TestRangedStaleIndex: an index whose offsets are shifted, or a store that
// returns short ranges, is an ErrIndexStale error, never a wrong script.
func TestRangedStaleIndex(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	text, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	gz, ix := seekable(t, text, 4<<10)
	toc := ix.TOC()
	var all []Name
	for _, tbl := range toc.Tables {
		all = append(all, tbl.Name)
	}

	// Each table alone, then all: every result is an ErrIndexStale error
	// or the scan's script (a damage the read does not touch is harmless),
	// and at least one is an error.
	run := func(what string, ix *Index, o *byteOpener) {
		t.Helper()
		stale := 0
		for _, names := range append([][]Name{all}, singles(all)...) {
			sel := toc.Select(names)
			var out bytes.Buffer
			_, err := (&Ranged{Index: ix, Open: o.open}).WriteScript(t.Context(), &out, sel, SchemaAndData)
			switch {
			case errors.Is(err, ErrIndexStale):
				stale++
			case err != nil:
				t.Errorf("%s, %v: error %v, want ErrIndexStale", what, names, err)
			case !bytes.Equal(out.Bytes(), scanScript(t, gz, sel, SchemaAndData)):
				t.Errorf("%s, %v: a script that differs from the scan's", what, names)
			}
		}
		if stale == 0 {
			t.Errorf("%s: no error", what)
		}
	}
	run("short ranges", ix, &byteOpener{t: t, obj: gz, short: 100})

	shifted := *ix
	shifted.Members = slices.Clone(ix.Members)
	for i := 1; i < len(shifted.Members); i++ {
		shifted.Members[i].CompressedOffset += 3
	}
	run("compressed offsets shifted", &shifted, &byteOpener{t: t, obj: append(slices.Clone(gz), 0, 0, 0)})

	shifted = *ix
	shifted.Members = slices.Clone(ix.Members)
	for i := 1; i < len(shifted.Members); i++ {
		shifted.Members[i].Offset += 5
	}
	run("uncompressed member offsets shifted", &shifted, &byteOpener{t: t, obj: gz})

	shifted = *ix
	shifted.Entries = slices.Clone(ix.Entries)
	for i := range shifted.Entries {
		shifted.Entries[i].Offset += 2
		shifted.Entries[i].End += 2
	}
	stoc := shifted.TOC()
	ssel := stoc.Select(all)
	var out bytes.Buffer
	_, err = (&Ranged{Index: &shifted, Open: (&byteOpener{t: t, obj: gz}).open}).WriteScript(t.Context(), &out, ssel, SchemaAndData)
	if !errors.Is(err, ErrIndexStale) {
		t.Errorf("entries shifted: error %v, want ErrIndexStale", err)
	}
	for _, tbl := range stoc.Tables {
		if tbl.Data < 0 {
			continue
		}
		_, err := (&Ranged{Index: &shifted, Open: (&byteOpener{t: t, obj: gz}).open}).Preview(t.Context(), stoc, tbl.Name, 3)
		if !errors.Is(err, ErrIndexStale) {
			t.Errorf("preview %s, entries shifted: error %v, want ErrIndexStale", tbl.Name, err)
		}
	}
}

// TestFragmentReader: a Reader over a slice of a dump reports the dump's
// offsets and needs no trailer.
func TestFragmentReader(t *testing.T) {
	toc, err := ReadTOC(t.Context(), NewReader(bytes.NewReader([]byte(tinyDump))), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := toc.Entries[1]
	r := newFragmentReader(bytes.NewReader([]byte(tinyDump[e.Offset:e.End])), e.Offset)
	it, err := r.Next()
	if err != nil || it.Offset != e.Offset || it.End != e.End {
		t.Fatalf("Next() = %+v, %v; want the entry at [%d, %d)", it, err, e.Offset, e.End)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("at the end of the fragment: %v, want io.EOF", err)
	}
}

func singles(names []Name) [][]Name {
	out := make([][]Name, len(names))
	for i, n := range names {
		out[i] = []Name{n}
	}
	return out
}
