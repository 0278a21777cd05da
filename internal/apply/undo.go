package apply

import (
	"fmt"
	"strings"
)

// UndoCommand is the command line that undoes the restore recorded as id
// in project, for the support engineer to copy.
func UndoCommand(id, project, ticket string) string {
	return fmt.Sprintf("restorectl undo %s --project %s --ticket %s --yes", id, project, ShellQuote(ticket))
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
