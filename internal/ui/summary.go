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
)

// Origin is how the command line started the console, as far as the
// command lines the console prints must repeat it: an undo line is pasted
// into another shell, maybe days later, where neither RESTORECTL_STORE nor
// the console's flags are set.
type Origin struct {
	// Store is the snapshot store's URL, absolute (catalog.Store.String):
	// always written out, whether it came from --store or RESTORECTL_STORE.
	Store string
	// Target is the --target the console was given ({ref} for the
	// project's ref) when it holds no password. TargetRedacted is that
	// --target with its password masked when it holds one: a password is
	// never printed, nor suggested on a command line that other processes
	// can read. TargetEnv says the target came from
	// RESTORECTL_TARGET_URL_TEMPLATE, which undo reads as well.
	Target, TargetRedacted string
	TargetEnv              bool
	// PgDump is the --pg-dump the console was given: an undo takes a
	// safety snapshot too.
	PgDump string
	// TemporaryStore says the store is removed when the console ends (a
	// demo without a cache directory): no undo can work after that.
	TemporaryStore bool
}

// undoCommand is the command line that undoes the restore recorded as id
// in project, with every flag of o that undo needs to run as pasted into
// a fresh shell, and notes on what the line cannot carry.
func (o Origin) undoCommand(id, project, ticket string) (line string, notes []string) {
	var flags []string
	if o.Store != "" {
		flags = append(flags, "--store "+apply.ShellQuote(o.Store))
	}
	switch {
	case o.Target != "":
		flags = append(flags, "--target "+apply.ShellQuote(strings.ReplaceAll(o.Target, "{ref}", project)))
	case o.TargetRedacted != "":
		notes = append(notes, fmt.Sprintf("The target's connection string holds a password, so it is left out: before running the line, set RESTORECTL_TARGET_URL_TEMPLATE to %s with the password in place of xxxxx (or pass it, with the password, as --target).",
			strings.ReplaceAll(o.TargetRedacted, "{ref}", project)))
	case o.TargetEnv:
		notes = append(notes, "It reads the target from RESTORECTL_TARGET_URL_TEMPLATE, as the console did: set it where you run the line.")
	}
	if o.PgDump != "" {
		flags = append(flags, "--pg-dump "+apply.ShellQuote(o.PgDump))
	}
	if o.TemporaryStore {
		notes = append(notes, "The store is temporary and is removed when the console ends: the line works only until then.")
	}
	return apply.UndoCommand(id, project, ticket, flags...), notes
}

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
	what := fmt.Sprintf("%s of %s from snapshot %s", summaryMode(req.Mode), summaryTables(req.Tables), termsafe.String(req.Snapshot.Key))
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
		if s.Origin.TemporaryStore {
			fmt.Fprintf(b, "  The store was temporary and has been removed, safety snapshot and audit record with it: this restore cannot be undone with restorectl undo.\n")
			return
		}
		line, notes := s.Origin.undoCommand(res.AuditID, req.Project, req.Ticket)
		command(intro, line)
		for _, n := range notes {
			fmt.Fprintf(b, "  %s\n", termsafe.String(n))
		}
		return
	}
	if db := res.Database; db != nil && db.Connect != "" {
		command("Connect with:", "psql "+apply.ShellQuote(db.Connect))
	}
}

// summaryMode names a mode in the summary.
func summaryMode(m apply.Mode) string {
	if m == apply.NewProject {
		return "new project"
	}
	return string(m)
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
		return fmt.Sprintf("yes: %d table(s), each with the snapshot's row count", len(res.Checks))
	}
	if len(res.Checks) == 0 {
		return "not checked"
	}
	var bad []string
	for _, c := range res.Checks {
		if !c.OK {
			bad = append(bad, fmt.Sprintf("%s has %d rows, the snapshot %d", termsafe.String(c.Table.String()), c.Got, c.Want))
		}
	}
	return "FAILED: " + strings.Join(bad, "; ")
}
