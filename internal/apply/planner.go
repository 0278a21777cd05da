package apply

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

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
	// actIfCreated runs a comment, index attach or domain constraint
	// whose object this restore created.
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
		case e.Kind == extract.KindComment, e.Kind == extract.KindIndexAttach,
			e.Kind == extract.KindDomain && e.Detail != "":
			// A domain's NOT VALID check (ALTER DOMAIN ... ADD CONSTRAINT)
			// goes with the domain it created, never onto the target's.
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

// buildPlan fills the result's plan. It reads what only the target can
// tell (row counts, what an undo would discard, the sequences' values)
// and leaves the rest to the planner's pure functions: planActions,
// runActions, rowTables, planTable, planWarnings and planStatements.
func (t *targetRun) buildPlan(ctx context.Context) error {
	r := t.r
	toc := r.req.Source.TOC
	planned := planActions(t.sel, t.onTarget, r.req.Mode)
	t.acts = runActions(planned, r.req.Mode, r.req.DryRun)
	p := &Plan{Mode: r.req.Mode, Snapshot: r.req.Source.Name, Target: Redact(r.req.Target), Role: t.role.Owner}
	r.res.Plan = p
	for _, n := range rowTables(t.affected, t.onTarget, toc) {
		tp := t.plans[n]
		if tp.Exists {
			// As the admin: the owner's count would be filtered by row
			// security it forces on itself. count(*) of a table (locked,
			// inspected) runs none of the customer's code.
			var err error
			if tp.RowsNow, err = countRows(ctx, t.admin, n); err != nil {
				return err
			}
			if err := t.sinceUndone(ctx, tp); err != nil {
				return err
			}
		}
		var warnings []string
		*tp, warnings = planTable(*tp, r.req.Mode, toc.Table(n).Data >= 0)
		p.Warnings = append(p.Warnings, warnings...)
		p.Tables = append(p.Tables, *tp)
	}
	p.Warnings = append(p.Warnings, planWarnings(t.sel, t.onTarget)...)
	sequences, err := t.planSequences(ctx, planned)
	if err != nil {
		return err
	}
	p.Sequences = sequences
	p.Statements = planStatements(statementPlan{
		toc:           toc,
		planned:       planned,
		mode:          r.req.Mode,
		updateChanged: r.req.UpdateChanged,
		role:          t.role.Owner,
		existing:      t.existing(),
		forcedRLS:     t.forcedRLS(),
		suspended:     t.suspended,
		truncate:      truncateSQL(truncated(t.existing(), t.onTarget)),
		sequences:     sequences,
	})
	return nil
}

// truncated splits what overwrite empties: the partitioned tables whose
// every partition on the target is among existing, named whole (a foreign
// key declared on a partitioned table is its own, and PostgreSQL empties
// a referenced table only with every table whose key references it); and
// the other tables that hold rows, each ONLY (an inheritance child is a
// table of its own). A partitioned table the target holds partitions of
// that the snapshot lacks is left to its affected partitions.
func truncated(existing []extract.Name, onTarget map[extract.Name]*targetTable) (whole, only []extract.Name) {
	in := map[extract.Name]bool{}
	for _, n := range existing {
		in[n] = true
	}
	covered := map[extract.Name]bool{}
	for _, n := range existing {
		tt := onTarget[n]
		if !tt.Partitioned() || covered[n] || !allIn(tt.Partitions, in) {
			continue
		}
		whole = append(whole, n)
		for _, p := range tt.Partitions {
			covered[p] = true
		}
	}
	// A partitioned table listed before its partitioned parent: drop it.
	whole = slices.DeleteFunc(whole, func(n extract.Name) bool { return covered[n] })
	for _, n := range existing {
		if !onTarget[n].Partitioned() && !covered[n] {
			only = append(only, n)
		}
	}
	return whole, only
}

func allIn(names []extract.Name, set map[extract.Name]bool) bool {
	for _, n := range names {
		if !set[n] {
			return false
		}
	}
	return true
}

// rowTables are the affected tables that hold rows of their own, in dump
// order: those a plan lists and a verification counts. A partitioned
// parent holds none (its partitions are affected too): one the target
// holds as partitioned, or one the target lacks that the snapshot
// partitions.
func rowTables(affected []extract.Name, onTarget map[extract.Name]*targetTable, toc *extract.TOC) []extract.Name {
	var out []extract.Name
	for _, n := range affected {
		tt := onTarget[n]
		if tt != nil && tt.Partitioned() {
			continue
		}
		if tbl := toc.Table(n); tt == nil && tbl != nil && tbl.Partitioned {
			continue
		}
		out = append(out, n)
	}
	return out
}

// planTable is the planner's arithmetic for one table: from what is known
// of it (Exists, SnapshotRows, Drift, and RowsNow as counted on the
// target) and the mode, the rows after the restore, deleted and inserted;
// and warnings about its compatible drift (incompatible drift refuses the
// restore: checkDrift). snapshotHasRows says the snapshot has a COPY
// block for the table. It reads nothing.
func planTable(tp TablePlan, mode Mode, snapshotHasRows bool) (TablePlan, []string) {
	switch {
	case !tp.Exists:
		tp.RowsAfter, tp.Inserted = tp.SnapshotRows, tp.SnapshotRows
	case mode == Overwrite:
		tp.RowsAfter, tp.Deleted, tp.Inserted = tp.SnapshotRows, tp.RowsNow, tp.SnapshotRows
	case !snapshotHasRows:
		tp.RowsAfter = tp.RowsNow // no rows in the snapshot: nothing to merge
	default:
		tp.RowsAfter = -1 // known once the snapshot's rows are compared
	}
	var warnings []string
	for _, d := range tp.Drift {
		if d.Compatible {
			warnings = append(warnings, fmt.Sprintf("%s column %s: %s", tp.Table, extract.QuoteIdent(d.Column), d.Reason))
		}
	}
	return tp, warnings
}

// planWarnings are the selection's warnings that concern the target: a
// dropped foreign key matters only on a table this restore creates (one
// the target holds keeps its keys, and they are checked after the load),
// and a table that comes as a definition only is no news when the target
// has it already. It reads nothing.
func planWarnings(sel *extract.Selection, onTarget map[extract.Name]*targetTable) []string {
	var out []string
	for _, d := range sel.DroppedFKs {
		if onTarget[d.Table] == nil {
			out = append(out, d.String()+": the table is created without it")
		}
	}
	for _, w := range sel.Warnings {
		if !existingShell(sel, onTarget, w) {
			out = append(out, w)
		}
	}
	return out
}

// statementPlan is what planStatements writes a plan's statements from,
// all of it known already.
type statementPlan struct {
	toc *extract.TOC
	// planned are the planner's actions, entry by entry (planActions: a
	// merge's dry run shows what the merge would run, not what it runs).
	planned       []entryAction
	mode          Mode
	updateChanged bool
	// role is the owner the restore runs as.
	role string
	// existing are the affected tables the target holds, in dump order;
	// forcedRLS those of them that force row security on their owner.
	existing, forcedRLS []extract.Name
	// suspended are what the load switches off and back on.
	suspended []suspension
	// truncate empties them (truncateSQL; run in overwrite only).
	truncate  string
	sequences []SequencePlan
}

// planStatements writes what a restore will run, one line each, in order:
// the role, the locks and the safety snapshot, triggers off, row security
// lifted, the truncate, each planned entry, the verification, the
// sequences that move and COMMIT. Every name in them is quoted as SQL
// writes it. It reads nothing.
func planStatements(in statementPlan) []string {
	s := []string{fmt.Sprintf("SET ROLE %s (in a session of a NOINHERIT login role of this restore's own)", extract.QuoteIdent(in.role))}
	if len(in.existing) > 0 {
		s = append(s, "LOCK TABLE ONLY "+extract.JoinNames(in.existing, ", ONLY ")+" IN SHARE ROW EXCLUSIVE MODE")
		s = append(s, "safety snapshot (pg_dump) of "+extract.JoinNames(in.existing, ", "))
	}
	s = append(s, "session_replication_role = replica (triggers off)")
	if len(in.forcedRLS) > 0 {
		s = append(s, "ALTER TABLE ONLY "+extract.JoinNames(in.forcedRLS, ", ONLY ")+" NO FORCE ROW LEVEL SECURITY (put back before COMMIT)")
	}
	if in.mode == Overwrite && in.truncate != "" {
		s = append(s, in.truncate)
	}
	for _, sp := range in.suspended {
		s = append(s, sp.Off+" ("+sp.Why+")")
	}
	for i, a := range in.planned {
		e := &in.toc.Entries[i]
		switch a {
		case actCreate:
			if e.Kind == extract.KindTable {
				s = append(s, "CREATE TABLE "+e.Object.String())
			} else {
				s = append(s, describeEntry(e))
			}
		case actDependency:
			s = append(s, describeEntry(e)+" (unless the target has it)")
		case actCopy:
			// Exact: statements are also the plan's JSON.
			s = append(s, fmt.Sprintf("COPY %s: %s", e.Object, catalog.PluralExact(e.Rows, "row", "rows")))
		case actStage:
			s = append(s, fmt.Sprintf("COPY %s into a staging table: %s", e.Object, catalog.PluralExact(e.Rows, "row", "rows")))
			s = append(s, fmt.Sprintf("INSERT INTO %s the rows whose keys it lacks", e.Object))
			if in.updateChanged {
				s = append(s, fmt.Sprintf("UPDATE %s rows that differ from the snapshot's", e.Object))
			}
		case actRefresh:
			s = append(s, "REFRESH MATERIALIZED VIEW "+e.Object.String())
		}
	}
	s = append(s, "verify row counts")
	for _, sp := range in.sequences {
		if sp.Action != SeqKept && sp.Action != SeqNotOwned {
			s = append(s, fmt.Sprintf("SELECT setval %s (%s)", sp.Name, sp.Action))
		}
	}
	return append(s, "COMMIT")
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
		t.r.res.Plan.Warnings = append(t.r.res.Plan.Warnings, fmt.Sprintf("%s: since restore %s, %s written and %s of its rows changed or deleted; undo discards those changes",
			tp.Table, rec.ID, catalog.PluralExact(tp.WrittenSince, "row", "rows"), catalog.FormatExact(tp.GoneSince)))
	}
	return nil
}

// existingShell says the warning is about a table that comes as a
// definition only, which the target has already: nothing is done to it.
func existingShell(sel *extract.Selection, onTarget map[extract.Name]*targetTable, warning string) bool {
	for _, n := range sel.Shells {
		if onTarget[n] != nil && strings.HasPrefix(warning, n.String()+" is not selected") {
			return true
		}
	}
	return false
}

// describeEntry names an entry for a plan's statements and for errors:
// its kind, its object as SQL writes it, and its detail.
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
