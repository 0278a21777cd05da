package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/powabase/restorectl/internal/catalog"
)

// IndexFormat is the version of the sidecar index format this package
// writes and reads. An index of another version is treated as no index.
const IndexFormat = 1

// Errors of LoadIndex and DecodeIndex. Whichever is returned, the snapshot
// is still readable by scanning it.
var (
	// ErrNoIndex: the snapshot has no sidecar index.
	ErrNoIndex = errors.New("the snapshot has no index")
	// ErrIndexFormat: the index is of an unknown format version (written by
	// a newer restorectl) or is not an index at all.
	ErrIndexFormat = errors.New("unknown index format")
	// ErrIndexMismatch: the index describes another object (size or ETag
	// differ): the snapshot was overwritten after it was indexed.
	ErrIndexMismatch = errors.New("index does not match the snapshot (size/ETag differ)")
)

// Member is where one gzip member of a snapshot starts: at uncompressed
// offset Offset and compressed offset CompressedOffset. A snapshot's
// members are contiguous: each ends where the next starts, the last at the
// end of the object. In JSON a member is [offset, compressed_offset].
type Member struct {
	Offset, CompressedOffset int64
}

// MarshalJSON writes the member as a pair.
func (m Member) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]int64{m.Offset, m.CompressedOffset})
}

// UnmarshalJSON reads a pair.
func (m *Member) UnmarshalJSON(b []byte) error {
	var p [2]int64
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	m.Offset, m.CompressedOffset = p[0], p[1]
	return nil
}

// ByteRange is a run of whole gzip members of a snapshot: Length bytes of
// the object from Offset, which decompress (as a gzip stream of their own)
// to the dump's text from uncompressed offset Start up to End.
type ByteRange struct {
	Offset, Length int64 // compressed
	Start, End     int64 // uncompressed
}

// Index is a snapshot's sidecar index, stored as "<key>.index.json": its
// table of contents and where its gzip members start, so that a reader can
// list the tables without reading the snapshot and fetch only the members
// holding the entries it needs.
type Index struct {
	Format           int           `json:"format"`
	Snapshot         IndexSnapshot `json:"snapshot"`
	UncompressedSize int64         `json:"uncompressed_size"`
	Members          []Member      `json:"members"`
	Entries          []IndexEntry  `json:"entries"`
	// Tables repeat what the entries say about tables, for readers of the
	// JSON; TOC rebuilds them from the entries.
	Tables []IndexTable `json:"tables"`
}

// IndexSnapshot identifies the object an index describes.
type IndexSnapshot struct {
	Key  string `json:"key,omitempty"`
	Size int64  `json:"size"`           // compressed, in bytes
	ETag string `json:"etag,omitempty"` // empty for local files
}

// IndexEntry is one TOC Entry.
type IndexEntry struct {
	Kind   string       `json:"kind"` // ItemKind: statement, meta-command, copy
	Class  IndexClass   `json:"class,omitzero"`
	Header *IndexHeader `json:"header,omitempty"`
	Offset int64        `json:"offset"`
	End    int64        `json:"end"`
	// CompressedOffset is where, in the snapshot object, a ranged read
	// must start to reach the entry: the start of the gzip member holding
	// Offset.
	CompressedOffset int64 `json:"compressed_offset"`
	Rows             int64 `json:"rows,omitempty"`
	DataBytes        int64 `json:"data_bytes,omitempty"`
}

// IndexClass is an Entry's Classification.
type IndexClass struct {
	Kind        Kind        `json:"kind,omitempty"`
	Schema      string      `json:"schema,omitempty"`
	Name        string      `json:"name,omitempty"`
	Tables      []IndexName `json:"tables,omitempty"`
	RefTables   []IndexName `json:"ref_tables,omitempty"`
	Uses        []IndexName `json:"uses,omitempty"`
	Parent      *IndexName  `json:"parent,omitempty"`
	Detail      string      `json:"detail,omitempty"`
	On          Kind        `json:"on,omitempty"`
	Partitioned bool        `json:"partitioned,omitempty"`
	Warning     string      `json:"warning,omitempty"`
}

// IndexName is a Name.
type IndexName struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
}

// IndexHeader is a Header.
type IndexHeader struct {
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Schema string `json:"schema,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Data   bool   `json:"data,omitempty"`
}

// IndexTable is one Table.
type IndexTable struct {
	Schema      string `json:"schema"`
	Name        string `json:"name"`
	Kind        Kind   `json:"kind"`
	Partitioned bool   `json:"partitioned,omitempty"`
	Rows        int64  `json:"rows"`
	Bytes       int64  `json:"bytes"`
	PartitionOf string `json:"partition_of,omitempty"`
	Parent      string `json:"parent,omitempty"`
	// Data is the index in entries of the table's COPY block, -1 if none.
	Data int `json:"data"`
}

// BuildIndex describes a snapshot of size compressed bytes and the given
// ETag, whose table of contents is toc and whose gzip members are members
// (at least the first, {0, 0}).
func BuildIndex(toc *TOC, members []Member, size int64, etag string) *Index {
	ix := &Index{
		Format:           IndexFormat,
		Snapshot:         IndexSnapshot{Size: size, ETag: etag},
		UncompressedSize: toc.Size,
		Members:          slices.Clone(members),
		Entries:          make([]IndexEntry, len(toc.Entries)),
		Tables:           make([]IndexTable, len(toc.Tables)),
	}
	if len(ix.Members) == 0 {
		ix.Members = []Member{{}}
	}
	for i, e := range toc.Entries {
		c := e.Classification
		ie := IndexEntry{
			Kind:   e.Item.String(),
			Offset: e.Offset, End: e.End, Rows: e.Rows, DataBytes: e.DataBytes,
			Class: IndexClass{
				Kind: c.Kind, Schema: c.Object.Schema, Name: c.Object.Name,
				Tables: indexNames(c.Tables), RefTables: indexNames(c.RefTables), Uses: indexNames(c.Uses),
				Detail: c.Detail, On: c.On, Partitioned: c.Partitioned, Warning: c.Warning,
			},
		}
		if c.Parent != nil {
			ie.Class.Parent = &IndexName{Schema: c.Parent.Schema, Name: c.Parent.Name}
		}
		if h := e.Header; h != nil {
			ie.Header = &IndexHeader{Name: h.Name, Type: h.Type, Schema: h.Schema, Owner: h.Owner, Data: h.Data}
		}
		ie.CompressedOffset = ix.Members[ix.memberAt(e.Offset)].CompressedOffset
		ix.Entries[i] = ie
	}
	for i, t := range toc.Tables {
		it := IndexTable{Schema: t.Name.Schema, Name: t.Name.Name, Kind: t.Kind, Partitioned: t.Partitioned,
			Rows: t.Rows, Bytes: t.Bytes, Data: t.Data}
		if t.PartitionOf != nil {
			it.PartitionOf = t.PartitionOf.String()
		}
		if t.Parent != nil {
			it.Parent = t.Parent.String()
		}
		ix.Tables[i] = it
	}
	return ix
}

func indexNames(ns []Name) []IndexName {
	if ns == nil {
		return nil
	}
	out := make([]IndexName, len(ns))
	for i, n := range ns {
		out[i] = IndexName(n)
	}
	return out
}

func names(ns []IndexName) []Name {
	if ns == nil {
		return nil
	}
	out := make([]Name, len(ns))
	for i, n := range ns {
		out[i] = Name(n)
	}
	return out
}

// itemKinds maps ItemKind.String back.
var itemKinds = map[string]ItemKind{
	Statement.String():   Statement,
	MetaCommand.String(): MetaCommand,
	CopyData.String():    CopyData,
}

// TOC rebuilds the table of contents the index was built from, exactly as a
// scan of the snapshot would return it.
func (ix *Index) TOC() *TOC {
	toc := &TOC{Size: ix.UncompressedSize, byName: map[Name]*Table{}}
	toc.Entries = make([]Entry, 0, len(ix.Entries))
	for _, ie := range ix.Entries {
		c := ie.Class
		e := Entry{
			Item:   itemKinds[ie.Kind],
			Offset: ie.Offset, End: ie.End, Rows: ie.Rows, DataBytes: ie.DataBytes,
			Classification: Classification{
				Kind: c.Kind, Object: Name{Schema: c.Schema, Name: c.Name},
				Tables: names(c.Tables), RefTables: names(c.RefTables), Uses: names(c.Uses),
				Detail: c.Detail, On: c.On, Partitioned: c.Partitioned, Warning: c.Warning,
			},
		}
		if c.Parent != nil {
			e.Parent = &Name{Schema: c.Parent.Schema, Name: c.Parent.Name}
		}
		if h := ie.Header; h != nil {
			e.Header = &Header{Name: h.Name, Type: h.Type, Schema: h.Schema, Owner: h.Owner, Data: h.Data}
		}
		toc.add(e)
	}
	return toc
}

// Matches reports whether the index describes obj: same size and, when both
// know one, the same ETag (local files have none).
func (ix *Index) Matches(obj catalog.Object) bool {
	if ix.Snapshot.Size != obj.Size {
		return false
	}
	return ix.Snapshot.ETag == "" || obj.ETag == "" || ix.Snapshot.ETag == obj.ETag
}

// Seekable reports whether the snapshot has more than one gzip member, so
// that Ranges can select parts of it.
func (ix *Index) Seekable() bool { return len(ix.Members) > 1 }

// Ranges returns the compressed byte ranges of the members holding the
// given entries (indexes into Entries), in object order, adjacent and
// overlapping ranges merged. Each range is a valid gzip stream of its own.
func (ix *Index) Ranges(entries []int) []ByteRange {
	var out []ByteRange
	spans := make([][2]int, 0, len(entries)) // member index ranges, inclusive
	for _, i := range entries {
		if i < 0 || i >= len(ix.Entries) {
			continue
		}
		e := ix.Entries[i]
		first := ix.memberAt(e.Offset)
		last := first
		if e.End > e.Offset {
			last = ix.memberAt(e.End - 1)
		}
		spans = append(spans, [2]int{first, last})
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	for _, s := range spans {
		r := ByteRange{Offset: ix.Members[s[0]].CompressedOffset, Start: ix.Members[s[0]].Offset}
		end, uend := ix.Snapshot.Size, ix.UncompressedSize
		if s[1]+1 < len(ix.Members) {
			end, uend = ix.Members[s[1]+1].CompressedOffset, ix.Members[s[1]+1].Offset
		}
		r.Length, r.End = end-r.Offset, uend
		if n := len(out); n > 0 && r.Offset <= out[n-1].Offset+out[n-1].Length {
			last := &out[n-1]
			if e := r.Offset + r.Length; e > last.Offset+last.Length {
				last.Length, last.End = e-last.Offset, r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// memberAt returns the index of the member holding uncompressed offset off:
// the last one starting at or before it (empty members are skipped).
func (ix *Index) memberAt(off int64) int {
	i := sort.Search(len(ix.Members), func(i int) bool { return ix.Members[i].Offset > off })
	return max(i-1, 0)
}

// Encode writes the index as JSON.
func (ix *Index) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(ix)
}

// DecodeIndex reads an index written by Encode. An index of another format
// version is an error wrapping ErrIndexFormat; so is one that is
// inconsistent (members or entries out of order or out of bounds).
func DecodeIndex(r io.Reader) (*Index, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Format == nil {
		return nil, fmt.Errorf("%w: not a snapshot index", ErrIndexFormat)
	}
	if *head.Format != IndexFormat {
		return nil, fmt.Errorf("%w: version %d (this restorectl reads version %d; a newer one wrote it?)", ErrIndexFormat, *head.Format, IndexFormat)
	}
	ix := new(Index)
	if err := json.Unmarshal(b, ix); err != nil {
		return nil, fmt.Errorf("%w: damaged index: %v", ErrIndexFormat, err)
	}
	if err := ix.check(); err != nil {
		return nil, fmt.Errorf("%w: damaged index: %v", ErrIndexFormat, err)
	}
	return ix, nil
}

// check validates what Ranges and TOC rely on.
func (ix *Index) check() error {
	if len(ix.Members) == 0 || ix.Members[0] != (Member{}) {
		return errors.New("members must start with [0, 0]")
	}
	for i, m := range ix.Members {
		if m.Offset > ix.UncompressedSize || m.CompressedOffset >= max(ix.Snapshot.Size, 1) {
			return fmt.Errorf("member %d %v lies outside the snapshot", i, m)
		}
		if i > 0 && (m.Offset < ix.Members[i-1].Offset || m.CompressedOffset <= ix.Members[i-1].CompressedOffset) {
			return fmt.Errorf("member %d %v is out of order", i, m)
		}
	}
	var prev int64
	for i, e := range ix.Entries {
		if _, ok := itemKinds[e.Kind]; !ok {
			return fmt.Errorf("entry %d: unknown kind %q", i, e.Kind)
		}
		if e.Offset < prev || e.End < e.Offset || e.End > ix.UncompressedSize {
			return fmt.Errorf("entry %d [%d, %d) is out of order or outside the dump", i, e.Offset, e.End)
		}
		if want := ix.Members[ix.memberAt(e.Offset)].CompressedOffset; e.CompressedOffset != want {
			return fmt.Errorf("entry %d: compressed offset %d, but its member starts at %d", i, e.CompressedOffset, want)
		}
		prev = e.End
	}
	return nil
}

// IndexKey is the key of the sidecar index of the snapshot at key.
func IndexKey(key string) string { return key + catalog.IndexSuffix }

// LoadIndex reads the sidecar index of the snapshot at key in s and checks
// that it describes obj (the snapshot's Stat). Errors wrap ErrNoIndex (no
// sidecar), ErrIndexFormat (unknown version or damaged) or ErrIndexMismatch;
// with any error the caller should scan the snapshot instead.
func LoadIndex(ctx context.Context, s catalog.Store, key string, obj catalog.Object) (*Index, error) {
	rc, err := s.Open(ctx, IndexKey(key))
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, ErrNoIndex
	}
	if err != nil {
		return nil, fmt.Errorf("open the index of %s: %w", key, err)
	}
	defer rc.Close()
	ix, err := DecodeIndex(rc)
	if err != nil {
		return nil, err
	}
	if !ix.Matches(obj) {
		return nil, ErrIndexMismatch
	}
	return ix, nil
}

// StoreIndex writes ix as the sidecar index of the snapshot at key in s.
func StoreIndex(ctx context.Context, s catalog.Store, key string, ix *Index) error {
	var buf bytes.Buffer
	if err := ix.Encode(&buf); err != nil {
		return fmt.Errorf("encode the index of %s: %w", key, err)
	}
	w, err := s.Create(ctx, IndexKey(key))
	if err != nil {
		return fmt.Errorf("store the index of %s in %s: %w", key, s, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Abort()
		return fmt.Errorf("store the index of %s in %s: %w", key, s, err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("store the index of %s in %s: %w", key, s, err)
	}
	return nil
}

// IndexSnapshotStream reads a whole gzipped snapshot from r in one pass and
// returns its index: the table of contents, and the gzip members found by
// reading them one by one. The object's size and ETag go into the index;
// size is checked against the bytes read. A snapshot written as one gzip
// member gets an index with one member: valid, but not seekable.
func IndexSnapshotStream(ctx context.Context, r io.Reader, size int64, etag string) (*Index, error) {
	mr, err := NewMemberReader(r)
	if err != nil {
		return nil, err
	}
	toc, err := ReadTOC(ctx, NewReader(mr), nil)
	if err != nil {
		return nil, err
	}
	if n := mr.CompressedOffset(); n != size {
		return nil, fmt.Errorf("the snapshot holds %d bytes after its gzip stream ends at byte %d: not a plain gzip snapshot", size-n, n)
	}
	return BuildIndex(toc, mr.Members(), size, etag), nil
}

// MemberReader is a SnapshotReader that reads the gzip members one at a
// time and records where each starts.
type MemberReader struct {
	*SnapshotReader
	members []Member
}

// NewMemberReader reads the first gzip header of r.
func NewMemberReader(r io.Reader) (*MemberReader, error) {
	s, err := NewSnapshotReader(r)
	if err != nil {
		return nil, err
	}
	s.zr.Multistream(false)
	return &MemberReader{SnapshotReader: s, members: []Member{{}}}, nil
}

// Read reads decompressed dump text, moving on to the next member at the
// end of each.
func (m *MemberReader) Read(p []byte) (int, error) {
	s := m.SnapshotReader
	for {
		if s.err != nil {
			return 0, s.err
		}
		n, err := s.zr.Read(p)
		s.out += int64(n)
		if err == io.EOF {
			coff := s.CompressedOffset()
			if rerr := s.zr.Reset(s.br); rerr != nil {
				if rerr == io.EOF && s.src.err == nil {
					s.err = io.EOF
				} else {
					s.err = s.corrupt(rerr)
				}
				if n > 0 {
					return n, nil
				}
				return 0, s.err
			}
			s.zr.Multistream(false)
			m.members = append(m.members, Member{Offset: s.out, CompressedOffset: coff})
			err = nil
		} else if err != nil {
			s.err = s.corrupt(err)
			return n, s.err
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
	}
}

// Members returns the members found so far.
func (m *MemberReader) Members() []Member { return m.members }

// ScanHooks tell a scan's caller, as the stream passes, where COPY blocks
// begin and end. Both may be nil.
type ScanHooks struct {
	// Boundary is called, in increasing order, with the offset of every
	// COPY statement (where its block begins) and the offset just past
	// every COPY block's "\." line.
	Boundary func(offset int64)
	// Scanned is called with increasing offsets: every boundary before
	// offset has been reported.
	Scanned func(offset int64)
}

// ScanTOC is ReadTOC reporting the dump's COPY block boundaries through
// hooks as it reads. Every item is vetted (Vet): one outside pg_dump's
// vocabulary stops the scan with a *RefusedStatementError. During a COPY
// block Scanned advances with every chunk of rows, so a caller holding
// data until the scan is past it holds at most the Reader's buffer (about
// 1 MiB, or the current statement).
func ScanTOC(ctx context.Context, r *Reader, hooks ScanHooks) (*TOC, error) {
	boundary, scanned := hooks.Boundary, hooks.Scanned
	if boundary == nil {
		boundary = func(int64) {}
	}
	if scanned == nil {
		scanned = func(int64) {}
	}
	toc := &TOC{byName: map[Name]*Table{}}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			toc.Size = r.Offset()
			scanned(toc.Size)
			return toc, nil
		}
		if err != nil {
			return nil, err
		}
		e := Entry{Item: it.Kind, Header: it.Header, Offset: it.Offset}
		// Only pg_dump's vocabulary makes a table of contents: a snapshot
		// holding anything else is refused here, before any use.
		if e.Classification, err = Vet(it); err != nil {
			return nil, err
		}
		if it.Kind == CopyData {
			boundary(it.Offset)
			c := &scanCounter{at: r.Offset(), scanned: scanned}
			scanned(c.at)
			if e.DataBytes, err = io.Copy(c, it.Rows); err != nil {
				return nil, fmt.Errorf("read the rows of %s: %w", e.Object, err)
			}
			e.Rows = c.rows
		}
		e.End = r.Offset()
		if it.Kind == CopyData {
			boundary(e.End)
		}
		toc.add(e)
		scanned(e.End)
	}
}

// scanCounter counts rows and reports the scan's progress through them.
type scanCounter struct {
	rows    int64
	at      int64
	scanned func(int64)
}

func (c *scanCounter) Write(p []byte) (int, error) {
	c.rows += int64(bytes.Count(p, []byte{'\n'}))
	c.at += int64(len(p))
	c.scanned(c.at)
	return len(p), nil
}
