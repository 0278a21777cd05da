package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// overwrite replaces the selected tables' rows on the target, in one
// transaction: lock, check, safety snapshot, truncate, load with triggers
// off, verify, commit.
func (r *run) overwrite(ctx context.Context) (err error) {
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
		return nil
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	if err := t.truncate(ctx); err != nil {
		return err
	}
	if err := t.rowSecurity(ctx, false); err != nil {
		return err
	}
	if err := t.load(ctx); err != nil {
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

// idleTimeout bounds how long the restore's transaction may sit idle
// (idle_in_transaction_session_timeout): a restorectl that stops talking
// (frozen, cut off) releases its locks within it. It is generous because
// the transaction idles while a scan reads past the parts of a large
// snapshot the restore skips; keep-alives hold it off while the safety
// dump runs.
const idleTimeout = 10 * time.Minute

// targetRun is an overwrite or a merge in progress on the target.
type targetRun struct {
	r *run
	// admin is the target URL's own session: the catalog and the load role
	// only, never a statement of the snapshot.
	admin *pgx.Conn
	// role is the load role; conn its session, become the tables' owner,
	// and tx the restore's transaction on it.
	role *loadRole
	conn *pgx.Conn
	tx   pgx.Tx
	// committed is set once COMMIT succeeded: nothing to roll back.
	committed bool

	// names are the tables selected, with those --cascade added.
	names    []extract.Name
	cascaded map[extract.Name]bool
	sel      *extract.Selection
	// affected are the relations of the selection that hold rows (tables,
	// partitions, partitioned parents), in dump order.
	affected []extract.Name
	// onTarget are the relations the selection's statements belong to
	// that the target holds.
	onTarget map[extract.Name]*targetTable
	// snap are the snapshot's definitions of the affected tables the
	// target holds.
	snap  map[extract.Name]*snapTable
	plans map[extract.Name]*TablePlan
	acts  []entryAction
	// created are the objects this restore created (not tables: those are
	// in res.Created), so that their comments and index attaches follow.
	created map[extract.Name]bool
	// stages are merge's staging tables, by target table.
	stages map[extract.Name]*stage
	nstage int
}

// existing returns the affected tables the target holds, in dump order.
func (t *targetRun) existing() []extract.Name {
	var out []extract.Name
	for _, n := range t.affected {
		if t.onTarget[n] != nil {
			out = append(out, n)
		}
	}
	return out
}

// withRows returns the existing affected tables that hold rows of their
// own (not partitioned parents).
func (t *targetRun) withRows() []extract.Name {
	var out []extract.Name
	for _, n := range t.existing() {
		if !t.onTarget[n].Partitioned() {
			out = append(out, n)
		}
	}
	return out
}

// openTarget connects to the target twice: as the admin the target URL
// names, which only inspects the catalog and manages the load role, and as
// the load role become the owner of the affected tables, which runs the
// restore's transaction: everything that may run the snapshot's code.
func (r *run) openTarget(ctx context.Context) (_ *targetRun, err error) {
	r.progress(Event{Phase: PhasePlan, Message: "inspecting the target " + Redact(r.req.Target)})
	cfg, err := targetConfig(r.req.Target)
	if err != nil {
		return nil, err
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the target %s: %w", Redact(r.req.Target), err)
	}
	t := &targetRun{r: r, admin: admin, cascaded: map[extract.Name]bool{}, created: map[extract.Name]bool{},
		stages: map[extract.Name]*stage{}}
	defer func() {
		if err != nil {
			t.close(ctx, &err)
		}
	}()
	owner, err := t.owner(ctx)
	if err != nil {
		return nil, err
	}
	if t.role, err = createLoadRole(ctx, admin, owner, true); err != nil {
		return nil, err
	}
	if t.conn, err = t.role.connect(ctx, cfg, cfg.Database); err != nil {
		return nil, err
	}
	if err = t.role.lock(ctx, admin); err != nil {
		return nil, err
	}
	t.tx, err = t.conn.BeginTx(ctx, r.txOptions())
	if err == nil {
		// A table someone else holds makes the restore fail in seconds,
		// rather than queue every other session behind it; a long load
		// or count is not cut short; a restorectl gone silent does not
		// hold its locks for ever. load sets these again after each SET
		// of the snapshot (which sets them to 0).
		_, err = t.tx.Exec(ctx, "SET LOCAL statement_timeout = 0")
	}
	if err == nil {
		err = r.boundWaits(ctx, t.tx)
	}
	if err != nil {
		return nil, fmt.Errorf("begin a transaction on the target %s: %w", Redact(r.req.Target), err)
	}
	return t, nil
}

// targetConfig is the admin session's configuration of the target's
// connection string, with search_path pinned.
func targetConfig(target string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return nil, fmt.Errorf("parse the target's connection string %s: %w", Redact(target), err)
	}
	cfg.RuntimeParams["search_path"] = pinnedSearchPath
	return cfg, nil
}

// txOptions are the restore's transaction's: a dry run's sees one
// snapshot of the target (and turns read-only once planned: prepare).
func (r *run) txOptions() pgx.TxOptions {
	if r.req.DryRun {
		return pgx.TxOptions{IsoLevel: pgx.RepeatableRead}
	}
	return pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
}

// owner is the role the restore runs as: the owner of the selected tables
// the target holds (one role for all of them), else the database's owner;
// never a role that is or can become a superuser.
func (t *targetRun) owner(ctx context.Context) (string, error) {
	r := t.r
	on, err := inspectTables(ctx, t.admin, relationsOf(r.req.Source.TOC.Select(r.selected())))
	if err != nil {
		return "", fmt.Errorf("inspect the target %s: %w", Redact(r.req.Target), err)
	}
	owners := map[string][]extract.Name{}
	for n, tt := range on {
		owners[tt.Owner] = append(owners[tt.Owner], n)
	}
	if len(owners) > 1 {
		return "", mixedOwners(owners)
	}
	for owner, tables := range owners {
		return owner, checkSafeRole(ctx, t.admin, owner, fmt.Sprintf("make the project's role own %s (ALTER TABLE ... OWNER TO), or restore to a new project", describeTables(sortedNames(tables))))
	}
	var owner string
	if err := t.admin.QueryRow(ctx, "SELECT pg_catalog.pg_get_userbyid(datdba)::text FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()").Scan(&owner); err != nil {
		return "", fmt.Errorf("look up the owner of the target database %s: %w", Redact(r.req.Target), err)
	}
	return owner, checkSafeRole(ctx, t.admin, owner, "the target holds none of the tables, so they would be created as the database's owner: make the project's role own the database, or restore to a new project")
}

// mixedOwners refuses a selection whose tables belong to several roles: a
// restore runs as one of them, and lending it the others would let one
// role's code act as another.
func mixedOwners(owners map[string][]extract.Name) error {
	reasons := []string{"the selected tables belong to different roles, and a restore runs as exactly one table owner: restore each owner's tables separately"}
	for _, owner := range sortedKeys(owners) {
		reasons = append(reasons, fmt.Sprintf("owned by %s: %s", owner, describeTables(sortedNames(owners[owner]))))
	}
	return &RefusedError{Reasons: reasons}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sortedNames(names []extract.Name) []extract.Name {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b extract.Name) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// close rolls back unless committed and closes the connections, with a
// context of its own: a cancelled restore must still roll back, and the
// load role must not outlive it.
func (t *targetRun) close(ctx context.Context, errp *error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if t.tx != nil && !t.committed {
		// A failed rollback on a broken connection is harmless: the server
		// rolls back a transaction whose connection is gone.
		_ = t.tx.Rollback(cctx)
		if t.r.res.Outcome != Unknown {
			t.r.res.Created = nil // rolled back with the rest
		}
	}
	var errs []error
	if t.conn != nil {
		if err := t.conn.Close(cctx); err != nil && !t.committed {
			errs = append(errs, fmt.Errorf("close the connection to the target: %w", err))
		}
	}
	if t.role != nil {
		if err := t.role.disown(cctx, t.admin); err != nil {
			errs = append(errs, err)
		} else if err := t.role.drop(cctx, t.admin); err != nil {
			errs = append(errs, err)
		}
	}
	t.admin.Close(cctx)
	switch {
	case len(errs) == 0:
	case t.committed && t.r.res.Plan != nil:
		// The restore happened: a failed clean-up must not say otherwise.
		for _, err := range errs {
			t.r.res.Plan.Warnings = append(t.r.res.Plan.Warnings, "after the commit: "+err.Error())
		}
	case *errp == nil:
		*errp = errors.Join(errs...)
	}
}

// prepare computes the selection, locks the affected tables, checks them
// again under the locks and compares their columns with the snapshot's.
func (t *targetRun) prepare(ctx context.Context) error {
	if err := t.resolve(ctx); err != nil {
		return err
	}
	if t.r.req.DryRun {
		// No lock that would keep the project's writers waiting: the plan
		// is what the target holds now. The drift check creates (and
		// rolls back) a temporary table; from then on the transaction is
		// read-only.
		if err := t.check(ctx); err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, "SET TRANSACTION READ ONLY"); err != nil {
			return fmt.Errorf("make the dry run's transaction read-only: %w", err)
		}
		return nil
	}
	if err := t.lock(ctx); err != nil {
		return err
	}
	// Under the locks nothing can add a reference or change a locked
	// table: look again, and insist on what the plan was built from.
	before := t.onTarget
	beforeNames := len(t.names)
	if err := t.resolve(ctx); err != nil {
		return err
	}
	if len(t.names) != beforeNames || len(before) != len(t.onTarget) {
		return fmt.Errorf("the target %s changed while the restore was being planned (tables created, dropped or referenced): nothing was changed; run the restore again", Redact(t.r.req.Target))
	}
	for n, tt := range t.onTarget {
		if b := before[n]; b == nil || b.OID != tt.OID {
			return fmt.Errorf("the target %s changed while the restore was being planned (%s was created or replaced): nothing was changed; run the restore again", Redact(t.r.req.Target), n)
		}
	}
	return t.check(ctx)
}

// check refuses tables of another owner, drift and (merge) missing keys.
func (t *targetRun) check(ctx context.Context) error {
	if err := t.checkOwners(); err != nil {
		return err
	}
	if err := t.checkDrift(ctx); err != nil {
		return err
	}
	if t.r.req.Mode == Merge {
		if err := t.checkKeys(); err != nil {
			return err
		}
	}
	return nil
}

// resolve computes the selection and inspects the target: which of its
// relations exist, and (overwrite) which foreign keys from outside the
// selection reference them, adding the referencing tables with --cascade.
func (t *targetRun) resolve(ctx context.Context) error {
	r := t.r
	toc := r.req.Source.TOC
	if t.names == nil {
		t.names = append([]extract.Name(nil), r.selected()...)
	}
	for {
		t.sel = toc.Select(t.names)
		rels := relationsOf(t.sel)
		var err error
		t.onTarget, err = inspectTables(ctx, t.tx, rels)
		if err != nil {
			return fmt.Errorf("inspect the target %s: %w", Redact(r.req.Target), err)
		}
		t.affected = nil
		affected := map[extract.Name]*targetTable{}
		var reasons []string
		for _, n := range t.sel.Tables {
			tbl := toc.Table(n)
			if tbl == nil || tbl.Kind != extract.KindTable {
				continue
			}
			t.affected = append(t.affected, n)
			tt := t.onTarget[n]
			if tt == nil {
				continue
			}
			if tt.Kind != "r" && tt.Kind != "p" {
				reasons = append(reasons, fmt.Sprintf("%s is a table in the snapshot but not on the target (relkind %q): drop or rename it first, or restore to a new project", n, tt.Kind))
				continue
			}
			affected[n] = tt
		}
		if len(reasons) > 0 {
			return &RefusedError{Reasons: reasons}
		}
		if r.req.Mode != Overwrite {
			return nil
		}
		refs, err := inspectReferences(ctx, t.tx, affected)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			return nil
		}
		if !r.req.Cascade {
			for _, ref := range refs {
				reasons = append(reasons, fmt.Sprintf("%s: add it with --table, or use --cascade", ref))
			}
			return &RefusedError{Reasons: reasons}
		}
		added := false
		for _, ref := range refs {
			switch {
			case toc.Table(ref.From) == nil:
				reasons = append(reasons, fmt.Sprintf("%s, but the snapshot does not have %s, so --cascade cannot restore it with them", ref, ref.From))
			case !hasName(t.names, ref.From):
				t.names = append(t.names, ref.From)
				t.cascaded[ref.From] = true
				added = true
			}
		}
		if len(reasons) > 0 {
			return &RefusedError{Reasons: reasons}
		}
		if !added {
			for _, ref := range refs {
				reasons = append(reasons, fmt.Sprintf("%s: the snapshot does not hold %s's rows", ref, ref.From))
			}
			return &RefusedError{Reasons: reasons}
		}
	}
}

func hasName(names []extract.Name, n extract.Name) bool {
	for _, m := range names {
		if m == n {
			return true
		}
	}
	return false
}

// relationsOf lists the relations a selection's statements belong to:
// its tables, shells and every table an included statement names first.
func relationsOf(sel *extract.Selection) []extract.Name {
	seen := map[extract.Name]bool{}
	var out []extract.Name
	add := func(n extract.Name) {
		if n.Name != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range sel.Tables {
		add(n)
	}
	for _, n := range sel.Shells {
		add(n)
	}
	for i, e := range sel.TOC.Entries {
		if sel.Include[i] && len(e.Tables) > 0 {
			add(e.Tables[0])
		}
	}
	return out
}

// checkOwners insists that every affected table the target holds (those
// --cascade added included) belongs to the role the restore runs as.
func (t *targetRun) checkOwners() error {
	owners := map[string][]extract.Name{t.role.Owner: nil}
	for _, n := range t.existing() {
		o := t.onTarget[n].Owner
		owners[o] = append(owners[o], n)
	}
	if len(owners) > 1 {
		return mixedOwners(owners)
	}
	return nil
}

// lock takes SHARE ROW EXCLUSIVE on every affected table the target
// holds: writers wait, readers (and pg_dump's ACCESS SHARE for the safety
// snapshot) do not.
func (t *targetRun) lock(ctx context.Context) error {
	for _, n := range t.existing() {
		if _, err := t.tx.Exec(ctx, "LOCK TABLE ONLY "+n.String()+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return t.r.lockError(err, "lock", n)
		}
	}
	return nil
}

// lockError is a *BusyError when err is a lock wait that timed out, else
// err wrapped with what was done to which tables.
func (r *run) lockError(err error, what string, tables ...extract.Name) error {
	if isLockTimeout(err) {
		return &BusyError{Tables: tables, Wait: r.lockTimeout(), Who: "the restore"}
	}
	return fmt.Errorf("%s %s on the target: %w", what, extract.JoinNames(tables, ", "), err)
}

// isLockTimeout: lock_timeout expired (lock_not_available).
func isLockTimeout(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "55P03"
}

// checkDrift compares the affected tables the target holds with the
// snapshot's definitions, and refuses on incompatible differences.
func (t *targetRun) checkDrift(ctx context.Context) error {
	var err error
	t.snap, err = readSnapshotTables(ctx, t.r.req.Source, t.existing())
	if err != nil {
		return err
	}
	t.plans = map[extract.Name]*TablePlan{}
	var reasons []string
	for _, n := range t.affected {
		tp := &TablePlan{Table: n, Name: n.String(), Cascaded: t.cascaded[n], SnapshotRows: t.r.req.Source.TOC.Table(n).Rows}
		t.plans[n] = tp
		tt := t.onTarget[n]
		if tt == nil {
			continue
		}
		tp.Exists = true
		st := t.snap[n]
		if st == nil {
			reasons = append(reasons, fmt.Sprintf("%s: the snapshot has no CREATE TABLE for it to compare with", n))
			continue
		}
		types, missing, err := snapshotTypes(ctx, t.tx, st.Columns)
		if err != nil {
			return fmt.Errorf("compare the columns of %s with the snapshot's: %w", n, err)
		}
		tp.Drift = compareColumns(st, types, missing, tt)
		for _, d := range tp.Drift {
			if !d.Compatible {
				reasons = append(reasons, fmt.Sprintf("%s column %s: %s (snapshot: %s; target: %s)", n, extract.QuoteIdent(d.Column), d.Reason, noneIfEmpty(d.Snapshot), noneIfEmpty(d.Target)))
			}
		}
	}
	if len(reasons) > 0 {
		reasons = append(reasons, "the target's tables differ from the snapshot's: restore to a new project and move the rows by hand, or align the columns first")
		// The plan shows the drift, for the console and the audit record.
		if err := t.buildPlan(ctx); err != nil {
			return err
		}
		return &RefusedError{Reasons: reasons}
	}
	return nil
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// entryAction is what a restore does with one entry of the snapshot.
type entryAction int

const (
	actSkip entryAction = iota
	// actSet runs the dump's SET statements (encoding, quoting).
	actSet
	// actCreate runs a statement of a relation the target lacks.
	actCreate
	// actDependency runs a statement creating a schema, type, function,
	// sequence, ... in a savepoint: one the target has already is skipped.
	actDependency
	// actIfCreated runs a comment or index attach whose object this
	// restore created.
	actIfCreated
	// actCopy loads a COPY block into its table.
	actCopy
	// actStage loads a COPY block into merge's staging table.
	actStage
	// actSequence runs a setval (merge: only forward).
	actSequence
	// actRefresh refreshes a materialized view.
	actRefresh
)

var actionNames = [...]string{actSkip: "skip", actSet: "set", actCreate: "create", actDependency: "dependency",
	actIfCreated: "if created", actCopy: "copy", actStage: "stage", actSequence: "sequence", actRefresh: "refresh"}

func (a entryAction) String() string { return actionNames[a] }

// plannedActions decides, entry by entry, what the restore runs.
func (t *targetRun) plannedActions() []entryAction {
	return planActions(t.sel, t.onTarget, t.r.req.Mode)
}

// planActions is the planner: from a selection of the snapshot's entries
// and what the target holds (onTarget, by relation), it decides what a
// restore in mode runs of each entry. It reads nothing and changes
// nothing, so that it is tested without a database.
func planActions(sel *extract.Selection, onTarget map[extract.Name]*targetTable, mode Mode) []entryAction {
	acts := make([]entryAction, len(sel.TOC.Entries))
	merge := mode == Merge
	for i := range sel.TOC.Entries {
		e := &sel.TOC.Entries[i]
		if !sel.Include[i] || e.Item == extract.MetaCommand {
			continue
		}
		var a entryAction
		switch {
		case e.Kind == extract.KindSet:
			a = actSet
		case e.Item == extract.CopyData:
			switch {
			case len(e.Tables) == 0:
			case onTarget[e.Tables[0]] == nil:
				a = actCopy
			case merge:
				a = actStage
			default:
				a = actCopy
			}
		case e.Kind == extract.KindSequenceSet:
			a = actSequence
		case e.Kind == extract.KindRefresh:
			a = actRefresh
		case len(e.Tables) > 0:
			if onTarget[e.Tables[0]] == nil {
				a = actCreate
			}
		case e.Kind == extract.KindComment, e.Kind == extract.KindIndexAttach:
			a = actIfCreated
		default:
			a = actDependency
		}
		acts[i] = a
	}
	return acts
}

// runActions are the actions a run carries out: all that are planned,
// except in a merge's dry run, which counts in staging tables only.
func (t *targetRun) runActions(planned []entryAction) []entryAction {
	return runActions(planned, t.r.req.Mode, t.r.req.DryRun)
}

func runActions(planned []entryAction, mode Mode, dryRun bool) []entryAction {
	if !dryRun || mode != Merge {
		return planned
	}
	acts := make([]entryAction, len(planned))
	for i, a := range planned {
		if a == actSet || a == actStage {
			acts[i] = a
		}
	}
	return acts
}

// buildPlan fills the result's plan from the selection and the target's
// row counts.
func (t *targetRun) buildPlan(ctx context.Context) error {
	r := t.r
	var err error
	planned := t.plannedActions()
	t.acts = t.runActions(planned)
	p := &Plan{Mode: r.req.Mode, Snapshot: r.req.Source.Name, Target: Redact(r.req.Target), Role: t.role.Owner}
	r.res.Plan = p
	for _, n := range t.affected {
		tp := t.plans[n]
		tt := t.onTarget[n]
		if tt != nil && tt.Partitioned() {
			continue // no rows of its own: its partitions are planned
		}
		if tbl := r.req.Source.TOC.Table(n); tt == nil && tbl != nil && tbl.Partitioned {
			continue
		}
		if tp.Exists {
			// As the admin: the owner's count would be filtered by row
			// security it forces on itself. count(*) of a table (locked,
			// inspected) runs none of the customer's code.
			if tp.RowsNow, err = countRows(ctx, t.admin, n); err != nil {
				return err
			}
			if err := t.sinceUndone(ctx, tp); err != nil {
				return err
			}
		}
		switch {
		case !tp.Exists:
			tp.RowsAfter, tp.Inserted = tp.SnapshotRows, tp.SnapshotRows
		case r.req.Mode == Overwrite:
			tp.RowsAfter, tp.Deleted, tp.Inserted = tp.SnapshotRows, tp.RowsNow, tp.SnapshotRows
		case r.req.Source.TOC.Table(n).Data < 0:
			tp.RowsAfter = tp.RowsNow // no rows in the snapshot: nothing to merge
		default:
			tp.RowsAfter = -1 // known once the snapshot's rows are compared
		}
		for _, d := range tp.Drift {
			if d.Compatible {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s column %s: %s", n, extract.QuoteIdent(d.Column), d.Reason))
			}
		}
		p.Tables = append(p.Tables, *tp)
	}
	// A dropped key matters only on a table this restore creates: one the
	// target holds keeps its keys, and they are checked after the load.
	for _, d := range t.sel.DroppedFKs {
		if t.onTarget[d.Table] == nil {
			p.Warnings = append(p.Warnings, d.String()+": the table is created without it")
		}
	}
	for _, w := range t.sel.Warnings {
		if !t.existingShell(w) {
			p.Warnings = append(p.Warnings, w)
		}
	}

	p.Statements = append(p.Statements, fmt.Sprintf("SET ROLE %s (in a session of a NOINHERIT login role of this restore's own)", extract.QuoteIdent(t.role.Owner)))
	if ex := t.existing(); len(ex) > 0 {
		p.Statements = append(p.Statements, "LOCK TABLE ONLY "+extract.JoinNames(ex, ", ONLY ")+" IN SHARE ROW EXCLUSIVE MODE")
		p.Statements = append(p.Statements, "safety snapshot (pg_dump) of "+extract.JoinNames(ex, ", "))
	}
	p.Statements = append(p.Statements, "session_replication_role = replica (triggers off)")
	if f := t.forcedRLS(); len(f) > 0 {
		p.Statements = append(p.Statements, "ALTER TABLE ONLY "+extract.JoinNames(f, ", ONLY ")+" NO FORCE ROW LEVEL SECURITY (put back before COMMIT)")
	}
	if r.req.Mode == Overwrite {
		if tr := t.truncateSQL(); tr != "" {
			p.Statements = append(p.Statements, tr)
		}
	}
	toc := r.req.Source.TOC
	for i, a := range planned {
		e := &toc.Entries[i]
		switch a {
		case actCreate:
			if e.Kind == extract.KindTable {
				p.Statements = append(p.Statements, "CREATE TABLE "+e.Object.String())
			} else {
				p.Statements = append(p.Statements, describeEntry(e))
			}
		case actDependency:
			p.Statements = append(p.Statements, describeEntry(e)+" (unless the target has it)")
		case actCopy:
			p.Statements = append(p.Statements, fmt.Sprintf("COPY %s: %d rows", e.Object, e.Rows))
		case actStage:
			p.Statements = append(p.Statements, fmt.Sprintf("COPY %s into a staging table: %d rows", e.Object, e.Rows))
			p.Statements = append(p.Statements, fmt.Sprintf("INSERT INTO %s the rows whose keys it lacks", e.Object))
			if r.req.UpdateChanged {
				p.Statements = append(p.Statements, fmt.Sprintf("UPDATE %s rows that differ from the snapshot's", e.Object))
			}
		case actRefresh:
			p.Statements = append(p.Statements, "REFRESH MATERIALIZED VIEW "+e.Object.String())
		}
	}
	p.Statements = append(p.Statements, "verify row counts")
	if p.Sequences, err = t.planSequences(ctx, planned); err != nil {
		return err
	}
	for _, sp := range p.Sequences {
		if sp.Action != SeqKept && sp.Action != SeqNotOwned {
			p.Statements = append(p.Statements, fmt.Sprintf("SELECT setval %s (%s)", sp.Name, sp.Action))
		}
	}
	p.Statements = append(p.Statements, "COMMIT")
	return nil
}

// sinceUndone counts, for an undo, what the project wrote to tp's table
// since the restore being undone: that restore's rows carry its
// transaction id in xmin, rows written later do not.
func (t *targetRun) sinceUndone(ctx context.Context, tp *TablePlan) error {
	rec := t.r.req.UndoOf
	if rec == nil || rec.XID == 0 {
		return nil
	}
	var written int64 = -1
	for _, rr := range rec.Rows {
		if rr.Table == tp.Name {
			written = rr.Inserted + rr.Updated
		}
	}
	var intact int64
	xid := strconv.FormatUint(rec.XID&0xffffffff, 10) // xmin is the 32-bit xid
	if err := t.admin.QueryRow(ctx, "SELECT count(*) FROM ONLY "+tp.Table.String()+" WHERE xmin::text = $1", xid).Scan(&intact); err != nil {
		return fmt.Errorf("count the rows of %s written since restore %s: %w", tp.Table, rec.ID, err)
	}
	tp.WrittenSince = tp.RowsNow - intact
	if written >= 0 {
		tp.GoneSince = max(written-intact, 0)
	}
	if tp.WrittenSince > 0 || tp.GoneSince > 0 {
		t.r.res.Plan.Warnings = append(t.r.res.Plan.Warnings, fmt.Sprintf("%s: since restore %s, %d rows were written and %d of its rows changed or deleted; undo discards those changes",
			tp.Table, rec.ID, tp.WrittenSince, tp.GoneSince))
	}
	return nil
}

// existingShell says the warning is about a table that comes as a
// definition only, which the target has already: nothing is done to it.
func (t *targetRun) existingShell(warning string) bool {
	for _, n := range t.sel.Shells {
		if t.onTarget[n] != nil && strings.HasPrefix(warning, n.String()+" is not selected") {
			return true
		}
	}
	return false
}

func describeEntry(e *extract.Entry) string {
	s := strings.ToUpper(string(e.Kind))
	if e.Object.Name != "" {
		s += " " + e.Object.String()
	}
	if e.Detail != "" && e.Kind != extract.KindExtension {
		s += " (" + e.Detail + ")"
	}
	return s
}

// safetySnapshot has the affected tables the target holds dumped as they
// are, in this transaction's snapshot, before anything changes.
func (t *targetRun) safetySnapshot(ctx context.Context) error {
	ex := t.existing()
	if len(ex) == 0 {
		return nil
	}
	t.r.progress(Event{Phase: PhaseSafety, Message: "safety snapshot of " + extract.JoinNames(ex, ", ")})
	var snap string
	if err := t.tx.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&snap); err != nil {
		return fmt.Errorf("safety snapshot failed, nothing was changed: export the transaction's snapshot: %w", err)
	}
	stop := t.keepAlive(ctx)
	key, err := t.r.safety(ctx, snap, ex)
	stop()
	var busy *BusyError
	if errors.As(err, &busy) {
		return err
	}
	if err != nil {
		return fmt.Errorf("safety snapshot failed, nothing was changed: %w", err)
	}
	t.r.res.SafetyKey = key
	return nil
}

// keepAlive pings the restore's transaction until stop is called, so that
// idle_in_transaction_session_timeout does not end it while pg_dump, in
// another session, reads the tables under its locks.
func (t *targetRun) keepAlive(ctx context.Context) (stop func()) {
	// Not a cancelled context: pgx closes a connection whose query is
	// cancelled, and this one carries the restore.
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(idleTimeout / 4)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				// A failed ping shows again at the next statement.
				_, _ = t.tx.Exec(ctx, "SELECT 1")
			}
		}
	}()
	return func() { close(quit); <-done }
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

// forcedRLS returns the existing affected tables that force row security
// on their owner.
func (t *targetRun) forcedRLS() []extract.Name {
	var out []extract.Name
	for _, n := range t.existing() {
		if t.onTarget[n].ForceRLS {
			out = append(out, n)
		}
	}
	return out
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

// truncateSQL empties the existing affected tables in one statement (a
// foreign key between two of them is then no obstacle). Partitioned
// parents are left out: they hold no rows, and their partitions are in
// the set.
func (t *targetRun) truncateSQL() string {
	rows := t.withRows()
	if len(rows) == 0 {
		return ""
	}
	return "TRUNCATE ONLY " + extract.JoinNames(rows, ", ONLY ")
}

func (t *targetRun) truncate(ctx context.Context) error {
	sql := t.truncateSQL()
	if sql == "" {
		return nil
	}
	if _, err := t.tx.Exec(ctx, sql); err != nil {
		return t.r.lockError(err, "empty", t.withRows()...)
	}
	return nil
}

// load walks the snapshot once, in dump order, running what plannedActions
// decided.
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

var setvalRE = regexp.MustCompile(`(?is)^\s*SELECT\s+pg_catalog\.setval\(\s*'((?:[^']|'')*)'\s*,\s*(-?\d+)\s*,\s*(true|false)\s*\)\s*;?\s*$`)

// parseSetval reads pg_dump's "SELECT pg_catalog.setval('seq', 42, true);":
// the sequence as written in the literal, its value and is_called.
func parseSetval(sql string) (seq string, value int64, called bool, ok bool) {
	m := setvalRE.FindStringSubmatch(sql)
	if m == nil {
		return "", 0, false, false
	}
	v, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return "", 0, false, false
	}
	return strings.ReplaceAll(m[1], "''", "'"), v, strings.EqualFold(m[3], "true"), true
}

// verify counts what the target holds now against the snapshot, and
// checks the foreign keys of the tables loaded with triggers off.
func (t *targetRun) verify(ctx context.Context) error {
	r := t.r
	toc := r.req.Source.TOC
	var bad []string
	for _, n := range t.affected {
		if tt := t.onTarget[n]; tt != nil && tt.Partitioned() {
			continue
		}
		if tt := t.onTarget[n]; tt == nil && toc.Table(n) != nil && toc.Table(n).Partitioned {
			continue
		}
		r.progress(Event{Phase: PhaseVerify, Table: n, Message: "verifying " + n.String()})
		var c Check
		var err error
		if st := t.stages[n]; st != nil {
			c, err = st.check(ctx, t.tx)
		} else if r.req.Mode == Merge && t.onTarget[n] != nil {
			c = Check{Table: n, OK: true} // no rows in the snapshot: nothing to merge
		} else {
			c = Check{Table: n, Want: toc.Table(n).Rows}
			c.Got, err = countRows(ctx, t.tx, n)
			c.OK = c.Got == c.Want
		}
		if err != nil {
			return fmt.Errorf("verify %s: %w", n, err)
		}
		r.res.Checks = append(r.res.Checks, c)
		if !c.OK {
			bad = append(bad, fmt.Sprintf("%s holds %d of the snapshot's %d rows", n, c.Got, c.Want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed, rolled back (nothing was changed): %s", strings.Join(bad, "; "))
	}
	return t.checkForeignKeys(ctx)
}

// checkForeignKeys checks the foreign keys of the existing tables that
// were loaded with triggers off: their rows may reference rows the target
// does not hold.
func (t *targetRun) checkForeignKeys(ctx context.Context) error {
	var oids []uint32
	for _, n := range t.existing() {
		oids = append(oids, t.onTarget[n].OID)
	}
	fks, err := inspectForeignKeys(ctx, t.tx, oids)
	if err != nil {
		return err
	}
	var reasons []string
	for _, fk := range fks {
		t.r.progress(Event{Phase: PhaseVerify, Table: fk.From, Message: "checking FOREIGN KEY " + fk.Name + " of " + fk.From.String()})
		n, err := fk.violations(ctx, t.tx)
		if err != nil {
			return err
		}
		if n > 0 {
			reasons = append(reasons, fmt.Sprintf("%d rows of %s reference rows that %s does not hold (FOREIGN KEY %s): restore %s too (--table), or restore to a new project",
				n, fk.From, fk.To, extract.QuoteIdent(fk.Name), fk.To))
		}
	}
	if len(reasons) > 0 {
		return &RefusedError{Reasons: reasons}
	}
	return nil
}

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
