package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/termsafe"
)

// resultKeys are the result screen's keys.
type resultKeys struct {
	Quit, Back key.Binding
	// hideBack leaves Esc out of the help (after a failure App's "esc
	// back" says it).
	hideBack bool
}

// The help bar shows Esc only after a success, where it does not go back
// (App adds its own "esc back" after the screen's keys).
func (k resultKeys) ShortHelp() []key.Binding {
	if k.hideBack {
		return []key.Binding{k.Quit}
	}
	return []key.Binding{k.Quit, k.Back}
}
func (k resultKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// resultScreen is screen 8: what the restore did, or why it did nothing.
type resultScreen struct {
	s    *Session
	err  error
	keys resultKeys
	// noBack is set when Esc was pressed after a success.
	noBack        bool
	width, height int
}

// NewResultScreen returns the result screen of the session's restore:
// s.Result, and err when it failed.
func NewResultScreen(s *Session, err error) Screen {
	if err == nil && s.Result == nil {
		err = errors.New("the restore returned no result")
	}
	k := resultKeys{
		Quit: key.NewBinding(key.WithKeys("enter", "q"), key.WithHelp("enter/q", "quit")),
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to confirm")),
	}
	if err == nil {
		k.Back.SetHelp("esc", "(no going back)")
	} else {
		k.hideBack = true
	}
	return &resultScreen{s: s, err: err, keys: k, width: 80, height: 20}
}

func (r *resultScreen) Title() string       { return "8 Result" }
func (r *resultScreen) KeyMap() help.KeyMap { return r.keys }

// Typing is true so that Esc reaches the screen: it goes back two screens
// (past the finished progress screen) on failure, and nowhere on success.
func (r *resultScreen) Typing() bool { return true }

func (r *resultScreen) SetSize(width, height int) { r.width, r.height = width, height }

func (r *resultScreen) Init() tea.Cmd { return nil }

func (r *resultScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if msg, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(msg, r.keys.Quit):
			return r, tea.Quit
		case key.Matches(msg, r.keys.Back):
			if r.err == nil {
				r.noBack = true
				return r, nil
			}
			// Below is the finished progress screen, then confirm.
			return r, tea.Sequence(Back(), Back())
		}
	}
	return r, nil
}

func (r *resultScreen) View() string {
	var lines []string
	if r.err != nil {
		lines = r.failure()
	} else {
		lines = r.success()
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, r.width, "…")
	}
	if len(lines) > r.height {
		lines = append(lines[:max(r.height-1, 0)], r.s.Styles.Subtle.Render("…"))
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

func (r *resultScreen) success() []string {
	st, res := r.s.Styles, r.s.Result
	var l []string
	if res.Verified() {
		l = append(l, st.OK.Render("Restored and verified."))
	} else {
		l = append(l, st.Error.Render("Restored, but verification FAILED: compare the counts below."))
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
	l = append(l, "audit record  "+res.AuditID)
	if r.s.Mode.Destructive() {
		if res.SafetyKey != "" {
			l = append(l, "safety        "+termsafe.String(res.SafetyKey))
			l = append(l, "", "To undo:", "  "+termsafe.String(apply.UndoCommand(res.AuditID, r.s.Ticket.Project, r.s.Ticket.ID)))
		} else {
			l = append(l, "safety        none written (no existing table was affected)")
		}
	}
	if r.s.Mode == apply.NewProject && res.Database != nil {
		l = append(l, "", "New project's database "+termsafe.String(res.Database.Name)+", connect with:",
			"  psql "+termsafe.String(res.Database.Connect))
	}
	l = append(l, "")
	if r.noBack {
		l = append(l, st.Warning.Render("No going back: the restore is done (a second one would run again). Enter or q quits."))
	} else {
		l = append(l, st.Subtle.Render("Enter or q quits."))
	}
	return l
}

func (r *resultScreen) failure() []string {
	st := r.s.Styles
	var l []string
	var refused *apply.RefusedError
	var other *apply.OtherProjectError
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
	default:
		l = append(l, st.Error.Render("The restore failed:"))
		for _, e := range strings.Split(termsafe.Text(r.err.Error()), "\n") {
			l = append(l, r.wrap("  ", "    ", e)...)
		}
	}
	l = append(l, "", st.OK.Render("Nothing was changed: the target is as it was."), "")
	if r.s.Result != nil && r.s.Result.AuditID != "" {
		l = append(l, "audit record  "+r.s.Result.AuditID, "")
	}
	switch {
	case refused != nil:
		l = append(l, "Next: Esc goes back to change the selection or the mode (add the tables",
			"that reference it, or choose a new project), then try again.")
	case errors.Is(r.err, context.Canceled):
		l = append(l, "Next: Esc goes back to confirm and start it again, or q quits.")
	default:
		l = append(l, "Next: check the target is reachable and the error above, then Esc goes",
			"back to confirm to try again; q quits.")
	}
	return l
}
