package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// ErrIndexStale wraps the errors of a ranged read that found the snapshot's
// bytes disagreeing with its index: a range shorter than the index says, a
// range that does not decompress to the text the index promises, items at
// other offsets. The index is damaged or describes another object; a scan
// of the whole snapshot does not depend on it.
var ErrIndexStale = errors.New("the snapshot does not match its index")

// Ranged defaults.
const (
	// DefaultFetchParallel is how many byte ranges a Ranged fetches at once.
	DefaultFetchParallel = 4
	// DefaultPrefetchBytes is how much of a range is fetched ahead of its
	// turn; the rest of a longer range streams when its turn comes.
	DefaultPrefetchBytes = 4 << 20
)

// RangeOpener streams length bytes of a snapshot object from offset.
type RangeOpener func(ctx context.Context, offset, length int64) (io.ReadCloser, error)

// Ranged reads the parts of a seekable snapshot (Index.Seekable) that a
// script or a preview needs, with ranged reads of whole gzip members as
// the index maps them, instead of scanning the whole object.
//
// Ranges are fetched in parallel (Parallel at once) but used in dump
// order, in bounded memory: up to PrefetchBytes of each range waiting its
// turn, the rest of a longer range streamed when its turn comes. Every
// range is decompressed to its end, so each member's CRC and length are
// checked, and its items must lie where the index says.
type Ranged struct {
	Index *Index
	Open  RangeOpener
	// Parallel and PrefetchBytes default to DefaultFetchParallel and
	// DefaultPrefetchBytes when zero.
	Parallel      int
	PrefetchBytes int64

	fetched  atomic.Int64 // compressed bytes received
	requests atomic.Int64
}

// Fetched returns the compressed bytes received so far and the number of
// ranged reads made.
func (rg *Ranged) Fetched() (bytes, requests int64) {
	return rg.fetched.Load(), rg.requests.Load()
}

func (rg *Ranged) parallel() int {
	if rg.Parallel > 0 {
		return rg.Parallel
	}
	return DefaultFetchParallel
}

func (rg *Ranged) prefetchBytes() int64 {
	if rg.PrefetchBytes > 0 {
		return rg.PrefetchBytes
	}
	return DefaultPrefetchBytes
}

// open opens [off, off+length) of the object, counting what it delivers
// and failing if it ends early.
func (rg *Ranged) open(ctx context.Context, off, length int64) (io.ReadCloser, error) {
	rg.requests.Add(1)
	rc, err := rg.Open(ctx, off, length)
	if err != nil {
		return nil, err
	}
	return &rangeBody{rc: rc, rg: rg, off: off, want: length}, nil
}

// rangeBody is one ranged read: it counts its bytes and turns an early
// end into an ErrIndexStale error.
type rangeBody struct {
	rc        io.ReadCloser
	rg        *Ranged
	off       int64
	want, got int64
}

func (b *rangeBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.want-b.got {
		p = p[:b.want-b.got]
	}
	if len(p) == 0 {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	b.got += int64(n)
	b.rg.fetched.Add(int64(n))
	if err == io.EOF && b.got < b.want {
		err = fmt.Errorf("%w: the %d bytes at compressed byte %d end after %d", ErrIndexStale, b.want, b.off, b.got)
	}
	if err == nil && b.got == b.want {
		err = io.EOF
	}
	return n, err
}

func (b *rangeBody) Close() error { return b.rc.Close() }

// rangePlan is one ByteRange and the entries read from it: first..last,
// the first and last included entries it holds (and every entry between).
type rangePlan struct {
	ByteRange
	first, last int
}

// plan maps the included entries (increasing) to the ranges holding them.
func (rg *Ranged) plan(entries []Entry, included []int) ([]rangePlan, error) {
	rs := rg.Index.Ranges(included)
	plans := make([]rangePlan, 0, len(rs))
	k := 0
	for _, r := range rs {
		p := rangePlan{ByteRange: r, first: -1}
		for ; k < len(included); k++ {
			e := entries[included[k]]
			if e.Offset < r.Start || e.End > r.End {
				break
			}
			if p.first < 0 {
				p.first = included[k]
			}
			p.last = included[k]
		}
		if p.first >= 0 {
			plans = append(plans, p)
		}
	}
	if k != len(included) {
		e := entries[included[k]]
		return nil, fmt.Errorf("%w: no whole members hold entry %d at bytes [%d, %d)", ErrIndexStale, included[k], e.Offset, e.End)
	}
	return plans, nil
}

// prefetch is the head of a range fetched ahead of its turn.
type prefetch struct {
	head []byte
	err  error
}

// rangedItems is the itemSource of a ranged script: the items of each
// planned range, read from its members in order.
type rangedItems struct {
	ctx     context.Context
	rg      *Ranged
	entries []Entry
	plans   []rangePlan
	heads   []chan prefetch
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	sem     chan struct{}
	started int // prefetches started: plans[:started]

	cur  int // the range being read, -1 before the first
	open *openRange
}

// openRange is a range being read: its decompressed text counted, and a
// fragment Reader over the part holding its entries.
type openRange struct {
	p     rangePlan
	body  io.ReadCloser
	text  *countReader // all of the range's text
	r     *Reader
	begin int64 // where r starts
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// WriteScript writes the script of sel in the given mode, as WriteScript
// would from a scan of the whole snapshot, reading only the members that
// hold its included entries. sel must come from rg.Index.TOC().
func (rg *Ranged) WriteScript(ctx context.Context, w io.Writer, sel *Selection, mode Mode) (Stats, error) {
	return writeScript(w, sel, mode, func(include func(int) bool, fn Visit) error {
		return rg.Walk(ctx, sel.TOC, include, fn)
	})
}

// startPrefetches keeps up to Parallel ranges ahead of the current one
// fetching their heads.
func (s *rangedItems) startPrefetches() {
	for s.started < len(s.plans) && s.started <= s.cur+s.rg.parallel() {
		k := s.started
		s.started++
		ch := make(chan prefetch, 1)
		s.heads[k] = ch
		p := s.plans[k]
		s.wg.Go(func() {
			select {
			case s.sem <- struct{}{}:
			case <-s.ctx.Done():
				ch <- prefetch{err: s.ctx.Err()}
				return
			}
			defer func() { <-s.sem }()
			n := min(p.Length, s.rg.prefetchBytes())
			rc, err := s.rg.open(s.ctx, p.Offset, n)
			if err != nil {
				ch <- prefetch{err: err}
				return
			}
			defer rc.Close()
			head, err := io.ReadAll(rc)
			ch <- prefetch{head: head, err: err}
		})
	}
}

// item returns the item at entry i, opening the range holding it.
func (s *rangedItems) item(i int) (*Item, error) {
	if s.open != nil && i <= s.open.p.last {
		return s.next(i)
	}
	if s.cur+1 >= len(s.plans) || i < s.plans[s.cur+1].first {
		return nil, nil
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	s.cur++
	if err := s.openRange(s.plans[s.cur]); err != nil {
		return nil, err
	}
	return s.next(i)
}

func (s *rangedItems) next(i int) (*Item, error) {
	it, err := s.open.r.Next()
	if errors.Is(err, io.EOF) {
		e := s.entries[i]
		return nil, fmt.Errorf("%w: the text of the members at compressed byte %d ends before entry %d at byte %d", ErrIndexStale, s.open.p.Offset, i, e.Offset)
	}
	return it, err
}

func (s *rangedItems) offset() int64 {
	if s.open == nil {
		return 0
	}
	return s.open.r.Offset()
}

func (s *rangedItems) done() error { return s.finish() }

// openRange starts reading p: its prefetched head, then the rest of it.
func (s *rangedItems) openRange(p rangePlan) error {
	s.startPrefetches()
	var pf prefetch
	select {
	case pf = <-s.heads[s.cur]:
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	s.heads[s.cur] = nil
	s.startPrefetches()
	if pf.err != nil {
		return fmt.Errorf("read compressed bytes %d-%d: %w", p.Offset, p.Offset+p.Length, pf.err)
	}
	body := io.ReadCloser(io.NopCloser(bytes.NewReader(pf.head)))
	if rest := p.Length - int64(len(pf.head)); rest > 0 {
		rc, err := s.rg.open(s.ctx, p.Offset+int64(len(pf.head)), rest)
		if err != nil {
			return fmt.Errorf("read compressed bytes %d-%d: %w", p.Offset, p.Offset+p.Length, err)
		}
		body = readCloser{io.MultiReader(bytes.NewReader(pf.head), rc), rc}
	}
	o, err := openText(body, p, s.entries)
	if err != nil {
		body.Close()
		return err
	}
	s.open = o
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// openText decompresses the range and positions a fragment Reader at its
// first entry: at the gap before it when the range holds that gap (so the
// item keeps its header comment), else at the entry itself. The Reader
// stops where the range's last entry ends.
func openText(body io.ReadCloser, p rangePlan, entries []Entry) (*openRange, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(body, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("%w: the members at compressed byte %d: %v", ErrIndexStale, p.Offset, err)
	}
	zr.Multistream(true)
	text := &countReader{r: zr}
	begin := entries[p.first].Offset
	if p.first > 0 && entries[p.first-1].End >= p.Start {
		begin = entries[p.first-1].End
	}
	if n, err := io.CopyN(io.Discard, text, begin-p.Start); err != nil {
		return nil, rangeTextError(p, p.Start+n, err)
	}
	end := entries[p.last].End
	r := newFragmentReader(io.LimitReader(text, end-begin), begin)
	return &openRange{p: p, body: body, text: text, r: r, begin: begin}, nil
}

func rangeTextError(p rangePlan, at int64, err error) error {
	if errors.Is(err, ErrIndexStale) {
		return err
	}
	if err == io.EOF {
		return fmt.Errorf("%w: the members at compressed byte %d hold text up to byte %d, the index says %d", ErrIndexStale, p.Offset, at, p.End)
	}
	return fmt.Errorf("%w: the members at compressed byte %d: %v", ErrIndexStale, p.Offset, err)
}

// finish reads the open range to its end, checking that it holds exactly
// the text the index says (and, through gzip, each member's CRC), and
// closes it.
func (s *rangedItems) finish() error {
	o := s.open
	if o == nil {
		return nil
	}
	s.open = nil
	defer o.body.Close()
	if _, err := io.Copy(io.Discard, o.text); err != nil {
		return rangeTextError(o.p, o.p.Start+o.text.n, err)
	}
	if got := o.p.Start + o.text.n; got != o.p.End {
		return rangeTextError(o.p, got, io.EOF)
	}
	return nil
}

func (s *rangedItems) close() {
	s.cancel()
	if s.open != nil {
		s.open.body.Close()
		s.open = nil
	}
	s.wg.Wait()
}

// Preview returns the first limit rows of table, as Preview would from a
// scan, reading only the members that hold the start of its COPY block.
// toc must be rg.Index.TOC().
func (rg *Ranged) Preview(ctx context.Context, toc *TOC, table Name, limit int) (*RowSet, error) {
	data, seen := -1, false
	for i, e := range toc.Entries {
		if e.Object != table {
			continue
		}
		switch e.Kind {
		case KindTable, KindMaterializedView, KindForeignTable:
			seen = true
		case KindCopy:
			data = i
		}
		if data >= 0 {
			break
		}
	}
	if data < 0 {
		if seen {
			return &RowSet{Table: table}, nil
		}
		return nil, fmt.Errorf("preview %s: %w", table, ErrNoTable)
	}
	plans, err := rg.plan(toc.Entries, []int{data})
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", table, err)
	}
	p := plans[0]
	// Rows are read only as far as the preview goes: the range streams.
	body, err := rg.open(ctx, p.Offset, p.Length)
	if err != nil {
		return nil, fmt.Errorf("preview %s: read compressed bytes %d-%d: %w", table, p.Offset, p.Offset+p.Length, err)
	}
	defer body.Close()
	o, err := openText(body, p, toc.Entries)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", table, err)
	}
	it, err := o.r.Next()
	e := toc.Entries[data]
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("preview %s: %w: no item at byte %d", table, ErrIndexStale, e.Offset)
	case err != nil:
		return nil, fmt.Errorf("preview %s: %w: %w", table, ErrIndexStale, err)
	case it.Offset != e.Offset || it.Kind != CopyData:
		return nil, fmt.Errorf("preview %s: %w: a %s at byte %d, the index has a %s at byte %d", table, ErrIndexStale, it.Kind, it.Offset, e.Item, e.Offset)
	}
	if _, err := Vet(it); err != nil {
		return nil, fmt.Errorf("preview %s: %w", table, err)
	}
	name, cols, err := ParseCopyStatement(it.SQL)
	if err != nil {
		return nil, fmt.Errorf("preview %s: at byte %d: %w", table, it.Offset, err)
	}
	if name != table {
		return nil, fmt.Errorf("preview %s: %w: the COPY at byte %d is of %s", table, ErrIndexStale, it.Offset, name)
	}
	return readRows(ctx, it, name, cols, limit)
}
