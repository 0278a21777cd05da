package apply

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// newProjectLoad is what a new project loads from the snapshot: the whole
// schema, and the data of the selected tables (all of them with All).
type newProjectLoad struct {
	toc *extract.TOC
	// schema and data say, per TOC entry, whether it runs as the load
	// role; platform whether the admin runs it first (platformEntries).
	schema, data, platform []bool
	// platformSchemas are the schemas the admin creates for extensions.
	platformSchemas []string
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
func (r *run) newProjectEntries() (*newProjectLoad, []string, error) {
	toc := r.req.Source.TOC
	n := len(toc.Entries)
	ld := &newProjectLoad{toc: toc, schema: make([]bool, n), data: make([]bool, n), firstCopy: n, rows: map[extract.Name]int64{}}
	var err error
	if ld.platform, ld.platformSchemas, err = platformEntries(toc); err != nil {
		return nil, nil, err
	}
	sel := toc.Select(r.selected())
	var warnings []string
	warnings = append(warnings, toc.Warnings...)
	// A foreign key from a table whose rows come to one whose rows do not
	// would fail on the rows; it is left out, and said so.
	dropped := map[int]bool{}
	if !r.req.All {
		for _, fk := range sel.DroppedFKs {
			dropped[fk.Entry] = true
			for _, c := range fk.Comments {
				dropped[c] = true // its comment would name a missing constraint
			}
			warnings = append(warnings, fk.String()+": its rows are not restored, so the foreign key is left out (add it by hand once they are)")
		}
	}
	for i := range toc.Entries {
		e := &toc.Entries[i]
		if e.Item == extract.MetaCommand {
			continue
		}
		if !isDataKind(e.Kind) {
			ld.schema[i] = !dropped[i] && !ld.platform[i]
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
	return ld, warnings, nil
}

// platformEntries picks what the admin runs in a new project before the
// load role runs the rest: the snapshot's extensions (software installed on
// the server, which often only a superuser may create), the schemas they go
// into and the comments on them. None of it is customer code: CREATE
// EXTENSION runs the server's own scripts, into schemas still empty. The
// admin's schemas are then given to the project's role. An extension
// placed in pg_catalog would stand before everything on every search_path
// of the new database: the admin puts none there for a snapshot.
func platformEntries(toc *extract.TOC) (platform []bool, schemas []string, err error) {
	platform = make([]bool, len(toc.Entries))
	home := map[string]bool{}
	for i, e := range toc.Entries {
		switch {
		case e.Kind == extract.KindExtension:
			if e.Detail == "pg_catalog" && e.Object.Name != "plpgsql" {
				return nil, nil, &RefusedError{Reasons: []string{fmt.Sprintf("the snapshot installs extension %s into pg_catalog (at byte %d): restorectl creates extensions only in the project's own schemas",
					extract.QuoteIdent(e.Object.Name), e.Offset)}}
			}
			platform[i] = true
			if e.Detail != "" && e.Detail != "public" && e.Detail != "pg_catalog" {
				home[e.Detail] = true
			}
		case e.Kind == extract.KindComment && e.On == extract.KindExtension:
			platform[i] = true
		}
	}
	for i, e := range toc.Entries {
		if e.Kind == extract.KindSchema && home[e.Object.Name] {
			platform[i] = true
			schemas = append(schemas, e.Object.Name)
		}
	}
	return platform, schemas, nil
}

// loadPlatform runs the platform entries on admin, the admin's session on
// the new database, and hands their schemas to the project's role.
func (r *run) loadPlatform(ctx context.Context, admin *pgx.Conn, db *Database, ld *newProjectLoad) error {
	last := -1
	for i, p := range ld.platform {
		if p {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	var done atomic.Int64
	err := r.newLoader(admin, &done, 0).load(ctx, func(i int) bool {
		return ld.platform[i] || (i < last && ld.toc.Entries[i].Kind == extract.KindSet)
	})
	if err != nil {
		return fmt.Errorf("create the snapshot's extensions (as %s): %w", admin.Config().User, err)
	}
	for _, s := range ld.platformSchemas {
		if _, err := admin.Exec(ctx, "ALTER SCHEMA "+pgx.Identifier{s}.Sanitize()+" OWNER TO "+pgx.Identifier{db.load.Owner}.Sanitize()); err != nil {
			return fmt.Errorf("give schema %s to role %s: %w", s, db.load.Owner, err)
		}
	}
	return nil
}

// planNewProject builds the plan: every table of the snapshot is created,
// the selected ones with their rows.
func (r *run) planNewProject(ld *newProjectLoad, warnings []string) *Plan {
	toc := ld.toc
	p := &Plan{Mode: NewProject, Snapshot: r.req.Source.Name, Target: r.req.Database, Warnings: warnings}
	if pp, ok := r.cfg.Provisioner.(*PostgresProvisioner); ok {
		p.Target, p.Role = pp.Connect(r.req.Database), pp.Owner
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
	var exts int
	for i, e := range toc.Entries {
		if ld.platform[i] && e.Kind == extract.KindExtension {
			exts++
		}
	}
	if exts > 0 {
		p.Statements = append(p.Statements, catalog.PluralExact(exts, "extension", "extensions")+" (created by the admin, in schemas then given to the owner)")
	}
	p.Statements = append(p.Statements, fmt.Sprintf("SET ROLE %s (in sessions of a NOINHERIT login role of this restore's own)", extract.QuoteIdent(p.Role)))
	p.Statements = append(p.Statements, catalog.PluralExact(pre, "schema statement", "schema statements"))
	for i := range toc.Entries {
		e := &toc.Entries[i]
		if !ld.data[i] {
			continue
		}
		switch e.Kind {
		case extract.KindCopy:
			p.Statements = append(p.Statements, fmt.Sprintf("COPY %s: %s", e.Object, catalog.PluralExact(e.Rows, "row", "rows")))
		case extract.KindSequenceSet:
			setvals++
		case extract.KindRefresh:
			p.Statements = append(p.Statements, "REFRESH MATERIALIZED VIEW "+e.Object.String())
		}
	}
	if setvals > 0 {
		p.Statements = append(p.Statements, catalog.PluralExact(setvals, "sequence position", "sequence positions")+" (setval)")
	}
	p.Statements = append(p.Statements, catalog.PluralExact(post, "index/constraint statement", "index/constraint statements"))
	return p
}

// newProject restores the snapshot into a new database: created under a
// temporary name, loaded, verified, and renamed into place; dropped on any
// failure or cancellation.
func (r *run) newProject(ctx context.Context) error {
	r.progress(Event{Phase: PhasePlan, Message: "planning new project " + r.req.Database})
	ld, warnings, err := r.newProjectEntries()
	if err != nil {
		return err
	}
	r.res.Plan = r.planNewProject(ld, warnings)
	if r.req.DryRun {
		return nil
	}
	db, err := r.cfg.Provisioner.Create(ctx, r.req.Database)
	if err != nil {
		return fmt.Errorf("new project %s: %w", r.req.Database, err)
	}
	r.res.Plan.Target = db.Connect
	r.res.Outcome = RolledBack // the database is dropped on failure
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
	r.res.Outcome = Committed
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
	if db.load == nil {
		return errors.New("the new database has no load role: nothing of the snapshot may run as the admin")
	}
	// The admin's session on the new database: extensions before the
	// load, clean-up and verification after it.
	admin, err := pgx.ConnectConfig(ctx, db.Config)
	if err != nil {
		return fmt.Errorf("connect to the new database %s as %s: %w", db.Temp, db.Config.User, err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if err := r.loadPlatform(ctx, admin, db, ld); err != nil {
		return err
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
		c, err := db.load.connect(ctx, db.Config, db.Temp)
		if err != nil {
			return fmt.Errorf("connect to the new database %s: %w", db.Temp, err)
		}
		conns[i] = c
		// Safe: nothing is done until the rename, whose commit (on the
		// admin connection, synchronous) flushes the WAL before it.
		if _, err := c.Exec(ctx, "SET synchronous_commit = off"); err != nil {
			return fmt.Errorf("set up a connection to the new database %s: %w", db.Temp, err)
		}
	}
	if err := db.load.lock(ctx, db.admin); err != nil {
		return err
	}
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
	// What the load role itself owns or was granted goes, so that the
	// role can be dropped once the database is renamed.
	if err := db.load.disown(ctx, admin); err != nil {
		return err
	}
	if err := r.verifyNewProject(ctx, db, admin, parallel, ld); err != nil {
		return err
	}
	if err := admin.Close(ctx); err != nil { // the rename wants no session on it
		return fmt.Errorf("close the admin's connection to the new database: %w", err)
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
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the load: %w", err)
	}
	return nil
}

// countAsAdmin counts t's own rows, having locked it and made sure it is a
// table (not a view whose rule would run as the admin).
func countAsAdmin(ctx context.Context, conn *pgx.Conn, t extract.Name, n *int64) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE ONLY "+t.String()+" IN ACCESS SHARE MODE"); err != nil {
			return err
		}
		var kind string
		if err := tx.QueryRow(ctx, "SELECT relkind::text FROM pg_catalog.pg_class WHERE oid = $1::text::pg_catalog.regclass", t.String()).Scan(&kind); err != nil {
			return err
		}
		if kind != "r" && kind != "p" {
			return fmt.Errorf("it is not a table (relkind %q)", kind)
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM ONLY "+t.String()).Scan(n)
	})
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
// none. It counts as the admin (on admin and up to n-1 more connections),
// once the load role's sessions are closed: the owner's count would be
// filtered by the snapshot's row security policies. A superuser's count(*) of a table runs
// no code of the snapshot; each table is locked and checked to be one
// before it is counted.
func (r *run) verifyNewProject(ctx context.Context, db *Database, admin *pgx.Conn, n int, ld *newProjectLoad) error {
	var tables []extract.Name
	seen := map[extract.Name]bool{}
	for _, t := range ld.toc.Tables {
		if t.Kind == extract.KindTable && !seen[t.Name] {
			seen[t.Name] = true
			tables = append(tables, t.Name)
		}
	}
	conns := make([]*pgx.Conn, min(n, max(len(tables), 1)))
	conns[0] = admin
	defer func() {
		for _, c := range conns[1:] {
			if c != nil {
				c.Close(context.WithoutCancel(ctx))
			}
		}
	}()
	for i := 1; i < len(conns); i++ {
		c, err := pgx.ConnectConfig(ctx, db.Config)
		if err != nil {
			return fmt.Errorf("connect to the new database %s as %s to verify it: %w", db.Temp, db.Config.User, err)
		}
		conns[i] = c
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
			if err := countAsAdmin(ctx, conns[w], t, &c.Got); err != nil {
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
			bad = append(bad, fmt.Sprintf("%s holds %s, the snapshot %s", c.Table, catalog.PluralExact(c.Got, "row", "rows"), catalog.FormatExact(c.Want)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed: %v", bad)
	}
	return nil
}
