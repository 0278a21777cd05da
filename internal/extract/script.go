package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Stats counts what WriteScript wrote.
type Stats struct {
	Statements int   // statements written, COPY blocks included
	CopyBlocks int   // COPY blocks written
	Rows       int64 // rows written
	DataBytes  int64 // bytes of row data written
	Bytes      int64 // bytes of script written, everything included
}

// ChangedError reports a snapshot that does not match the table of
// contents a selection was computed from: it changed between the two
// passes, or the reader is not on the same snapshot.
type ChangedError struct {
	Offset int64
	Reason string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("the snapshot changed since its table of contents was read (at byte %d: %s); run the command again", e.Offset, e.Reason)
}

// ctxCheckBytes is how much row data may stream between two checks of the
// context.
const ctxCheckBytes = 4 << 20

// WriteScript writes a psql script of sel in the given mode to w. r must be
// a fresh Reader over the same snapshot sel.TOC was read from: the included
// items are copied from it verbatim, in dump order, COPY rows streamed
// (never held whole), each item checked against its TOC entry so that a
// snapshot that changed since is an error rather than a wrong script.
//
// The script starts with a header comment, runs in one transaction (a
// script cut short never commits), and loads with psql -v ON_ERROR_STOP=1
// into an empty database (SchemaAndData, SchemaOnly) or into one holding
// the tables already (DataOnly). Reading stops after the last included
// item. ctx is checked between items and every few MB of rows.
func WriteScript(ctx context.Context, w io.Writer, r *Reader, sel *Selection, mode Mode) (Stats, error) {
	return writeScript(ctx, w, readerItems{r, len(sel.TOC.Entries)}, sel, mode)
}

// itemSource gives writeScript the dump's items by their position in the
// table of contents.
type itemSource interface {
	// item returns the item at position i, called with increasing i. It
	// may return nil for a position it does not hold, which must then be
	// one the selection leaves out.
	item(i int) (*Item, error)
	// offset is the offset of the next byte to read: after a COPY item's
	// rows were read, where they end.
	offset() int64
	// done is called once the last included item is written.
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

func writeScript(ctx context.Context, w io.Writer, src itemSource, sel *Selection, mode Mode) (Stats, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 256<<10)
	var st Stats
	writeHeader(bw, sel, mode)
	bw.WriteString("BEGIN;\n\n")
	entries := sel.TOC.Entries
	for i := 0; i <= sel.last; i++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		it, err := src.item(i)
		if err != nil {
			return st, err
		}
		e := &entries[i]
		if it == nil {
			if sel.Includes(i, mode) {
				return st, fmt.Errorf("internal error: item %d (%s at byte %d) was not read", i, e.Item, e.Offset)
			}
			continue
		}
		if it.Offset != e.Offset || it.Kind != e.Item {
			return st, &ChangedError{Offset: it.Offset, Reason: fmt.Sprintf("item %d is a %s at byte %d, the table of contents has a %s at byte %d", i, it.Kind, it.Offset, e.Item, e.Offset)}
		}
		if !sel.Includes(i, mode) {
			continue
		}
		bw.WriteString(it.SQL)
		bw.WriteString("\n")
		st.Statements++
		if it.Kind == CopyData {
			rows := &rowWriter{ctx: ctx, w: bw}
			if _, err := io.Copy(rows, it.Rows); err != nil {
				return st, fmt.Errorf("copy the rows of %s: %w", e.Object, err)
			}
			if end := src.offset(); end != e.End {
				return st, &ChangedError{Offset: end, Reason: fmt.Sprintf("the rows of %s end at byte %d, the table of contents says %d", e.Object, end, e.End)}
			}
			if rows.rows != e.Rows || rows.n != e.DataBytes {
				return st, &ChangedError{Offset: e.Offset, Reason: fmt.Sprintf("%s has %d rows (%d bytes), the table of contents says %d (%d bytes)", e.Object, rows.rows, rows.n, e.Rows, e.DataBytes)}
			}
			bw.WriteString("\\.\n")
			st.CopyBlocks++
			st.Rows += rows.rows
			st.DataBytes += rows.n
		}
		bw.WriteString("\n")
		if cw.err != nil {
			return st, cw.err
		}
	}
	if err := src.done(); err != nil {
		return st, err
	}
	bw.WriteString("COMMIT;\n")
	err := bw.Flush()
	st.Bytes = cw.n
	return st, err
}

// writeHeader writes the script's opening comment. Names are written as
// SQL names, one per line; a name holding a newline is quoted by String
// but its newline would end the comment, so newlines are escaped.
func writeHeader(w *bufio.Writer, sel *Selection, mode Mode) {
	line := func(s string) {
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
		w.WriteString("-- " + s + "\n")
	}
	w.WriteString("--\n")
	line("Generated by restorectl extract (" + mode.String() + ").")
	if sel.Source != "" {
		line("Snapshot: " + sel.Source)
	}
	line("Tables:")
	for _, n := range sel.Tables {
		line("  " + n.String())
	}
	if len(sel.Shells) > 0 {
		line("Definitions only (not selected, needed by the tables above):")
		for _, n := range sel.Shells {
			line("  " + n.String())
		}
	}
	if len(sel.DroppedFKs) > 0 {
		line("Left out:")
		for _, fk := range sel.DroppedFKs {
			line("  " + fk.String())
		}
	}
	line("Load with: psql -v ON_ERROR_STOP=1 -f FILE")
	w.WriteString("--\n\n")
}

// rowWriter passes COPY rows on, counting rows and bytes and checking the
// context every few MB.
type rowWriter struct {
	ctx     context.Context
	w       io.Writer
	n, rows int64
	unseen  int64 // bytes since the last context check
}

func (rw *rowWriter) Write(p []byte) (int, error) {
	rw.unseen += int64(len(p))
	if rw.unseen >= ctxCheckBytes {
		rw.unseen = 0
		if err := rw.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := rw.w.Write(p)
	rw.n += int64(n)
	rw.rows += int64(bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

// countingWriter counts bytes and remembers the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
