package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	if err := t.suspend(ctx); err != nil {
		return err
	}
	if err := t.load(ctx); err != nil {
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
	// suspended are what the load switches off and back on.
	suspended []suspension
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
	if err := t.readSuspensions(ctx); err != nil {
		return err
	}
	if t.r.req.Mode == Overwrite {
		if err := t.checkTruncate(ctx); err != nil {
			return err
		}
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

// checkTruncate refuses an overwrite PostgreSQL would not let empty its
// tables: one of a partitioned table the target holds partitions of that
// the snapshot lacks, whose foreign key references a table the overwrite
// empties (the key is the partitioned table's, which cannot be emptied
// whole without emptying those partitions too). resolve has already
// refused or cascaded every other reference from outside the selection.
func (t *targetRun) checkTruncate(ctx context.Context) error {
	whole, only := truncated(t.existing(), t.onTarget)
	var emptied []uint32
	for _, n := range append(whole, only...) {
		emptied = append(emptied, t.onTarget[n].OID)
		for _, p := range t.onTarget[n].Partitions {
			if tt := t.onTarget[p]; tt != nil {
				emptied = append(emptied, tt.OID)
			}
		}
	}
	rows, err := t.tx.Query(ctx, `
		SELECT format('%I.%I', fn.nspname, f.relname), con.conname::text, format('%I.%I', tn.nspname, tt.relname)
		FROM pg_catalog.pg_constraint con
		JOIN pg_catalog.pg_class f ON f.oid = con.conrelid
		JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
		JOIN pg_catalog.pg_class tt ON tt.oid = con.confrelid
		JOIN pg_catalog.pg_namespace tn ON tn.oid = tt.relnamespace
		WHERE con.contype = 'f' AND con.conparentid = 0
		  AND con.confrelid = ANY($1::oid[]) AND NOT con.conrelid = ANY($1::oid[])
		ORDER BY 1, 2`, emptied)
	if err != nil {
		return fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
	}
	// The partitions the snapshot lacks, by partitioned table.
	lacking := map[string][]extract.Name{}
	for _, n := range t.existing() {
		for _, p := range t.onTarget[n].Partitions {
			if t.onTarget[p] == nil {
				lacking[n.String()] = append(lacking[n.String()], p)
			}
		}
	}
	var reasons []string
	for rows.Next() {
		var from, con, to string
		if err := rows.Scan(&from, &con, &to); err != nil {
			rows.Close()
			return fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
		}
		reasons = append(reasons, fmt.Sprintf("%s references %s (FOREIGN KEY %s), and the target holds partitions of %s the snapshot lacks (%s): PostgreSQL empties %s only with the whole of %s; detach those partitions first, or restore to a new project",
			from, to, extract.QuoteIdent(con), from, extract.JoinNames(lacking[from], ", "), to, from))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
	}
	if len(reasons) > 0 {
		return &RefusedError{Reasons: reasons}
	}
	return nil
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
