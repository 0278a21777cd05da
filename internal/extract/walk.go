package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// Visit receives one item of a walk: i is its index in TOC.Entries. A
// CopyData item's Rows stream its row data and are valid until Visit
// returns; what Visit leaves unread is read and counted by the walk.
type Visit func(i int, it *Item) error

// Walk reads the entries of toc for which include is true from r, a fresh
// Reader over the snapshot toc was read from, and calls fn with each item
// in dump order. Every item is checked against its TOC entry (kind,
// offsets, classification, and a COPY block's rows and bytes), so that a
// snapshot that changed since its table of contents was read is a
// *ChangedError rather than wrong data; and every visited item is vetted
// again (Vet), so that fn never sees one outside pg_dump's vocabulary (a
// *RefusedStatementError). Reading stops after the last included entry; ctx is
// checked between items and every few MB of rows.
func Walk(ctx context.Context, r *Reader, toc *TOC, include func(i int) bool, fn Visit) error {
	return walkItems(ctx, readerItems{r, len(toc.Entries)}, toc, lastIncluded(toc, include), include, fn)
}

// Walk is Walk over ranged reads of only the members that hold the
// included entries. toc must be rg.Index.TOC(). Walks of one Ranged may
// run concurrently (on disjoint or overlapping entries): each makes its
// own reads.
func (rg *Ranged) Walk(ctx context.Context, toc *TOC, include func(i int) bool, fn Visit) error {
	if len(toc.Entries) != len(rg.Index.Entries) {
		return fmt.Errorf("%w: the table of contents has %d entries, the index %d", ErrIndexStale, len(toc.Entries), len(rg.Index.Entries))
	}
	var included []int
	for i := range toc.Entries {
		if include(i) {
			included = append(included, i)
		}
	}
	if len(included) == 0 {
		return nil
	}
	plans, err := rg.plan(toc.Entries, included)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	src := &rangedItems{ctx: ctx, rg: rg, entries: toc.Entries, plans: plans, cancel: cancel,
		heads: make([]chan prefetch, len(plans)), sem: make(chan struct{}, rg.parallel()), cur: -1}
	defer src.close()
	err = walkItems(ctx, src, toc, included[len(included)-1], include, fn)
	var changed *ChangedError
	var corrupt *CorruptError
	switch {
	case err == nil, errors.Is(err, ErrIndexStale):
	case errors.As(err, &changed):
		// Not "run the command again": the index is what disagrees.
		err = fmt.Errorf("%w: at byte %d: %s", ErrIndexStale, changed.Offset, changed.Reason)
	case errors.As(err, &corrupt):
		err = fmt.Errorf("%w: %w", ErrIndexStale, err)
	}
	return err
}

func lastIncluded(toc *TOC, include func(int) bool) int {
	for i := len(toc.Entries) - 1; i >= 0; i-- {
		if include(i) {
			return i
		}
	}
	return -1
}

// itemSource gives walk the dump's items by their position in the table
// of contents.
type itemSource interface {
	// item returns the item at position i, called with increasing i. It
	// may return nil for a position it does not hold, which must then be
	// one the walk leaves out.
	item(i int) (*Item, error)
	// offset is the offset of the next byte to read: after a COPY item's
	// rows were read, where they end.
	offset() int64
	// done is called once the last included item is visited.
	done() error
}

// readerItems is a Reader over the whole dump as an itemSource.
type readerItems struct {
	r *Reader
	n int // entries in the table of contents
}

func (s readerItems) item(i int) (*Item, error) {
	it, err := s.r.Next()
	if errors.Is(err, io.EOF) {
		return nil, &ChangedError{Offset: s.r.Offset(), Reason: fmt.Sprintf("it ends after %d items, the table of contents has %d", i, s.n)}
	}
	return it, err
}

func (s readerItems) offset() int64 { return s.r.Offset() }
func (s readerItems) done() error   { return nil }

func walkItems(ctx context.Context, src itemSource, toc *TOC, last int, include func(int) bool, fn Visit) error {
	for i := 0; i <= last; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := src.item(i)
		if err != nil {
			return err
		}
		e := &toc.Entries[i]
		if it == nil {
			if include(i) {
				return fmt.Errorf("internal error: item %d (%s at byte %d) was not read", i, e.Item, e.Offset)
			}
			continue
		}
		if it.Offset != e.Offset || it.Kind != e.Item {
			return &ChangedError{Offset: it.Offset, Reason: fmt.Sprintf("item %d is a %s at byte %d, the table of contents has a %s at byte %d", i, it.Kind, it.Offset, e.Item, e.Offset)}
		}
		if !include(i) {
			continue
		}
		if err := vetEntry(i, it, e); err != nil {
			return err
		}
		var rows *rowCounter
		if it.Kind == CopyData {
			rows = &rowCounter{ctx: ctx, r: it.Rows}
			it.Rows = rows
		}
		if err := fn(i, it); err != nil {
			return err
		}
		if rows == nil {
			continue
		}
		if _, err := io.Copy(io.Discard, rows); err != nil {
			return fmt.Errorf("read the rows of %s: %w", e.Object, err)
		}
		if end := src.offset(); end != e.End {
			return &ChangedError{Offset: end, Reason: fmt.Sprintf("the rows of %s end at byte %d, the table of contents says %d", e.Object, end, e.End)}
		}
		if rows.rows != e.Rows || rows.n != e.DataBytes {
			return &ChangedError{Offset: e.Offset, Reason: fmt.Sprintf("%s has %d rows (%d bytes), the table of contents says %d (%d bytes)", e.Object, rows.rows, rows.n, e.Rows, e.DataBytes)}
		}
	}
	return src.done()
}

// vetEntry checks an item before it is handed to a visitor: it must be in
// pg_dump's vocabulary (a *RefusedStatementError otherwise) and be what its
// entry says (a *ChangedError otherwise). The table of contents was vetted
// when it was read, but the snapshot may have changed since, and a ranged
// walk trusts an index that may be stale or crafted: an entry must not make
// a statement that no selection includes (BEGIN, COMMIT, a large object
// call), or another table's COPY, pass for what the selection chose.
func vetEntry(i int, it *Item, e *Entry) error {
	c, err := Vet(it)
	if err != nil {
		return err
	}
	switch {
	case it.Kind == MetaCommand:
	case c.Kind != e.Kind:
		return &ChangedError{Offset: it.Offset, Reason: fmt.Sprintf("item %d is a %s statement, the table of contents has a %s", i, c.Kind, e.Kind)}
	case c.Object != e.Object:
		return &ChangedError{Offset: it.Offset, Reason: fmt.Sprintf("item %d is a %s statement on another object than the table of contents says", i, c.Kind)}
	}
	return nil
}

// rowCounter passes COPY rows on, counting rows and bytes and checking
// the context every few MB.
type rowCounter struct {
	ctx     context.Context
	r       io.Reader
	n, rows int64
	unseen  int64 // bytes since the last context check
}

func (rc *rowCounter) Read(p []byte) (int, error) {
	if rc.unseen >= ctxCheckBytes {
		rc.unseen = 0
		if err := rc.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := rc.r.Read(p)
	rc.unseen += int64(n)
	rc.n += int64(n)
	rc.rows += int64(bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

// ctxCheckBytes is how much row data may stream between two checks of the
// context.
const ctxCheckBytes = 4 << 20
