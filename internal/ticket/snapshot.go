package ticket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/outfile"
)

// OpenOptions say how to open a snapshot.
type OpenOptions struct {
	// NoIndex ignores the snapshot's index: everything scans.
	NoIndex bool
	// Lazy leaves a snapshot without a usable index unscanned until its
	// table of contents is asked for (LoadTOC): a preview of a table named
	// exactly needs none.
	Lazy bool
	// Notes receives what the user should know about how the snapshot is
	// read (an index that does not match); nil drops them.
	Notes func(string)
	// Progress reports the scan for the table of contents: compressed
	// bytes read of the total (0 when unknown); nil reports nothing.
	Progress func(read, total int64)
}

// Snapshot is a snapshot opened for a ticket. It is safe for concurrent
// use: the console previews a table while it plans.
type Snapshot struct {
	Resolved catalog.Resolved

	toc    *extract.TOC
	size   int64           // the object's size, 0 if unknown
	ranged *extract.Ranged // nil unless ranged reads are usable
	how    string

	scanned atomic.Int64 // compressed bytes read by scans
	scans   atomic.Int64
	opts    OpenOptions
}

// Open opens snap: its table of contents from a matching index when it has
// one (unless opts.NoIndex), else by scanning it (unless opts.Lazy).
func Open(ctx context.Context, snap catalog.Resolved, opts OpenOptions) (*Snapshot, error) {
	s := &Snapshot{Resolved: snap, opts: opts, how: "scan: the index was not used (--no-index)"}
	if obj, ok := Object(ctx, snap); ok {
		s.size = obj.Size
		if !opts.NoIndex {
			s.useIndex(ctx, obj)
		}
	} else if !opts.NoIndex {
		s.how = "scan: the snapshot's size is unknown, so its index cannot be checked"
	}
	if s.toc != nil || opts.Lazy {
		return s, nil
	}
	if _, err := s.LoadTOC(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Object describes the snapshot as its index must: the current object's
// Stat, or for a named version what the listing said about it.
func Object(ctx context.Context, snap catalog.Resolved) (catalog.Object, bool) {
	if snap.VersionID != "" {
		o := snap.Snapshot.Object
		return o, o.Key == snap.Key && o.VersionID == snap.VersionID && o.Size > 0
	}
	obj, err := snap.Store.Stat(ctx, snap.Key)
	return obj, err == nil
}

// useIndex takes the table of contents from the snapshot's index, and
// ranged reads when the snapshot allows them: several gzip members (old
// snapshots have one), and the current object (stores read ranges of that
// only). An index that cannot be used leaves a note and a scan.
func (s *Snapshot) useIndex(ctx context.Context, obj catalog.Object) {
	snap := s.Resolved
	ix, err := extract.LoadIndex(ctx, snap.Store, snap.Key, obj)
	switch {
	case err == nil:
	case errors.Is(err, extract.ErrNoIndex), ctx.Err() != nil:
		s.how = "scan: the snapshot has no index (restorectl index makes one)"
		return
	case errors.Is(err, extract.ErrIndexMismatch):
		s.how = "scan: its index does not match the snapshot (size/ETag differ)"
		s.note(fmt.Sprintf("note: %s: index does not match the snapshot (size/ETag differ): scanning", snap.Name))
		return
	default:
		s.how = "scan: its index cannot be used (" + err.Error() + ")"
		s.note(fmt.Sprintf("warning: %s: cannot use its index (%s): scanning", snap.Name, err))
		return
	}
	s.toc = ix.TOC()
	switch {
	case !ix.Seekable():
		s.how = "index for the table of contents; scans for rows (the snapshot is one gzip member)"
	case snap.VersionID != "":
		s.how = "index for the table of contents; scans for rows (ranged reads need the current version)"
	default:
		st, key := snap.Store, snap.Key
		s.ranged = &extract.Ranged{Index: ix, Open: func(ctx context.Context, off, length int64) (io.ReadCloser, error) {
			return st.OpenRange(ctx, key, off, length)
		}}
		s.how = "ranged reads through its index"
	}
}

func (s *Snapshot) note(msg string) {
	if s.opts.Notes != nil {
		s.opts.Notes(msg)
	}
}

// TOC is the table of contents; nil while a Lazy snapshot is unscanned.
func (s *Snapshot) TOC() *extract.TOC { return s.toc }

// LoadTOC returns the table of contents, scanning the snapshot for it if
// it has not been read yet. Not for concurrent use with itself.
func (s *Snapshot) LoadTOC(ctx context.Context) (*extract.TOC, error) {
	if s.toc != nil {
		return s.toc, nil
	}
	rc, err := s.openScan(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var in io.Reader = rc
	if p := s.opts.Progress; p != nil {
		in = &progressReader{r: rc, total: s.size, progress: p}
	}
	r, err := extract.NewDumpReader(in)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", s.Resolved.Name, err)
	}
	if s.toc, err = extract.ReadTOC(ctx, r, nil); err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", s.Resolved.Name, err)
	}
	return s.toc, nil
}

// How says how the snapshot's rows are read, and why.
func (s *Snapshot) How() string { return s.how }

// Ranged reports whether rows are read with ranged reads.
func (s *Snapshot) Ranged() bool { return s.ranged != nil }

// Preview returns the first limit rows of table: from the members holding
// the start of its data when ranged reads are usable, else by scanning up
// to them.
func (s *Snapshot) Preview(ctx context.Context, table extract.Name, limit int) (*extract.RowSet, error) {
	name := s.Resolved.Name
	if s.ranged != nil {
		rs, err := s.ranged.Preview(ctx, s.toc, table, limit)
		if err != nil {
			return nil, s.StaleIndexError(fmt.Errorf("snapshot %s: %w", name, err))
		}
		return rs, nil
	}
	r, closer, err := s.scan(ctx)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	rs, err := extract.Preview(ctx, r, table, limit)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", name, err)
	}
	return rs, nil
}

// WriteScript writes the script of sel in mode to w: with ranged reads of
// the members holding the selection when usable, else by scanning.
func (s *Snapshot) WriteScript(ctx context.Context, w io.Writer, sel *extract.Selection, mode extract.Mode) (extract.Stats, error) {
	name := s.Resolved.Name
	if s.ranged != nil {
		st, err := s.ranged.WriteScript(ctx, w, sel, mode)
		if err != nil {
			return st, s.StaleIndexError(fmt.Errorf("extract from snapshot %s: %w", name, err))
		}
		return st, nil
	}
	r, closer, err := s.scan(ctx)
	if err != nil {
		return extract.Stats{}, err
	}
	defer closer.Close()
	st, err := extract.WriteScript(ctx, w, r, sel, mode)
	if err != nil {
		return st, fmt.Errorf("extract from snapshot %s: %w", name, err)
	}
	return st, nil
}

// Source is the snapshot as a restore reads it: ranged reads when usable
// (a new project then loads tables in parallel), else scans.
func (s *Snapshot) Source() *apply.Source {
	var src *apply.Source
	if s.ranged != nil {
		src = apply.RangedSource(s.Resolved.Name, s.ranged)
	} else {
		src = apply.ScanSource(s.Resolved.Name, s.toc, s.openScan)
	}
	if s.Resolved.Store != nil {
		src.Key, src.VersionID = s.Resolved.Key, s.Resolved.VersionID
	}
	return src
}

// StaleIndexError explains an ErrIndexStale error and what to do about it.
func (s *Snapshot) StaleIndexError(err error) error {
	if !errors.Is(err, extract.ErrIndexStale) {
		return err
	}
	return fmt.Errorf("%w\n(its index is damaged or out of date: run `restorectl index %s` to rebuild it, or add --no-index to scan the whole snapshot)", err, s.Resolved.Name)
}

// Stats is what was read of a snapshot.
type Stats struct {
	// Read is the compressed bytes read, Size the snapshot's (0 if
	// unknown), Requests how many reads it took; How is Snapshot.How.
	Read, Size, Requests int64
	How                  string
}

// Stats says how much of the snapshot was read so far.
func (s *Snapshot) Stats() Stats {
	st := Stats{Size: s.size, How: s.how}
	if s.ranged != nil {
		st.Read, st.Requests = s.ranged.Fetched()
	}
	st.Read += s.scanned.Load()
	st.Requests += s.scans.Load()
	return st
}

// scan opens the snapshot for reading from the start.
func (s *Snapshot) scan(ctx context.Context) (*extract.Reader, io.Closer, error) {
	rc, err := s.openScan(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := extract.NewDumpReader(rc)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("read snapshot %s: %w", s.Resolved.Name, err)
	}
	return r, rc, nil
}

// openScan opens the whole snapshot, counting the bytes read.
func (s *Snapshot) openScan(ctx context.Context) (io.ReadCloser, error) {
	rc, err := s.Resolved.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %s: %w", s.Resolved.Name, err)
	}
	s.scans.Add(1)
	return readCloser{&countingReader{r: rc, n: &s.scanned}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progressReader reports how many compressed bytes were read.
type progressReader struct {
	r        io.Reader
	n, total int64
	progress func(read, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.progress(p.n, p.total)
	return n, err
}

// Tables resolves the tables typed (as in SQL: public.orders, schema.*,
// unqualified when unique) in the snapshot's table of contents; an
// unknown name comes with suggestions.
func (s *Snapshot) Tables(typed []string) ([]extract.Name, error) {
	names, err := s.toc.Resolve(typed)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", s.Resolved.Name, err)
	}
	return names, nil
}

// Select is what a script of tables holds, named after the snapshot.
func (s *Snapshot) Select(tables []extract.Name) *extract.Selection {
	sel := s.toc.Select(tables)
	sel.Source = s.Resolved.Name
	return sel
}

// Export writes the script of sel in mode to the file path, atomically
// and privately (outfile: mode 0600, and no file at all when anything
// fails or ctx is cancelled), and returns what it holds and the file's
// size. A file at path is never replaced: the error is then os.ErrExist.
func (s *Snapshot) Export(ctx context.Context, path string, sel *extract.Selection, mode extract.Mode) (st extract.Stats, size int64, err error) {
	return s.export(ctx, outfile.Create, path, sel, mode)
}

// ExportReplacing is Export that replaces a file at path, as asked
// (extract --force).
func (s *Snapshot) ExportReplacing(ctx context.Context, path string, sel *extract.Selection, mode extract.Mode) (st extract.Stats, size int64, err error) {
	return s.export(ctx, outfile.Write, path, sel, mode)
}

func (s *Snapshot) export(ctx context.Context, write func(context.Context, string, func(io.Writer) error) (int64, error),
	path string, sel *extract.Selection, mode extract.Mode) (st extract.Stats, size int64, err error) {
	size, err = write(ctx, path, func(w io.Writer) error {
		st, err = s.WriteScript(ctx, w, sel, mode)
		return err
	})
	return st, size, err
}
