package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// resultKeys are the result screen's keys.
type resultKeys struct {
	Quit, Back key.Binding
	// hideBack leaves Esc out of the help (when the restore changed
	// nothing, App's "esc back" says it).
	hideBack bool
}

// The help bar shows Esc only where it does not go back: after a restore
// that committed or may have (App adds its own "esc back" after the
// screen's keys).
func (k resultKeys) ShortHelp() []key.Binding {
	if k.hideBack {
		return []key.Binding{k.Quit}
	}
	return []key.Binding{k.Quit, k.Back}
}
func (k resultKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// resultScreen is screen 8: what the restore did to the target, drawn from
// its outcome (apply.Outcome), never from whether it returned an error: a
// restore can commit and then fail to record it.
type resultScreen struct {
	s       *Session
	err     error
	outcome apply.Outcome
	keys    resultKeys
	// noBack is set when Esc was pressed where there is no going back.
	noBack        bool
	width, height int
}

// NewResultScreen returns the result screen of the session's restore:
// s.Result, and err when it failed.
func NewResultScreen(s *Session, err error) Screen {
	if err == nil && s.Result == nil {
		err = errors.New("the restore returned no result")
	}
	outcome := resultOutcome(s.Result, err)
	if err == nil && outcome != apply.Committed && outcome != apply.Unknown {
		// Not a restore's end (a dry run's result, say): say so rather
		// than draw an empty failure.
		err = fmt.Errorf("the restore ended %s, with no error", outcome)
	}
	k := resultKeys{
		Quit: key.NewBinding(key.WithKeys("enter", "q"), key.WithHelp("enter/q", "quit")),
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to confirm")),
	}
	if resultRetry(outcome) {
		k.hideBack = true
	} else {
		k.Back.SetHelp("esc", "(no going back)")
	}
	return &resultScreen{s: s, err: err, outcome: outcome, keys: k, width: 80, height: 20}
}

// resultOutcome is what the restore did to the target: res.Outcome; no
// result at all means it never started. A result without an outcome comes
// only from a backend older than outcomes: it succeeded when it returned
// no error.
func resultOutcome(res *apply.Result, err error) apply.Outcome {
	switch {
	case res == nil:
		return apply.NotStarted
	case res.Outcome != "":
		return res.Outcome
	case err == nil:
		return apply.Committed
	}
	return apply.NotStarted
}

// resultRetry says whether going back to try again is offered: only when
// the target is as it was. After a commit, or a COMMIT whose fate is
// unknown, a second restore would run on top of the first.
func resultRetry(o apply.Outcome) bool { return o == apply.NotStarted || o == apply.RolledBack }

func (r *resultScreen) Title() string       { return "8 Result" }
func (r *resultScreen) KeyMap() help.KeyMap { return r.keys }

// Typing is true so that Esc reaches the screen: it goes back two screens
// (past the finished progress screen) when nothing was changed, and
// nowhere otherwise.
func (r *resultScreen) Typing() bool { return true }

func (r *resultScreen) SetSize(width, height int) { r.width, r.height = width, height }

func (r *resultScreen) Init() tea.Cmd { return nil }

func (r *resultScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if msg, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(msg, r.keys.Quit):
			return r, tea.Quit
		case key.Matches(msg, r.keys.Back):
			if !resultRetry(r.outcome) {
				r.noBack = true
				return r, nil
			}
			// Below is the finished progress screen, then confirm.
			return r, tea.Sequence(Back(), Back())
		}
	}
	return r, nil
}

// View draws the outcome's body and, below it, what to do next: a body
// too tall for the screen is cut, never what to do next.
func (r *resultScreen) View() string {
	var body, next []string
	switch r.outcome {
	case apply.Committed:
		body, next = r.committed()
	case apply.Unknown:
		body, next = r.unknown()
	default:
		body, next = r.unchanged()
	}
	if room := r.height - len(next) - 1; len(body) > room {
		body = append(body[:max(room-1, 0)], r.s.Styles.Subtle.Render("…"))
	}
	lines := append(append(body, ""), next...)
	if len(lines) > r.height {
		lines = lines[:max(r.height, 0)]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, r.width, "…")
	}
	return strings.Join(lines, "\n")
}

// wrap wraps text to the screen's width, the first line after first and
// the others after indent.
func (r *resultScreen) wrap(first, indent, text string) []string {
	w := max(r.width-ansi.StringWidth(indent), 10)
	lines := strings.Split(ansi.Wordwrap(text, w, ""), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = indent + lines[i]
		}
	}
	return lines
}

// errorLines is r.err, escaped (it quotes the snapshot's names), wrapped
// and indented.
func (r *resultScreen) errorLines() []string { return r.errLines(r.err) }

func (r *resultScreen) errLines(err error) []string {
	var l []string
	for _, e := range strings.Split(termsafe.Text(err.Error()), "\n") {
		l = append(l, r.wrap("  ", "    ", e)...)
	}
	return l
}

// committed draws a restore whose changes are on the target: its checks,
// its audit record, how to undo it; and the error that came after the
// commit, if any, as a warning: it does not undo the commit.
func (r *resultScreen) committed() (body, next []string) {
	st, res := r.s.Styles, r.s.Result
	var l []string
	if res.Verified() {
		l = append(l, st.OK.Render("Restored and verified."))
	} else {
		l = append(l, st.Error.Render("Restored, but verification FAILED: compare the counts below."))
	}
	if r.err != nil {
		l = append(l, "")
		l = append(l, r.styledWrap(st.Warning, "Warning: the restore is committed (the target has changed), but what came after it failed:")...)
		l = append(l, r.errorLines()...)
	}
	l = append(l, "")
	l = append(l, st.Header.Render(fmt.Sprintf("%-40s %10s %10s", "table", "want", "got")))
	for _, c := range res.Checks {
		v := st.OK.Render("ok")
		if !c.OK {
			v = st.Error.Render("MISMATCH")
		}
		l = append(l, fmt.Sprintf("%-40s %10d %10d  %s", termsafe.String(c.Table.String()), c.Want, c.Got, v))
	}
	l = append(l, "")
	l = append(l, "duration      "+formatDuration(res.Duration))
	l = append(l, r.undo()...)
	if r.s.Mode == apply.NewProject && res.Database != nil {
		l = append(l, "", "New project's database "+termsafe.String(res.Database.Name)+", connect with:",
			"  psql "+termsafe.String(ticket.ShellQuote(res.Database.Connect)))
	}
	if r.noBack {
		return l, r.styledWrap(st.Warning, "No going back: the restore is done (a second one would run again). Enter or q quits.")
	}
	return l, []string{st.Subtle.Render("Enter or q quits.")}
}

// styledWrap wraps text to the screen's width, each line in style.
func (r *resultScreen) styledWrap(style lipgloss.Style, text string) []string {
	lines := r.wrap("", "", text)
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}

// undo draws the audit record and, for a destructive restore, its safety
// snapshot and the command that puts it back.
func (r *resultScreen) undo() []string {
	res := r.s.Result
	l := []string{"audit record  " + termsafe.String(res.AuditID)}
	if !r.s.Mode.Destructive() {
		return l
	}
	if res.SafetyKey == "" {
		return append(l, "safety        none written (no existing table was affected)")
	}
	// The same line as the exit summary's (Summary): complete, to paste.
	line, notes := r.s.Origin.UndoCommand(res.AuditID, r.s.Ticket.Project, r.s.Ticket.ID)
	l = append(l, "safety        "+termsafe.String(res.SafetyKey), "", "To undo:")
	l = append(l, r.command(termsafe.String(line))...)
	for _, n := range notes {
		l = append(l, r.wrap("", "", termsafe.String(n))...)
	}
	return l
}

// command draws a command line to copy: indented when it fits, else
// unindented and cut only where the terminal ends (never shortened with an
// ellipsis, and no indent copied into its middle).
func (r *resultScreen) command(line string) []string {
	if ansi.StringWidth("  "+line) <= r.width {
		return []string{"  " + line}
	}
	return strings.Split(ansi.Hardwrap(line, max(r.width, 1), true), "\n")
}

// unknown draws a restore whose COMMIT was sent and whose answer was
// lost: the target may or may not have changed, and only the target can
// tell. Trying again would be a guess, so it is not offered.
func (r *resultScreen) unknown() (body, next []string) {
	st, res := r.s.Styles, r.s.Result
	l := []string{st.Error.Render("The target may or may not have changed.")}
	l = append(l, r.wrap("", "", "The restore's COMMIT was sent, but its acknowledgement was lost and asking the target afterwards failed too:")...)
	if r.err != nil {
		l = append(l, r.errorLines()...)
	}
	l = append(l, "")
	if res.XID != 0 {
		l = append(l, "Ask the target (the project's database) before anything else:",
			"  "+st.Header.Render(fmt.Sprintf("SELECT pg_catalog.txid_status(%d);", res.XID)),
			"    committed    the restore is done; undo it as below if need be",
			"    aborted      nothing was changed: the target is as it was",
			"    in progress  it has not ended yet: ask again in a moment")
	} else {
		l = append(l, r.wrap("", "", "The restore's transaction is not known: compare the tables with its safety snapshot by hand.")...)
	}
	l = append(l, "")
	l = append(l, r.undo()...)
	if r.noBack {
		return l, r.styledWrap(st.Warning, "No going back: ask the target first (a second restore would run on top of the first). Enter or q quits.")
	}
	return l, r.styledWrap(st.Subtle, "Do not restore again before the target answers. Enter or q quits.")
}

// resultBesidesCancel is what went wrong besides the cancel: the errors
// joined to it (errors.Join) that are not the cancel itself, such as
// writing the audit record.
func resultBesidesCancel(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	var out []error
	for _, e := range j.Unwrap() {
		if !errors.Is(e, context.Canceled) {
			out = append(out, e)
		}
	}
	return out
}

// unchanged draws a restore that left the target as it was: refused,
// cancelled, busy, failed before or rolled back after changing it.
func (r *resultScreen) unchanged() (body, next []string) {
	st := r.s.Styles
	var l []string
	var refused *apply.RefusedError
	var other *apply.OtherProjectError
	var busy *apply.BusyError
	cancelled := errors.Is(r.err, context.Canceled)
	switch {
	case errors.As(r.err, &refused):
		l = append(l, st.Error.Render("The restore was refused:"))
		for _, reason := range refused.Reasons {
			l = append(l, r.wrap("  • ", "    ", termsafe.String(reason))...)
		}
	case errors.As(r.err, &other):
		l = append(l, st.Error.Render("The restore was refused:"))
		l = append(l, r.wrap("  • ", "    ", termsafe.String(fmt.Sprintf("snapshot %s belongs to project %s, not %s: the console restores a project's snapshots into that project only",
			other.Snapshot, other.SnapshotProject, other.Project)))...)
	case cancelled:
		// What the cancel interrupted (often a connection it closed) is
		// noise; anything else that went wrong is not.
		l = append(l, st.Warning.Render("The restore was cancelled."))
		for _, e := range resultBesidesCancel(r.err) {
			l = append(l, r.errLines(e)...)
		}
	case errors.As(r.err, &busy):
		l = append(l, st.Error.Render("The restore found a table busy:"))
		l = append(l, r.errorLines()...)
	default:
		l = append(l, st.Error.Render("The restore failed:"))
		l = append(l, r.errorLines()...)
	}
	changed := "Nothing was changed: the target is as it was."
	if r.outcome == apply.RolledBack {
		changed = "Nothing was changed: the restore was rolled back and the target is as it was."
	}
	l = append(l, "", st.OK.Render(changed))
	if r.s.Result != nil && r.s.Result.AuditID != "" {
		l = append(l, "", "audit record  "+termsafe.String(r.s.Result.AuditID))
	}
	switch {
	case refused != nil:
		next = []string{"Next: Esc goes back to change the selection or the mode (add the tables",
			"that reference it, or choose a new project), then try again."}
	case cancelled:
		next = []string{"Next: Esc goes back to confirm and start it again, or q quits."}
	case busy != nil:
		next = []string{"Next: the table is busy: try again in a moment or at a quieter time (Esc",
			"goes back to confirm); q quits."}
	default:
		next = []string{"Next: check the target is reachable and the error above, then Esc goes",
			"back to confirm to try again; q quits."}
	}
	return l, next
}
