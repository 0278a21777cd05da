package ticket

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

// WritePlan writes p as text for people: the one rendering of a plan, for
// the command line's restore and undo and the console's preview alike (its
// JSON encoding is apply.Plan's own tags). It writes, in order: what is
// restored from where into where and as which role; a table of the
// tables (on the target, rows now, the snapshot's, after, deleted,
// inserted, updated); per table merge's missing/identical/different
// counts, undo's rows written/gone since, and drift; the statements;
// the sequences' next values now → after and why; the warnings.
//
// Everything that came from a snapshot or a target (names, types,
// statements, reasons, warnings) goes through termsafe.String: the text is
// safe to print on a terminal as it is. It returns the first write error.
func WritePlan(w io.Writer, p *apply.Plan) error {
	ew := &errWriter{w: w}
	writePlan(ew, p)
	return ew.err
}

func writePlan(w io.Writer, p *apply.Plan) {
	fmt.Fprintf(w, "Plan: %s of %s into %s\n", termsafe.String(string(p.Mode)), termsafe.String(p.Snapshot), termsafe.String(p.Target))
	if p.Role != "" {
		fmt.Fprintf(w, "Loaded as role %s (the snapshot's code never runs as a superuser)\n", termsafe.String(p.Role))
	}
	if len(p.Tables) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TABLE\tON TARGET\tROWS NOW\tSNAPSHOT\tAFTER\tDELETE\tINSERT\tUPDATE")
		for _, t := range p.Tables {
			on := "exists"
			if !t.Exists {
				on = "created"
			}
			if t.Cascaded {
				on += " (cascade)"
			}
			// Exact: a plan is checked row by row (one row deleted
			// too many shows), so no 1.5M here.
			after := catalog.FormatExact(t.RowsAfter)
			if t.RowsAfter < 0 {
				after = "?"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", termsafe.String(t.Name), on, catalog.FormatExact(t.RowsNow), catalog.FormatExact(t.SnapshotRows),
				after, catalog.FormatExact(t.Deleted), catalog.FormatExact(t.Inserted), catalog.FormatExact(t.Updated))
		}
		tw.Flush()
	}
	for _, t := range p.Tables {
		name := termsafe.String(t.Name)
		if t.Missing+t.Identical+t.Different > 0 {
			fmt.Fprintf(w, "  %s: %s missing, %s identical, %s different by primary key\n", name,
				catalog.FormatExact(t.Missing), catalog.FormatExact(t.Identical), catalog.FormatExact(t.Different))
		}
		if t.WrittenSince+t.GoneSince > 0 {
			fmt.Fprintf(w, "  %s: since that restore, %s written and %s of its rows changed or deleted: undo discards them\n", name,
				catalog.PluralExact(t.WrittenSince, "row", "rows"), catalog.FormatExact(t.GoneSince))
		}
		for _, d := range t.Drift {
			verdict := "refused"
			if d.Compatible {
				verdict = "compatible"
			}
			if d.Reason != "" {
				verdict += ": " + termsafe.String(d.Reason)
			}
			fmt.Fprintf(w, "  drift %s.%s: snapshot %s, target %s (%s)\n", name, termsafe.String(d.Column),
				termsafe.String(orNone(d.Snapshot)), termsafe.String(orNone(d.Target)), verdict)
		}
	}
	if len(p.Statements) > 0 {
		fmt.Fprintf(w, "\nStatements (%d):\n", len(p.Statements))
		for _, s := range p.Statements {
			fmt.Fprintf(w, "  %s\n", termsafe.String(s))
		}
	}
	if len(p.Sequences) > 0 {
		fmt.Fprintf(w, "\nSequences (next value now → after the restore):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, sq := range p.Sequences {
			// Exact: 1,500,000 → 1,500,001 is a move; 1.5M → 1.5M hides it.
			now, after := catalog.FormatExact(sq.Now), catalog.FormatExact(sq.After)
			if !sq.Exists {
				now = "new"
			}
			if sequenceUnknown(sq) && !sq.Exists {
				after = "?"
			}
			fmt.Fprintf(tw, "  %s\t%s → %s\t%s\n", termsafe.String(sq.Name), now, after, sequenceWhy(sq))
		}
		tw.Flush()
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, s := range p.Warnings {
			fmt.Fprintf(w, "warning: %s\n", termsafe.String(s))
		}
	}
}

// sequenceUnknown says the plan does not know the snapshot's value of
// sq (Snapshot is 0 while unknown): the load reads it.
func sequenceUnknown(sq apply.SequencePlan) bool {
	return sq.Snapshot == 0 && (sq.Action == apply.SeqIfAhead || !sq.Exists && sq.After == 0)
}

// sequenceWhy explains what a restore does to a sequence and why, with
// the snapshot's value where the plan knows it: sequences only move
// forward unless asked, so "kept" and "not owned" say why one stays.
func sequenceWhy(sq apply.SequencePlan) string {
	unknown := sequenceUnknown(sq)
	switch sq.Action {
	case apply.SeqSet:
		switch {
		case !sq.Exists && unknown:
			return "created, set as the snapshot has it (its value is read during the restore)"
		case !sq.Exists:
			return "created, set as the snapshot has it"
		}
		return fmt.Sprintf("set: the snapshot's %s is ahead", catalog.FormatExact(sq.Snapshot))
	case apply.SeqIfAhead:
		return "set if the snapshot's is ahead (its value is read during the restore)"
	case apply.SeqKept:
		if sq.Snapshot == 0 {
			return "kept: the snapshot's value is not known"
		}
		return fmt.Sprintf("kept: the snapshot's %s is not ahead; sequences move back only when asked (--rewind-sequences)", catalog.FormatExact(sq.Snapshot))
	case apply.SeqRewound:
		return fmt.Sprintf("rewound to the snapshot's %s, as asked (--rewind-sequences)", catalog.FormatExact(sq.Snapshot))
	case apply.SeqNotOwned:
		if sq.Snapshot == 0 {
			return "not owned by a restored table: left as it is"
		}
		return fmt.Sprintf("not owned by a restored table: left as it is (the snapshot's: %s)", catalog.FormatExact(sq.Snapshot))
	}
	return termsafe.String(string(sq.Action))
}

// orNone names a missing side of a drifted column.
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// errWriter keeps the first error of its writes and drops the writes after.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	n, err := e.w.Write(b)
	if err != nil {
		e.err = err
		return len(b), nil
	}
	return n, nil
}
