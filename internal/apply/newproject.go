package apply

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/extract"
)

// newProjectLoad is what a new project loads from the snapshot: the whole
// schema, and the data of the selected tables (all of them with All).
type newProjectLoad struct {
	toc *extract.TOC
	// schema and data say, per TOC entry, whether it runs.
	schema, data []bool
	// firstCopy is the first COPY block's entry (len(Entries) if none):
	// schema statements before it are pre-data, after it post-data.
	firstCopy int
	// rows are the rows each table receives (its COPY blocks).
	rows map[extract.Name]int64
	// total is the row data to load, in bytes.
	total int64
}

func isDataKind(k extract.Kind) bool {
	return k == extract.KindCopy || k == extract.KindSequenceSet || k == extract.KindRefresh
}

// newProjectEntries decides which entries of the snapshot a new project
// runs, and returns the plan's warnings.
func (r *run) newProjectEntries() (*newProjectLoad, []string) {
	toc := r.req.Source.TOC
	n := len(toc.Entries)
	ld := &newProjectLoad{toc: toc, schema: make([]bool, n), data: make([]bool, n), firstCopy: n, rows: map[extract.Name]int64{}}
	sel := toc.Select(r.selected())
	var warnings []string
	warnings = append(warnings, toc.Warnings...)
	// A foreign key from a table whose rows come to one whose rows do not
	// would fail on the rows; it is left out, and said so.
	dropped := map[int]bool{}
	if !r.req.All {
		for _, fk := range sel.DroppedFKs {
			dropped[fk.Entry] = true
			warnings = append(warnings, fk.String()+": its rows are not restored, so the foreign key is left out (add it by hand once they are)")
		}
	}
	for i := range toc.Entries {
		e := &toc.Entries[i]
		if e.Item == extract.MetaCommand {
			continue
		}
		if !isDataKind(e.Kind) {
			ld.schema[i] = !dropped[i]
			continue
		}
		// Sequences of tables whose rows do not come keep their initial
		// position: Select includes only the setvals of the selection's
		// sequences.
		ld.data[i] = r.req.All || sel.Includes(i, extract.DataOnly)
		if ld.data[i] && e.Item == extract.CopyData {
			ld.firstCopy = min(ld.firstCopy, i)
			ld.rows[e.Object] += e.Rows
			ld.total += e.DataBytes
		}
	}
	// Pre-data ends at the first COPY block of the dump, whether or not
	// its rows come.
	for i := range toc.Entries {
		if toc.Entries[i].Item == extract.CopyData {
			ld.firstCopy = min(ld.firstCopy, i)
			break
		}
	}
	return ld, warnings
}

// planNewProject builds the plan: every table of the snapshot is created,
// the selected ones with their rows.
func (r *run) planNewProject(ld *newProjectLoad, warnings []string) *Plan {
	toc := ld.toc
	p := &Plan{Mode: NewProject, Snapshot: r.req.Source.Name, Target: r.req.Database, Warnings: warnings}
	if c, ok := r.cfg.Provisioner.(interface{ Connect(string) string }); ok {
		p.Target = c.Connect(r.req.Database)
	}
	seen := map[extract.Name]bool{}
	for _, t := range toc.Tables {
		if seen[t.Name] || (t.Kind != extract.KindTable && t.Kind != extract.KindMaterializedView) {
			continue
		}
		seen[t.Name] = true
		tp := TablePlan{Table: t.Name, Name: t.Name.String(), SnapshotRows: t.Rows}
		if rows, ok := ld.rows[t.Name]; ok {
			tp.RowsAfter, tp.Inserted = rows, rows
		}
		p.Tables = append(p.Tables, tp)
	}
	var pre, post, setvals int
	for i := range toc.Entries {
		if ld.schema[i] && toc.Entries[i].Kind != extract.KindSet {
			if i < ld.firstCopy {
				pre++
			} else {
				post++
			}
		}
	}
	p.Statements = append(p.Statements, "CREATE DATABASE "+extract.QuoteIdent(r.req.Database))
	p.Statements = append(p.Statements, fmt.Sprintf("%d schema statements", pre))
	for i := range toc.Entries {
		e := &toc.Entries[i]
		if !ld.data[i] {
			continue
		}
		switch e.Kind {
		case extract.KindCopy:
			p.Statements = append(p.Statements, fmt.Sprintf("COPY %s: %d rows", e.Object, e.Rows))
		case extract.KindSequenceSet:
			setvals++
		case extract.KindRefresh:
			p.Statements = append(p.Statements, "REFRESH MATERIALIZED VIEW "+e.Object.String())
		}
	}
	if setvals > 0 {
		p.Statements = append(p.Statements, fmt.Sprintf("%d sequence positions (setval)", setvals))
	}
	p.Statements = append(p.Statements, fmt.Sprintf("%d index/constraint statements", post))
	return p
}

// newProject restores the snapshot into a new database: created under a
// temporary name, loaded, verified, and renamed into place; dropped on any
// failure or cancellation.
func (r *run) newProject(ctx context.Context) error {
	r.progress(Event{Phase: PhasePlan, Message: "planning new project " + r.req.Database})
	ld, warnings := r.newProjectEntries()
	r.res.Plan = r.planNewProject(ld, warnings)
	if r.req.DryRun {
		return nil
	}
	db, err := r.cfg.Provisioner.Create(ctx, r.req.Database)
	if err != nil {
		return fmt.Errorf("new project %s: %w", r.req.Database, err)
	}
	r.res.Plan.Target = db.Connect
	if err := r.loadNewProject(ctx, db, ld); err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		err = fmt.Errorf("restore into new project %s (its database was dropped): %w", r.req.Database, err)
		if derr := r.cfg.Provisioner.Drop(dctx, db); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	r.res.Database = db
	return nil
}

// loadNewProject loads and verifies db, and commits it.
func (r *run) loadNewProject(ctx context.Context, db *Database, ld *newProjectLoad) error {
	parallel := r.req.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	if !r.req.Source.Concurrent {
		parallel = 1
	}
	conns := make([]*pgx.Conn, parallel)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.WithoutCancel(ctx))
			}
		}
	}()
	for i := range conns {
		c, err := pgx.ConnectConfig(ctx, db.Config)
		if err != nil {
			return fmt.Errorf("connect to the new database %s as %s: %w", db.Temp, db.Config.User, err)
		}
		conns[i] = c
		// Safe: nothing is done until the rename, whose commit (on the
		// admin connection, synchronous) flushes the WAL before it.
		if _, err := c.Exec(ctx, "SET synchronous_commit = off"); err != nil {
			return fmt.Errorf("set up a connection to the new database %s: %w", db.Temp, err)
		}
	}
	var err error
	if parallel == 1 {
		err = r.loadSerial(ctx, conns[0], ld)
	} else {
		err = r.loadParallel(ctx, conns, ld)
	}
	if err != nil {
		return err
	}
	for i, c := range conns {
		if err := c.Close(ctx); err != nil {
			return fmt.Errorf("close a connection to the new database: %w", err)
		}
		conns[i] = nil
	}
	r.progress(Event{Phase: PhaseCommit, Message: fmt.Sprintf("renaming database %s to %s", db.Temp, db.Name)})
	return r.cfg.Provisioner.Commit(ctx, db)
}

// phaser sends the schema, index events of one walk as it crosses into
// them; the loader sends the copy events.
type phaser struct {
	r         *run
	firstCopy int
	phase     string
}

func (p *phaser) at(i int, e *extract.Entry) {
	phase := PhaseSchema
	switch {
	case e.Kind == extract.KindSet:
		return
	case e.Item == extract.CopyData || e.Kind == extract.KindSequenceSet:
		phase = PhaseCopy
	case i > p.firstCopy:
		phase = PhaseIndex
	}
	if phase != p.phase && phase != PhaseCopy {
		p.r.progress(Event{Phase: phase, Message: phaseMessage[phase]})
	}
	p.phase = phase
}

var phaseMessage = map[string]string{
	PhaseSchema: "creating the schema",
	PhaseIndex:  "building indexes and constraints",
}

// loadSerial loads everything on one connection, in one walk in dump order
// and one transaction.
func (r *run) loadSerial(ctx context.Context, conn *pgx.Conn, ld *newProjectLoad) error {
	var done atomic.Int64
	l := r.newLoader(conn, &done, ld.total)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin the load: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	ph := &phaser{r: r, firstCopy: ld.firstCopy}
	src := r.req.Source
	err = src.Walk(ctx, func(i int) bool { return ld.schema[i] || ld.data[i] }, func(i int, it *extract.Item) error {
		e := &src.TOC.Entries[i]
		ph.at(i, e)
		return l.item(ctx, e, it)
	})
	if err != nil {
		return err
	}
	if err := r.verifyNewProject(ctx, []*pgx.Conn{conn}, ld); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the load: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction on conn: one commit for many statements.
// (Not the parallel steps: transactions holding locks on several tables
// at once could deadlock.)
func inTx(ctx context.Context, conn *pgx.Conn, fn func() error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin a transaction on the new database: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit on the new database: %w", err)
	}
	return nil
}

// verifyNewProject counts every table's own rows (FROM ONLY) and compares
// them with the snapshot: the selected tables hold their rows, the others
// none.
func (r *run) verifyNewProject(ctx context.Context, conns []*pgx.Conn, ld *newProjectLoad) error {
	var tables []extract.Name
	seen := map[extract.Name]bool{}
	for _, t := range ld.toc.Tables {
		if t.Kind == extract.KindTable && !seen[t.Name] {
			seen[t.Name] = true
			tables = append(tables, t.Name)
		}
	}
	checks := make([]Check, len(tables))
	var next atomic.Int64
	err := parallelDo(ctx, len(conns), func(ctx context.Context, w int) error {
		for {
			k := int(next.Add(1) - 1)
			if k >= len(tables) {
				return nil
			}
			t := tables[k]
			r.progress(Event{Phase: PhaseVerify, Table: t, Message: "counting the rows of " + t.String()})
			c := Check{Table: t, Want: ld.rows[t]}
			if err := conns[w].QueryRow(ctx, "SELECT count(*) FROM ONLY "+t.String()).Scan(&c.Got); err != nil {
				return fmt.Errorf("count the rows of %s: %w", t, err)
			}
			c.OK = c.Got == c.Want
			checks[k] = c
		}
	})
	if err != nil {
		return err
	}
	r.res.Checks = checks
	var bad []string
	for _, c := range checks {
		if !c.OK {
			bad = append(bad, fmt.Sprintf("%s holds %d rows, the snapshot %d", c.Table, c.Got, c.Want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed: %v", bad)
	}
	return nil
}
