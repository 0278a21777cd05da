package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// begin readies the restore's transaction for its first change: the
// safety snapshot is written, triggers are off, and the transaction is
// named (txid) and recorded with the safety snapshot in the audit record.
// From here on a failure rolls back.
func (t *targetRun) begin(ctx context.Context) error {
	r := t.r
	if err := t.safetySnapshot(ctx); err != nil {
		return err
	}
	if err := t.triggersOff(ctx); err != nil {
		return err
	}
	if err := t.tx.QueryRow(ctx, "SELECT pg_catalog.txid_current()").Scan(&r.res.XID); err != nil {
		return fmt.Errorf("begin the restore's transaction on the target %s: %w", Redact(r.req.Target), err)
	}
	if err := r.recordRunning(ctx); err != nil {
		return err
	}
	r.res.Outcome = RolledBack // should anything fail from here on
	return nil
}

// triggersOff makes sure the restored rows fire no user triggers
// (webhooks, audit logs) and skip foreign key checks, as pg_restore
// --disable-triggers does; verify checks the keys afterwards. The load
// role's sessions start that way (createLoadRole), since setting it takes
// a superuser, and the load role is none.
func (t *targetRun) triggersOff(ctx context.Context) error {
	var mode string
	if err := t.tx.QueryRow(ctx, "SELECT pg_catalog.current_setting('session_replication_role')").Scan(&mode); err != nil {
		return fmt.Errorf("check that triggers are off on the target %s: %w", Redact(t.r.req.Target), err)
	}
	if mode != "replica" {
		return fmt.Errorf("triggers are not off on the target %s (session_replication_role is %s): nothing was changed", Redact(t.r.req.Target), mode)
	}
	return nil
}

// rowSecurity lifts (force false) or puts back FORCE ROW LEVEL SECURITY
// on the tables that have it, inside the restore's transaction: the owner
// must load, compare and count every row, and nobody else ever sees the
// tables without it. It takes ACCESS EXCLUSIVE on them, so it comes only
// after the safety snapshot has read them.
func (t *targetRun) rowSecurity(ctx context.Context, force bool) error {
	verb := "NO FORCE"
	if force {
		verb = "FORCE"
	}
	for _, n := range t.forcedRLS() {
		if _, err := t.tx.Exec(ctx, "ALTER TABLE ONLY "+n.String()+" "+verb+" ROW LEVEL SECURITY"); err != nil {
			if !force {
				return t.r.lockError(err, "lift FORCE ROW LEVEL SECURITY of", n)
			}
			return fmt.Errorf("put FORCE ROW LEVEL SECURITY back on %s: %w", n, err)
		}
	}
	return nil
}

// truncateSQL empties tables in one statement (a foreign key between two
// of them is then no obstacle); "" for none. whole are partitioned tables
// emptied with all their partitions, only the tables emptied alone.
func truncateSQL(whole, only []extract.Name) string {
	var names []string
	for _, n := range whole {
		names = append(names, n.String())
	}
	for _, n := range only {
		names = append(names, "ONLY "+n.String())
	}
	if len(names) == 0 {
		return ""
	}
	return "TRUNCATE " + strings.Join(names, ", ")
}

// truncate empties the existing affected tables (overwrite).
func (t *targetRun) truncate(ctx context.Context) error {
	whole, only := truncated(t.existing(), t.onTarget)
	sql := truncateSQL(whole, only)
	if sql == "" {
		return nil
	}
	if _, err := t.tx.Exec(ctx, sql); err != nil {
		return t.r.lockError(err, "empty", t.withRows()...)
	}
	return nil
}

// load walks the snapshot once, in dump order, running what the planner
// decided (t.acts: planActions, then runActions).
func (t *targetRun) load(ctx context.Context) error {
	r := t.r
	toc := r.req.Source.TOC
	var total int64
	for i, a := range t.acts {
		if a == actCopy || a == actStage {
			total += toc.Entries[i].DataBytes
		}
	}
	var done atomic.Int64
	l := r.newLoader(t.conn, &done, total)
	err := r.req.Source.Walk(ctx, func(i int) bool { return t.acts[i] != actSkip }, func(i int, it *extract.Item) error {
		e := &toc.Entries[i]
		switch t.acts[i] {
		case actSet, actRefresh:
			return l.item(ctx, e, it)
		case actCreate:
			return t.create(ctx, l, e, it)
		case actDependency:
			return t.dependency(ctx, l, e, it)
		case actIfCreated:
			if t.created[e.Object] {
				return l.item(ctx, e, it)
			}
			return nil
		case actCopy:
			if err := t.checkCopy(e, it); err != nil {
				return err
			}
			return l.item(ctx, e, it)
		case actStage:
			return t.mergeTable(ctx, l, e, it)
		case actSequence:
			t.setval(e, it)
		}
		return nil
	})
	var se *StatementError
	if errors.As(err, &se) && isLockTimeout(err) {
		return r.lockError(err, "load", se.Entry.Object)
	}
	return err
}

// create runs a statement of a relation the target lacks.
func (t *targetRun) create(ctx context.Context, l *loader, e *extract.Entry, it *extract.Item) error {
	isRel := e.Kind == extract.KindTable || e.Kind == extract.KindView || e.Kind == extract.KindMaterializedView || e.Kind == extract.KindForeignTable
	if isRel {
		t.r.progress(Event{Phase: PhaseSchema, Table: e.Object, Message: "creating " + e.Object.String()})
	}
	if err := l.item(ctx, e, it); err != nil {
		return err
	}
	switch {
	case isRel:
		if !hasName(t.r.res.Created, e.Object) {
			t.r.res.Created = append(t.r.res.Created, e.Object)
		}
	case e.Kind == extract.KindIndex:
		t.created[e.Object] = true
	case e.Kind == extract.KindConstraint && len(e.Tables) > 0:
		t.created[extract.Name{Schema: e.Tables[0].Schema, Name: e.Detail}] = true // its index
	}
	return nil
}

// dependency runs a statement creating an object the selection needs in
// a savepoint; one the target has already is kept as it is.
func (t *targetRun) dependency(ctx context.Context, l *loader, e *extract.Entry, it *extract.Item) error {
	if e.Kind == extract.KindExtension {
		// CREATE EXTENSION IF NOT EXISTS never fails on an existing one:
		// ask, so that its comment is left alone too.
		var has bool
		if err := t.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1)", e.Object.Name).Scan(&has); err != nil {
			return fmt.Errorf("look up extension %s on the target: %w", e.Object.Name, err)
		}
		if has {
			return nil
		}
	}
	if _, err := t.tx.Exec(ctx, "SAVEPOINT restorectl_dependency"); err != nil {
		return fmt.Errorf("savepoint before %s: %w", describeEntry(e), err)
	}
	err := l.item(ctx, e, it)
	var pg *pgconn.PgError
	if err != nil && e.Kind == extract.KindExtension && errors.As(err, &pg) && pg.Code == "42501" {
		return &RefusedError{Reasons: []string{fmt.Sprintf("the target lacks extension %s, and role %s may not create it (%s): have it installed on the target first, then restore again",
			e.Object.Name, t.role.Owner, pg.Message)}}
	}
	if err != nil && errors.As(err, &pg) && alreadyExists(pg.Code) {
		_, rerr := t.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT restorectl_dependency")
		if rerr != nil {
			return fmt.Errorf("roll back to the savepoint after %s: %w", describeEntry(e), rerr)
		}
		err = nil
	} else if err == nil {
		t.created[e.Object] = true
	}
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, "RELEASE SAVEPOINT restorectl_dependency"); err != nil {
		return fmt.Errorf("release the savepoint after %s: %w", describeEntry(e), err)
	}
	return nil
}

// alreadyExists: duplicate schema, object, table (relation), function.
func alreadyExists(code string) bool {
	switch code {
	case "42P06", "42710", "42P07", "42723":
		return true
	}
	return false
}

// checkCopy makes sure a COPY block lists the columns its CREATE TABLE
// promised (the drift check was made against those).
func (t *targetRun) checkCopy(e *extract.Entry, it *extract.Item) error {
	if len(e.Tables) == 0 {
		return nil
	}
	st := t.snap[e.Tables[0]]
	if st == nil {
		return nil
	}
	_, cols, err := extract.ParseCopyStatement(it.SQL)
	if err != nil {
		return &StatementError{Entry: e, Err: err}
	}
	want := st.copyColumns()
	if cols != nil && !sameColumns(cols, want) {
		return &StatementError{Entry: e, Err: fmt.Errorf("the COPY lists columns (%s), the snapshot's CREATE TABLE (%s): the snapshot is inconsistent; restore to a new project instead",
			strings.Join(cols, ", "), strings.Join(want, ", "))}
	}
	return nil
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

// commit commits the restore's transaction and records that it did. A
// COMMIT whose acknowledgement is lost is settled by asking the target
// about the transaction; when that fails too, the outcome is Unknown.
func (t *targetRun) commit(ctx context.Context) error {
	r := t.r
	r.progress(Event{Phase: PhaseCommit, Message: "committing on " + Redact(r.req.Target)})
	err := t.tx.Commit(ctx)
	var pg *pgconn.PgError
	switch {
	case err == nil:
	case errors.As(err, &pg), errors.Is(err, pgx.ErrTxCommitRollback):
		return fmt.Errorf("commit on the target %s was refused, and the restore rolled back: %w", Redact(r.req.Target), err)
	default:
		switch r.res.Outcome = t.xactStatus(ctx); r.res.Outcome {
		case Committed:
			r.res.Plan.Warnings = append(r.res.Plan.Warnings, fmt.Sprintf("the acknowledgement of the COMMIT was lost (%v); the target says the restore's transaction committed", err))
		case RolledBack:
			return fmt.Errorf("commit on the target %s failed, and the restore rolled back: %w", Redact(r.req.Target), err)
		case Unknown:
			return fmt.Errorf("commit on the target %s: the COMMIT was sent, but its acknowledgement was lost and asking the target failed too: "+
				"the restore may or may not be on the target; ask it with SELECT pg_catalog.txid_status(%d) ('committed': the restore is done and can be undone; 'aborted': nothing changed): %w",
				Redact(r.req.Target), r.res.XID, err)
		}
	}
	t.committed = true
	r.res.Outcome = Committed
	// Recorded now, before the clean-up: Run records it again at the end.
	_ = r.record(ctx, nil)
	return nil
}

// xactStatus asks the target, on the admin session (the restore's own is
// broken), whether the restore's transaction committed. "In progress"
// means the server has not yet ended it (it may still be committing, or
// has not noticed the connection is gone): ask again for a while.
func (t *targetRun) xactStatus(ctx context.Context) Outcome {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for {
		o, inProgress := XactStatus(cctx, t.admin, t.r.res.XID)
		if !inProgress {
			return o
		}
		select {
		case <-cctx.Done():
			return Unknown
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// XactStatus asks a database whether transaction xid (txid_current)
// committed: Committed, RolledBack, or Unknown when it cannot tell (too
// old, the question failed, or still in progress, which inProgress says).
func XactStatus(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, xid uint64) (o Outcome, inProgress bool) {
	if xid == 0 {
		return Unknown, false
	}
	var status *string
	if err := q.QueryRow(ctx, "SELECT pg_catalog.txid_status($1)", int64(xid)).Scan(&status); err != nil || status == nil {
		return Unknown, false
	}
	switch *status {
	case "committed":
		return Committed, false
	case "aborted":
		return RolledBack, false
	}
	return Unknown, true
}
