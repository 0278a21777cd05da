package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// verify counts what the target holds now against the snapshot (the
// tables a plan lists: rowTables), and checks the foreign keys of the
// tables loaded with triggers off.
func (t *targetRun) verify(ctx context.Context) error {
	r := t.r
	toc := r.req.Source.TOC
	var checks []Check
	rows := rowTables(t.affected, t.onTarget, toc)
	if len(rows) == 0 {
		// Only partitioned tables without partitions: they hold no rows,
		// as in the snapshot; say so rather than verify nothing.
		for _, n := range t.existing() {
			c := Check{Table: n}
			var err error
			if c.Got, err = countRows(ctx, t.tx, n); err != nil {
				return fmt.Errorf("verify %s: %w", n, err)
			}
			c.OK = c.Got == 0
			r.res.Checks = append(r.res.Checks, c)
			checks = append(checks, c)
		}
	}
	for _, n := range rows {
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
		checks = append(checks, c)
	}
	if err := verifyFailure(checks); err != nil {
		return err
	}
	return t.checkForeignKeys(ctx)
}

// verifyFailure is the verdict on a verification's row counts: nil when
// every check is OK, else the error that rolls the restore back, naming
// each table that does not hold what it should. It reads nothing.
func verifyFailure(checks []Check) error {
	var bad []string
	for _, c := range checks {
		if !c.OK {
			bad = append(bad, fmt.Sprintf("%s holds %s of the snapshot's %s", c.Table, catalog.FormatExact(c.Got), catalog.PluralExact(c.Want, "row", "rows")))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed, rolled back (nothing was changed): %s", strings.Join(bad, "; "))
	}
	return nil
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
