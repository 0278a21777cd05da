package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// loader runs a source's entries on one connection: statements exactly as
// the dump has them (each one parsed and classified by extract), COPY
// blocks through the COPY protocol with their rows streamed from the
// snapshot. Several loaders may share done (bytes of rows loaded in all).
type loader struct {
	r    *run
	conn *pgx.Conn
	done *atomic.Int64
	// total is the row data to load in all, for events.
	total int64
	// Rows counts what was loaded, per table.
	Rows map[extract.Name]int64
}

func (r *run) newLoader(conn *pgx.Conn, done *atomic.Int64, total int64) *loader {
	return &loader{r: r, conn: conn, done: done, total: total, Rows: map[extract.Name]int64{}}
}

// load walks the source's entries for which include is true and runs them.
func (l *loader) load(ctx context.Context, include func(i int) bool) error {
	src := l.r.req.Source
	return src.Walk(ctx, include, func(i int, it *extract.Item) error {
		return l.item(ctx, &src.TOC.Entries[i], it)
	})
}

// item runs one item; psql meta-commands (never in a selection) are
// skipped, and so are the dump's BEGIN and COMMIT: a restore runs in
// transactions of its own, which a COMMIT of the snapshot would end early.
func (l *loader) item(ctx context.Context, e *extract.Entry, it *extract.Item) error {
	switch {
	case it.Kind == extract.MetaCommand, e.Kind == extract.KindTransaction:
		return nil
	case it.Kind == extract.CopyData:
		return l.copy(ctx, e, it)
	}
	if _, err := l.conn.Exec(ctx, it.SQL); err != nil {
		return &StatementError{Entry: e, Err: err}
	}
	if e.Kind == extract.KindSet {
		// The dump's own SETs (search_path = '', lock_timeout = 0 among
		// them) must not unpin what restorectl's statements rely on, nor
		// lift the bound on lock waits.
		if err := l.r.boundWaits(ctx, l.conn); err != nil {
			return fmt.Errorf("after the snapshot's SET at byte %d: %w", e.Offset, err)
		}
	}
	return nil
}

// boundWaits pins the session's search_path and bounds its lock waits and
// idle time in a transaction (for the rest of the session: the dump's SETs
// are session-wide too).
func (r *run) boundWaits(ctx context.Context, q querier) error {
	_, err := q.Exec(ctx, `SELECT pg_catalog.set_config('search_path', $1, false),
		pg_catalog.set_config('lock_timeout', $2, false),
		pg_catalog.set_config('idle_in_transaction_session_timeout', $3, false)`,
		pinnedSearchPath, fmt.Sprint(r.lockTimeout().Milliseconds()), fmt.Sprint(idleTimeout.Milliseconds()))
	if err != nil {
		return fmt.Errorf("pin search_path and bound lock waits: %w", err)
	}
	return nil
}

// progressEvery is how much row data loads between two copy events.
const progressEvery = 8 << 20

func (l *loader) copy(ctx context.Context, e *extract.Entry, it *extract.Item) error {
	table := e.Object
	pr := &progressReader{r: it.Rows, l: l, table: table, size: e.DataBytes}
	l.r.progress(Event{Phase: PhaseCopy, Table: table, TableBytes: e.DataBytes, DoneBytes: l.done.Load(), TotalBytes: l.total,
		Message: "loading " + table.String()})
	tag, err := l.conn.PgConn().CopyFrom(ctx, pr, it.SQL)
	if err != nil {
		return &StatementError{Entry: e, Err: err}
	}
	l.Rows[table] += tag.RowsAffected()
	pr.report(tag.RowsAffected())
	return nil
}

// progressReader streams a COPY block's rows to the server, reporting
// progress every progressEvery bytes.
type progressReader struct {
	r      io.Reader
	l      *loader
	table  extract.Name
	size   int64
	n      int64
	unsent int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.unsent += int64(n)
	p.l.done.Add(int64(n))
	if p.unsent >= progressEvery {
		p.unsent = 0
		p.report(-1)
	}
	return n, err
}

// report sends a copy event; rows is -1 while the count is unknown.
func (p *progressReader) report(rows int64) {
	msg := fmt.Sprintf("loading %s: %s of %s", p.table, catalog.FormatSize(p.n), catalog.FormatSize(p.size))
	if rows >= 0 {
		msg = fmt.Sprintf("loaded %s: %s", p.table, catalog.Plural(rows, "row", "rows"))
	}
	p.l.r.progress(Event{Phase: PhaseCopy, Table: p.table, Rows: max(rows, 0), Bytes: p.n, TableBytes: p.size,
		DoneBytes: p.l.done.Load(), TotalBytes: p.l.total, Message: msg})
}

// StatementError is a snapshot statement (or COPY block) the target
// refused.
type StatementError struct {
	Entry *extract.Entry
	Err   error
}

func (e *StatementError) Error() string {
	what := string(e.Entry.Kind)
	if e.Entry.Object.Name != "" {
		what += " " + e.Entry.Object.String()
	}
	if e.Entry.Detail != "" && e.Entry.Kind != extract.KindSet {
		what += " (" + e.Entry.Detail + ")"
	}
	msg := e.Err.Error()
	var pg *pgconn.PgError
	if errors.As(e.Err, &pg) {
		msg = pg.Message
		if pg.Detail != "" {
			msg += " (" + pg.Detail + ")"
		}
		if pg.Where != "" && e.Entry.Kind == extract.KindCopy {
			msg += ", " + strings.SplitN(pg.Where, "\n", 2)[0]
		}
		msg += " [SQLSTATE " + pg.Code + "]"
	}
	return fmt.Sprintf("%s at byte %d of the snapshot: %s", what, e.Entry.Offset, msg)
}

func (e *StatementError) Unwrap() error { return e.Err }
