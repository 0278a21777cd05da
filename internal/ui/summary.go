package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// doneWork is one restore run, or one export written, that the console's
// exit summary reports.
type doneWork struct {
	// req is what was restored or exported (an export: its Snapshot and
	// Tables).
	req RestoreRequest
	// A restore's return.
	res *apply.Result
	err error
	// An export's file and size.
	export string
	size   int64
}

// recordRestore notes a restore's return for Summary. The goroutine that
// ran it calls it: when the console quits while a restore runs, the
// progress screen never hears how it ended.
func (s *Session) recordRestore(req RestoreRequest, res *apply.Result, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = append(s.done, doneWork{req: req, res: res, err: err})
}

// recordExport notes an export written to path for Summary.
func (s *Session) recordExport(req RestoreRequest, path string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = append(s.done, doneWork{req: req, export: path, size: size})
}

// Summary is what the console did that must outlive it, as plain text for
// the terminal's scrollback once the console's screen is gone: for each
// restore run, its outcome, where the data went and how to reach it, its
// audit record, its safety snapshot and the command that undoes it; for
// each export, where the file went. It is "" when the console restored and
// exported nothing (dry runs, the preview's, are not restores). The
// command line prints it after the console has ended and its restores
// with it (Restores). What came from a snapshot or a target is escaped
// (termsafe).
func Summary(s *Session) string {
	s.mu.Lock()
	done := append([]doneWork(nil), s.done...)
	s.mu.Unlock()
	var b strings.Builder
	for _, d := range done {
		if d.export != "" {
			fmt.Fprintf(&b, "restorectl: exported %s of snapshot %s to %s (%s)\n", summaryTables(d.req.Tables),
				termsafe.String(d.req.Snapshot.Key), termsafe.String(d.export), catalog.FormatSize(d.size))
			continue
		}
		s.restoreSummary(&b, d)
	}
	return b.String()
}

// summaryLabel is the width of the summary's labels.
const summaryLabel = 17

// restoreSummary writes one restore's summary to b.
func (s *Session) restoreSummary(b *strings.Builder, d doneWork) {
	req, res := d.req, d.res
	outcome := resultOutcome(res, d.err)
	if res == nil {
		res = &apply.Result{Outcome: outcome}
	}
	field := func(label, value string) {
		value = strings.ReplaceAll(value, "\n", "\n"+strings.Repeat(" ", summaryLabel+2))
		fmt.Fprintf(b, "  %-*s %s\n", summaryLabel-1, label, value)
	}
	command := func(intro, line string) {
		fmt.Fprintf(b, "  %s\n    %s\n", intro, termsafe.String(line))
	}
	what := fmt.Sprintf("%s of %s from snapshot %s", summaryMode(req), summaryTables(req.Tables), termsafe.String(req.Snapshot.Key))
	cancelled := errors.Is(d.err, context.Canceled) || errors.Is(d.err, context.DeadlineExceeded)
	switch outcome {
	case apply.Committed:
		fmt.Fprintf(b, "restorectl: restore committed: %s\n", what)
	case apply.Unknown:
		fmt.Fprintf(b, "restorectl: restore outcome UNKNOWN: %s\n", what)
		b.WriteString("  Its COMMIT was sent, but the acknowledgement was lost: the target may or may not have changed.\n")
		if res.XID != 0 {
			fmt.Fprintf(b, "  Ask the target before anything else: SELECT pg_catalog.txid_status(%d);\n", res.XID)
			b.WriteString("    committed: the restore is done (undo it as below if need be); aborted: nothing was changed; in progress: ask again in a moment\n")
		} else {
			b.WriteString("  Its transaction is not known: compare the tables with its safety snapshot by hand.\n")
		}
	case apply.RolledBack:
		how := "rolled back"
		if cancelled {
			how = "cancelled and rolled back"
		}
		fmt.Fprintf(b, "restorectl: restore %s, nothing was changed: %s\n", how, what)
	default:
		how := "not started"
		if cancelled {
			how = "cancelled before it started"
		}
		fmt.Fprintf(b, "restorectl: restore %s, nothing was changed: %s\n", how, what)
	}

	// Where the data went.
	if req.Mode.Destructive() {
		target, _ := s.Backend.Targets(req.Project)
		if target == "" {
			target = "the project's database"
		}
		if outcome != apply.Committed && outcome != apply.Unknown {
			target += " (as it was)"
		}
		field("target", termsafe.String(target))
	} else {
		name := req.Database
		if res.Database != nil {
			name = res.Database.Name
		}
		if name != "" {
			field("database", termsafe.String(name))
		}
	}
	if req.Ticket != "" {
		field("ticket", termsafe.String(req.Ticket))
	}
	if outcome == apply.Committed {
		field("verified", summaryVerified(res))
	}
	if d.err != nil {
		label := "error"
		if outcome == apply.Committed {
			label = "warning"
			field(label, "the restore is committed (the target has changed), but what came after it failed:")
			label = ""
		}
		field(label, termsafe.Text(d.err.Error()))
	}
	if res.AuditID != "" {
		field("audit record", termsafe.String(res.AuditID))
	}
	if outcome != apply.Committed && outcome != apply.Unknown {
		return
	}
	if req.Mode.Destructive() {
		if res.SafetyKey == "" {
			field("safety snapshot", "none written (no existing table was affected)")
			return
		}
		field("safety snapshot", termsafe.String(res.SafetyKey))
		intro := "Undo it with:"
		if outcome == apply.Unknown {
			intro = "If it committed, undo it with:"
		}
		if s.Origin.TemporaryTarget {
			b.WriteString("  The demo's PostgreSQL is removed as the demo ends, and the restored tables with it: there is nothing to undo.\n")
			return
		}
		if s.Origin.TemporaryStore {
			fmt.Fprintf(b, "  The store was temporary and has been removed, safety snapshot and audit record with it: this restore cannot be undone with restorectl undo.\n")
			return
		}
		line, notes := s.Origin.UndoCommand(res.AuditID, req.Project, req.Ticket)
		command(intro, line)
		for _, n := range notes {
			fmt.Fprintf(b, "  %s\n", termsafe.String(n))
		}
		return
	}
	if s.Origin.TemporaryTarget {
		b.WriteString("  The demo's PostgreSQL is removed as the demo ends, and the new database with it.\n")
		return
	}
	if db := res.Database; db != nil && db.Connect != "" {
		command("Connect with:", "psql "+ticket.ShellQuote(db.Connect))
	}
}

// summaryMode names a restore's mode in the summary, merge with
// --update-changed when it was on.
func summaryMode(req RestoreRequest) string {
	switch {
	case req.Mode == apply.NewProject:
		return "new project"
	case req.Mode == apply.Merge && req.UpdateChanged:
		return "merge --update-changed (changed rows updated too)"
	}
	return string(req.Mode)
}

// summaryTables lists tables, escaped; many are counted rather than named.
func summaryTables(tables []extract.Name) string {
	switch len(tables) {
	case 0:
		return "no tables"
	case 1:
		return termsafe.String(tables[0].String())
	}
	return fmt.Sprintf("%d tables (%s)", len(tables), confirmNames(tables))
}

// summaryVerified says whether every table holds the snapshot's rows, and
// which do not.
func summaryVerified(res *apply.Result) string {
	if res.Verified() {
		if len(res.Checks) == 1 {
			return "yes: 1 table, with the snapshot's row count"
		}
		return fmt.Sprintf("yes: %s, each with the snapshot's row count", catalog.Plural(len(res.Checks), "table", "tables"))
	}
	if len(res.Checks) == 0 {
		return "not checked"
	}
	var bad []string
	for _, c := range res.Checks {
		if !c.OK {
			bad = append(bad, fmt.Sprintf("%s has %s, the snapshot %s", termsafe.String(c.Table.String()),
				catalog.PluralExact(c.Got, "row", "rows"), catalog.FormatExact(c.Want)))
		}
	}
	return "FAILED: " + strings.Join(bad, "; ")
}
