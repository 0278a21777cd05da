package dump

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// compressMembers runs text through a memberWriter in chunks of random size
// (as pg_dump's pipe delivers it) and returns the object and the writer.
func compressMembers(t testing.TB, text []byte) ([]byte, *memberWriter) {
	t.Helper()
	var buf bytes.Buffer
	mw := compressMembersTo(t, text, &buf)
	return buf.Bytes(), mw
}

// compressMembersTo is compressMembers writing to w.
func compressMembersTo(t testing.TB, text []byte, w io.Writer) *memberWriter {
	t.Helper()
	out := &countingWriter{w: nopObjectWriter{w}}
	zw, err := pgzip.NewWriterLevel(out, DefaultLevel)
	if err != nil {
		t.Fatal(err)
	}
	zw.SetConcurrency(blockSize, gzipBlocks())
	zw.Name = "test.sql"
	mw := newMemberWriter(context.Background(), zw, out, gzipBlocks())
	rng := rand.New(rand.NewPCG(uint64(len(text)), 7))
	for p := text; len(p) > 0; {
		n := min(len(p), 1+rng.IntN(64<<10))
		if _, err := mw.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw
}

type nopObjectWriter struct{ io.Writer }

func (nopObjectWriter) Commit() error { return nil }
func (nopObjectWriter) Abort() error  { return nil }

// countMembers reads gz member by member, as an independent check of the
// member boundaries, and returns their starts.
func countMembers(t testing.TB, gz []byte) []extract.Member {
	t.Helper()
	members := []extract.Member{{}}
	br := bytes.NewReader(gz)
	zr, err := kgzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	var uoff int64
	for {
		zr.Multistream(false)
		n, err := io.Copy(io.Discard, zr)
		if err != nil {
			t.Fatalf("member %d: %v", len(members), err)
		}
		uoff += n
		coff := int64(len(gz) - br.Len())
		if err := zr.Reset(br); err == io.EOF {
			return members
		} else if err != nil {
			t.Fatal(err)
		}
		members = append(members, extract.Member{Offset: uoff, CompressedOffset: coff})
	}
}

// bigDump is a dump of many small tables, one table larger than two
// members, and a statement larger than the reader's buffer.
func bigDump() []byte {
	var b bytes.Buffer
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\n")
	fmt.Fprintf(&b, "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT '%s' $$;\n\n", strings.Repeat("x", 3<<20))
	for i := range 40 {
		fmt.Fprintf(&b, "CREATE TABLE public.t%d (id integer, note text);\n\n", i)
	}
	for i := range 40 {
		fmt.Fprintf(&b, "--\n-- Data for Name: t%d; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.t%d (id, note) FROM stdin;\n", i, i)
		for r := range i * 3 {
			fmt.Fprintf(&b, "%d\tnote %d of t%d\n", r, r, i)
		}
		b.WriteString("\\.\n\n")
		if i == 20 {
			big := syntheticDump(40 << 20)
			start := bytes.Index(big, []byte("COPY "))
			b.Write(big[start : bytes.Index(big, []byte("\\.\n"))+3])
			b.WriteString("\n")
		}
	}
	b.WriteString("CREATE INDEX t1_id ON public.t1 USING btree (id);\n\n--\n-- PostgreSQL database dump complete\n--\n\n")
	return b.Bytes()
}

// TestMemberWriter: the object decompresses to the dump exactly, as one
// gzip stream; members start at every COPY statement and just past every
// COPY block, none holds more than MaxMemberSize, the writer's list of
// members is the object's, and its TOC is a scan's.
func TestMemberWriter(t *testing.T) {
	text := bigDump()
	gz, mw := compressMembers(t, text)

	zr, err := gzip.NewReader(bytes.NewReader(gz)) // the standard library, multistream: as gunzip
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, text) {
		t.Fatalf("the object does not decompress to the dump (%v; %d bytes, want %d)", err, len(plain), len(text))
	}
	members := countMembers(t, gz)
	if !slices.Equal(members, mw.Members()) {
		t.Fatalf("the writer recorded %d members, the object has %d", len(mw.Members()), len(members))
	}
	toc, err := mw.TOC()
	if err != nil {
		t.Fatal(err)
	}
	scan, err := extract.ReadTOC(t.Context(), extract.NewReader(bytes.NewReader(text)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(toc.Entries, scan.Entries) || !reflect.DeepEqual(toc.Tables, scan.Tables) || toc.Size != scan.Size {
		t.Error("the writer's TOC differs from a scan's")
	}
	starts := map[int64]bool{}
	for i, m := range members {
		starts[m.Offset] = true
		end := int64(len(text))
		if i+1 < len(members) {
			end = members[i+1].Offset
		}
		if end-m.Offset > MaxMemberSize || end <= m.Offset {
			t.Errorf("member %d holds %d bytes", i, end-m.Offset)
		}
	}
	copies := 0
	for _, e := range scan.Entries {
		if e.Item == extract.CopyData {
			copies++
			if !starts[e.Offset] || (e.End < int64(len(text)) && !starts[e.End]) {
				t.Errorf("COPY %s [%d, %d) does not start and end members", e.Object, e.Offset, e.End)
			}
		}
	}
	// 41 COPY blocks, each with a gap after it, plus the big one's cuts.
	if copies != 41 || len(members) < 2*41+1+2 {
		t.Errorf("%d COPY blocks, %d members", copies, len(members))
	}

	ix := extract.BuildIndex(toc, mw.Members(), int64(len(gz)), "")
	for i, e := range ix.Entries {
		if e.Kind != "copy" {
			continue
		}
		for _, r := range ix.Ranges([]int{i}) {
			part := gunzipBytes(t, gz[r.Offset:r.Offset+r.Length])
			if !bytes.Equal(part, text[r.Start:r.End]) || r.Start != e.Offset || !bytes.HasPrefix(part, []byte("COPY ")) {
				t.Fatalf("entry %d: range %+v is not the COPY block's member(s)", i, r)
			}
		}
	}
}

// TestMemberWriterScanFails: a dump the scanner cannot read (here an
// unterminated quote at the end) is still compressed exactly, and there is
// no TOC.
func TestMemberWriterScanFails(t *testing.T) {
	text := append(syntheticDump(20<<20), "SELECT 'unterminated;\n"...)
	gz, mw := compressMembers(t, text)
	if got := gunzipBytes(t, gz); !bytes.Equal(got, text) {
		t.Fatal("the object does not decompress to the input")
	}
	if _, err := mw.TOC(); err == nil {
		t.Error("TOC of a damaged dump succeeded")
	}
	// The preamble, the COPY block (cut at 16 MiB), the damaged rest.
	if members := countMembers(t, gz); !slices.Equal(members, mw.Members()) || len(members) != 4 {
		t.Errorf("members %v, writer %v", members, mw.Members())
	}
}

func TestMemberWriterEmpty(t *testing.T) {
	gz, mw := compressMembers(t, nil)
	if got := gunzipBytes(t, gz); len(got) != 0 || len(mw.Members()) != 1 {
		t.Errorf("empty input: %q, members %v", got, mw.Members())
	}
}

// TestMemberSizeCorpus: on real dumps, the members cost little: each adds
// its gzip header, trailer and a fresh dictionary.
func TestMemberSizeCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		text, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		gz, mw := compressMembers(t, text)
		single := singleMember(t, text)
		ratio := float64(len(gz)) / float64(single)
		t.Logf("%s: %d bytes of text, %d members: %d bytes compressed, %d as one member (%.4f×, %.1f bytes per extra member)",
			d.Fixture, len(text), len(mw.Members()), len(gz), single, ratio, float64(int64(len(gz))-single)/float64(max(len(mw.Members())-1, 1)))
		// Tiny dumps lose most to the fresh dictionaries (a few hundred
		// bytes in all); real ones stay within 1%.
		if len(text) > 1<<20 && ratio > 1.01 {
			t.Errorf("%s: %.4f× the size of one member", d.Fixture, ratio)
		}
	}
}

func singleMember(t testing.TB, text []byte) int64 {
	cw := &byteCounter{}
	zw, _ := pgzip.NewWriterLevel(cw, DefaultLevel)
	zw.SetConcurrency(blockSize, gzipBlocks())
	zw.Name = "test.sql"
	if _, err := io.Copy(zw, chunked(text, 64<<10)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return cw.n
}

func gunzipBytes(t testing.TB, gz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertSeekableSnapshot checks a stored snapshot: at least min gzip
// members, and a sidecar index that matches the object, lists exactly its
// members, gives the TOC a scan gives, and whose ranges hold the COPY
// blocks.
func assertSeekableSnapshot(t *testing.T, s catalog.Store, key string, min int) {
	t.Helper()
	ctx := t.Context()
	rc, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	members := countMembers(t, gz)
	if len(members) < min {
		t.Errorf("%d gzip members, want at least %d", len(members), min)
	}
	obj, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := extract.LoadIndex(ctx, s, key, obj)
	if err != nil {
		t.Fatalf("index of %s: %v", key, err)
	}
	if !slices.Equal(ix.Members, members) || ix.Snapshot.Key != key || ix.Snapshot.Size != int64(len(gz)) || ix.Snapshot.ETag != obj.ETag {
		t.Errorf("index members %v (snapshot %+v), object %v (%d bytes, ETag %q)", ix.Members, ix.Snapshot, members, len(gz), obj.ETag)
	}
	r, err := extract.NewDumpReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	scan, err := extract.ReadTOC(ctx, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	toc := ix.TOC()
	if !reflect.DeepEqual(toc.Entries, scan.Entries) || !reflect.DeepEqual(toc.Tables, scan.Tables) {
		t.Error("the index's TOC differs from a scan's")
	}
	for i, e := range ix.Entries {
		if e.Kind != "copy" {
			continue
		}
		rs := ix.Ranges([]int{i})
		if len(rs) != 1 || rs[0].Start != e.Offset {
			t.Errorf("entry %d: ranges %+v", i, rs)
			continue
		}
		rc, err := s.OpenRange(ctx, key, rs[0].Offset, rs[0].Length)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if part := gunzipBytes(t, b); !bytes.HasPrefix(part, []byte("COPY ")) || int64(len(part)) != rs[0].End-rs[0].Start {
			t.Errorf("entry %d: range %+v does not hold the COPY block", i, rs[0])
		}
	}
}

// BenchmarkCompressMembers is BenchmarkCompress at DefaultLevel through the
// member writer (the dump scan, members at COPY blocks and every 16 MiB),
// on a dump of 64 MiB in many tables.
func BenchmarkCompressMembers(b *testing.B) {
	data := manyTablesDump(64 << 20)
	for _, members := range []bool{false, true} {
		b.Run(fmt.Sprintf("members=%v", members), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var size, n int64
			for b.Loop() {
				if members {
					cw := &byteCounter{}
					mw := compressMembersTo(b, data, cw)
					size, n = cw.n, int64(len(mw.Members()))
				} else {
					size, n = singleMember(b, data), 1
				}
			}
			b.ReportMetric(float64(size)/float64(len(data)), "ratio")
			b.ReportMetric(float64(n), "members")
		})
	}
}

// manyTablesDump is syntheticDump's rows split into tables of 1 KiB to
// 4 MiB.
func manyTablesDump(n int) []byte {
	rows := syntheticDump(n)
	rows = rows[bytes.IndexByte(rows, '\n')+1:]
	rows = rows[bytes.Index(rows, []byte("FROM stdin;\n"))+len("FROM stdin;\n") : bytes.Index(rows, []byte("\\.\n"))]
	rng := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\n")
	for i := 0; len(rows) > 0; i++ {
		size := min(len(rows), 1<<(10+rng.IntN(13)))
		if k := bytes.IndexByte(rows[size-1:], '\n'); k >= 0 {
			size += k
		} else {
			size = len(rows)
		}
		fmt.Fprintf(&b, "CREATE TABLE public.t%d (id bigint, customer_id int, status text, note text, meta jsonb, embedding real[]);\n\n", i)
		fmt.Fprintf(&b, "COPY public.t%d (id, customer_id, status, note, meta, embedding) FROM stdin;\n", i)
		b.Write(rows[:size])
		b.WriteString("\\.\n\n")
		rows = rows[size:]
	}
	b.WriteString("--\n-- PostgreSQL database dump complete\n--\n\n")
	return b.Bytes()
}

// failIndexStore refuses to create sidecar indexes.
type failIndexStore struct{ catalog.Store }

func (s failIndexStore) Create(ctx context.Context, key string) (catalog.ObjectWriter, error) {
	if strings.HasSuffix(key, catalog.IndexSuffix) {
		return nil, errors.New("injected failure")
	}
	return s.Store.Create(ctx, key)
}

// A failure to write the index leaves a valid snapshot and a successful
// dump, whose Result says why there is no index.
func TestWriteIndexFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump.sql")
	text := bigDump()
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	store := localStore(t)
	cfg := Config{PgDump: dumptest.FakePgDump(t, "cat "+path+"\n")}
	key := catalog.SnapshotKey("proj1", fixedTime)
	res, err := Write(t.Context(), cfg, Source{Ref: "proj1"}, failIndexStore{store}, key)
	if err != nil || res.IndexErr == nil || !strings.Contains(res.IndexErr.Error(), "injected failure") || !res.Committed {
		t.Fatalf("err %v, index err %v, committed %v", err, res.IndexErr, res.Committed)
	}
	if keys := listKeys(t, store); len(keys) != 1 || keys[0] != key {
		t.Errorf("store holds %v", keys)
	}
	// The same through a store that works: an index, and the snapshot's
	// COPY blocks in members of their own.
	key = catalog.SnapshotKey("proj2", fixedTime)
	res, err = Write(t.Context(), cfg, Source{Ref: "proj2"}, store, key)
	if err != nil || res.IndexErr != nil || res.Key != key {
		t.Fatalf("err %v, index err %v, key %q", err, res.IndexErr, res.Key)
	}
	assertSeekableSnapshot(t, store, key, 2*41+3)
}
