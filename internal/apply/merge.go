package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// merge brings back the snapshot's rows whose primary keys the target
// lacks (and, with UpdateChanged, the rows that differ), in one
// transaction: the target's other rows stay as they are.
func (r *run) merge(ctx context.Context) (err error) {
	t, err := r.openTarget(ctx)
	if err != nil {
		return err
	}
	defer t.close(ctx, &err)
	if err := t.prepare(ctx); err != nil {
		return err
	}
	if err := t.buildPlan(ctx); err != nil {
		return err
	}
	if r.req.DryRun {
		// Counted without a lock on the tables. A table forcing row
		// security on its owner cannot be compared without lifting FORCE
		// (ACCESS EXCLUSIVE): it is left uncounted.
		if f := t.forcedRLS(); len(f) > 0 {
			t.skipStaging(f)
			r.res.Plan.Warnings = append(r.res.Plan.Warnings, fmt.Sprintf("%s force row level security on their owner: a dry run cannot compare their rows without lifting it, which would lock the project's writers out; the restore lifts it in its own transaction and compares them then", extract.JoinNames(f, ", ")))
		}
		if err := t.stageOutside(ctx); err != nil {
			return err
		}
		err = t.load(ctx)
		t.syncPlan()
		return err
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	if err := t.rowSecurity(ctx, false); err != nil {
		return err
	}
	if err := t.suspend(ctx); err != nil {
		return err
	}
	err = t.load(ctx)
	t.syncPlan()
	if err != nil {
		return err
	}
	if err := t.resume(ctx); err != nil {
		return err
	}
	if err := t.verify(ctx); err != nil {
		return err
	}
	if err := t.setSequences(ctx); err != nil {
		return err
	}
	if err := t.rowSecurity(ctx, true); err != nil {
		return err
	}
	return t.commit(ctx)
}

// checkKeys refuses a merge into tables without a primary key on the
// target, or whose key the snapshot's rows do not hold: rows are matched
// by key.
func (t *targetRun) checkKeys() error {
	var reasons []string
	for _, n := range t.withRows() {
		tt := t.onTarget[n]
		if len(tt.PK) == 0 {
			reasons = append(reasons, fmt.Sprintf("%s has no primary key on the target, and merge matches rows by primary key: use --mode overwrite, or restore to a new project", n))
			continue
		}
		st := t.snap[n]
		if st == nil {
			continue // refused by the drift check
		}
		cols := st.copyColumns()
		for _, k := range tt.PK {
			if !hasColumn(cols, k) {
				reasons = append(reasons, fmt.Sprintf("%s: primary key column %s on the target has no values in the snapshot: use --mode overwrite, or restore to a new project", n, extract.QuoteIdent(k)))
			}
		}
	}
	if len(reasons) > 0 {
		return &RefusedError{Reasons: reasons}
	}
	return nil
}

func hasColumn(cols []string, c string) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

// syncPlan copies the tables' counts into the result's plan.
func (t *targetRun) syncPlan() {
	p := t.r.res.Plan
	if p == nil {
		return
	}
	for i := range p.Tables {
		if tp := t.plans[p.Tables[i].Table]; tp != nil {
			p.Tables[i] = *tp
		}
	}
}

// stage is a temporary table holding the snapshot's rows of one target
// table, dropped at the end of the transaction.
type stage struct {
	table extract.Name
	name  string // pg_temp.restorectl_stage_N
	cols  []string
	pk    []string
	rows  int64
}

func quoteColumns(prefix string, cols []string) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = prefix + pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(s, ", ")
}

// keyMatch is "t.k1 = s.k1 AND ...".
func (st *stage) keyMatch() string {
	s := make([]string, len(st.pk))
	for i, k := range st.pk {
		q := pgx.Identifier{k}.Sanitize()
		s[i] = "t." + q + " = s." + q
	}
	return strings.Join(s, " AND ")
}

// sameRow compares the snapshot's columns as text, so that types without
// an equality operator (json, point, ...) compare too.
func (st *stage) sameRow() string {
	return "ROW(" + quoteColumns("t.", st.cols) + ")::text = ROW(" + quoteColumns("s.", st.cols) + ")::text"
}

// mergeTable loads one table's snapshot rows into a staging table,
// compares them with the target's by key and (unless a dry run) inserts
// the missing ones and, with UpdateChanged, updates the changed ones.
func (t *targetRun) mergeTable(ctx context.Context, l *loader, e *extract.Entry, it *extract.Item) error {
	n := e.Tables[0]
	tt := t.onTarget[n]
	if err := t.checkCopy(e, it); err != nil {
		return err
	}
	_, cols, err := extract.ParseCopyStatement(it.SQL)
	if err != nil {
		return &StatementError{Entry: e, Err: err}
	}
	if cols == nil {
		cols = t.snap[n].copyColumns()
	}
	for _, c := range cols {
		if tt.column(c) == nil {
			return &StatementError{Entry: e, Err: fmt.Errorf("column %s is not on the target", extract.QuoteIdent(c))}
		}
	}
	st := t.stages[n] // a dry run's, created beforehand
	if st == nil {
		if st, err = t.newStage(ctx, t.tx, n, cols, "ON COMMIT DROP"); err != nil {
			return err
		}
	}
	before := l.Rows[e.Object]
	staged := *it
	staged.SQL = fmt.Sprintf("COPY %s (%s) FROM stdin", st.name, quoteColumns("", cols))
	if err := l.item(ctx, e, &staged); err != nil {
		return err
	}
	st.rows = l.Rows[e.Object] - before
	t.stages[n] = st

	var missing, identical int64
	count := fmt.Sprintf(`SELECT count(*) FILTER (WHERE t.ctid IS NULL), count(*) FILTER (WHERE t.ctid IS NOT NULL AND %s)
		FROM %s s LEFT JOIN ONLY %s t ON %s`, st.sameRow(), st.name, n, st.keyMatch())
	if err := t.tx.QueryRow(ctx, count).Scan(&missing, &identical); err != nil {
		return fmt.Errorf("compare the snapshot's rows of %s with the target's: %w", n, err)
	}
	tp := t.plans[n]
	tp.Missing, tp.Identical, tp.Different = missing, identical, st.rows-missing-identical
	tp.Inserted = missing
	if t.r.req.UpdateChanged {
		tp.Updated = tp.Different
	}
	tp.RowsAfter = tp.RowsNow + missing
	if t.r.req.DryRun {
		return nil
	}

	insert := fmt.Sprintf(`INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s s
		WHERE NOT EXISTS (SELECT 1 FROM ONLY %s t WHERE %s)`,
		n, quoteColumns("", cols), quoteColumns("s.", cols), st.name, n, st.keyMatch())
	tag, err := t.tx.Exec(ctx, insert)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return fmt.Errorf("insert the missing rows of %s: a row the target holds under another key has the same value of unique %s (%s): merge cannot bring it back; use --mode overwrite, or restore to a new project: %w",
			n, extract.QuoteIdent(pg.ConstraintName), pg.Detail, err)
	}
	if err != nil {
		return fmt.Errorf("insert the missing rows of %s: %w", n, err)
	}
	tp.Inserted = tag.RowsAffected()
	if !t.r.req.UpdateChanged {
		return nil
	}
	// Key columns match already; identity ALWAYS columns cannot be set.
	var set []string
	for _, c := range cols {
		if hasColumn(st.pk, c) || tt.column(c).Identity == "a" {
			continue
		}
		set = append(set, c)
	}
	if len(set) == 0 {
		tp.Updated = 0
		return nil
	}
	update := fmt.Sprintf(`UPDATE ONLY %s t SET (%s) = ROW(%s) FROM %s s WHERE %s AND NOT (%s)`,
		n, quoteColumns("", set), quoteColumns("s.", set), st.name, st.keyMatch(), st.sameRow())
	tag, err = t.tx.Exec(ctx, update)
	if err != nil {
		return fmt.Errorf("update the changed rows of %s: %w", n, err)
	}
	tp.Updated = tag.RowsAffected()
	return nil
}

// newStage creates the staging table of table n with columns cols.
func (t *targetRun) newStage(ctx context.Context, q querier, n extract.Name, cols []string, onCommit string) (*stage, error) {
	t.nstage++
	st := &stage{table: n, name: fmt.Sprintf("pg_temp.restorectl_stage_%d", t.nstage), cols: cols, pk: t.onTarget[n].PK}
	create := fmt.Sprintf("CREATE TEMP TABLE %s %s AS SELECT %s FROM ONLY %s WITH NO DATA", st.name, onCommit, quoteColumns("", cols), n)
	if _, err := q.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create the staging table of %s: %w", n, err)
	}
	return st, nil
}

// skipStaging leaves tables out of a dry run's comparison.
func (t *targetRun) skipStaging(tables []extract.Name) {
	toc := t.r.req.Source.TOC
	for i, a := range t.acts {
		if a == actStage && slices.Contains(tables, toc.Entries[i].Tables[0]) {
			t.acts[i] = actSkip
		}
	}
}

// stageOutside prepares a merge's dry run: a read-only transaction may
// not create tables, even temporary ones, so the planning transaction
// ends, the staging tables are created in the session (they go with it),
// and the comparison runs in a new read-only transaction.
func (t *targetRun) stageOutside(ctx context.Context) error {
	err := t.tx.Rollback(ctx)
	t.tx = nil
	if err != nil {
		return fmt.Errorf("end the planning transaction on the target: %w", err)
	}
	// Settings made in the transaction went with it.
	if err := t.r.boundWaits(ctx, t.conn); err != nil {
		return err
	}
	toc := t.r.req.Source.TOC
	for i, a := range t.acts {
		if a != actStage {
			continue
		}
		n := toc.Entries[i].Tables[0]
		if t.stages[n] != nil || t.snap[n] == nil {
			continue
		}
		st, err := t.newStage(ctx, t.conn, n, t.snap[n].copyColumns(), "")
		if err != nil {
			return err
		}
		t.stages[n] = st
	}
	if t.tx, err = t.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}); err != nil {
		return fmt.Errorf("begin a read-only transaction on the target: %w", err)
	}
	return nil
}

// check counts the staged keys the target holds.
func (st *stage) check(ctx context.Context, q querier) (Check, error) {
	c := Check{Table: st.table, Want: st.rows}
	sql := fmt.Sprintf("SELECT count(*) FROM %s s WHERE EXISTS (SELECT 1 FROM ONLY %s t WHERE %s)", st.name, st.table, st.keyMatch())
	if err := q.QueryRow(ctx, sql).Scan(&c.Got); err != nil {
		return c, err
	}
	c.OK = c.Got == c.Want
	return c, nil
}
