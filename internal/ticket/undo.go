package ticket

import (
	"fmt"
	"strings"

	"github.com/powabase/restorectl/internal/apply"
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
}

// UndoCommand is the command line that undoes the restore recorded as id
// in project, with every flag of o that undo needs to run as pasted into
// a fresh shell, and notes on what the line cannot carry.
func (o Origin) UndoCommand(id, project, ticket string) (line string, notes []string) {
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
