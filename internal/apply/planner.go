package apply

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
