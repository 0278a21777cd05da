package ticket

import (
	"fmt"
	"strings"
)

// Origin is how the command line was started, as far as the command lines
// either face prints must repeat it: an undo line is pasted into another
// shell, maybe days later, where neither RESTORECTL_STORE nor the flags of
// the restore are set.
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
	// TemporaryTarget says the databases restores go to are removed when
	// the console ends (the demo's own PostgreSQL), and with them what
	// there was to undo or connect to.
	TemporaryTarget bool
}

// UndoCommand is the command line that undoes the restore recorded as id
// in project, with every flag of o that undo needs to run as pasted into
// a fresh shell, and notes on what the line cannot carry.
func (o Origin) UndoCommand(id, project, ticket string) (line string, notes []string) {
	var flags []string
	if o.Store != "" {
		flags = append(flags, "--store "+ShellQuote(o.Store))
	}
	switch {
	case o.Target != "":
		flags = append(flags, "--target "+ShellQuote(strings.ReplaceAll(o.Target, "{ref}", project)))
	case o.TargetRedacted != "":
		notes = append(notes, fmt.Sprintf("The target's connection string holds a password, so it is left out: before running the line, set RESTORECTL_TARGET_URL_TEMPLATE to %s with the password in place of xxxxx (or pass it, with the password, as --target).",
			strings.ReplaceAll(o.TargetRedacted, "{ref}", project)))
	case o.TargetEnv:
		notes = append(notes, "It reads the target from RESTORECTL_TARGET_URL_TEMPLATE, as the console did: set it where you run the line.")
	}
	if o.PgDump != "" {
		flags = append(flags, "--pg-dump "+ShellQuote(o.PgDump))
	}
	if o.TemporaryStore {
		notes = append(notes, "The store is temporary and is removed when the console ends: the line works only until then.")
	}
	if o.TemporaryTarget {
		notes = append(notes, "The target is the demo's own PostgreSQL, removed when the demo ends: the line works only until then.")
	}
	return undoCommand(id, project, ticket, flags...), notes
}

// undoCommand is the command line that undoes the restore recorded as id
// in project, for the support engineer to copy. flags are what else undo
// needs to find the restore and its target where the line is pasted (a
// fresh shell has none of the environment the restore ran with), each
// already formed as "--store " + ShellQuote(url); they go after --project,
// so that without them the line is as it always was.
func undoCommand(id, project, ticket string, flags ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "restorectl undo %s --project %s", ShellQuote(id), ShellQuote(project))
	for _, f := range flags {
		b.WriteString(" " + f)
	}
	fmt.Fprintf(&b, " --ticket %s --yes", ShellQuote(ticket))
	return b.String()
}

// ShellQuote quotes s for a POSIX shell when it needs it, so that a
// printed command line can be copied as it is.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
