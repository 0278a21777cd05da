package ui

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

// Why an option cannot run, and what to do about it.
const (
	modeNoAdmin  = "no admin connection configured: start the console with --admin-url or RESTORECTL_ADMIN_URL"
	modeNoTarget = "no target database configured: start the console with --target or RESTORECTL_TARGET_URL_TEMPLATE"
)

// modeKeys are the mode screen's own keys.
type modeKeys struct {
	Move, Choose key.Binding
}

func newModeKeys(k KeyMap) modeKeys {
	return modeKeys{
		Move:   key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", "move")),
		Choose: key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "choose")),
	}
}

func (k modeKeys) ShortHelp() []key.Binding  { return []key.Binding{k.Choose, k.Move} }
func (k modeKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Choose, k.Move}} }

// modeOption is one thing to do with the selection. stop is the option
// that restores nothing, export the one that writes a script to a file
// (it needs no database); why, when set, says why the option cannot run.
type modeOption struct {
	mode    apply.Mode
	stop    bool
	export  bool
	label   string
	explain string
	why     string
}

// modeScreen is screen 5: what to do with the selected tables.
type modeScreen struct {
	s             *Session
	keys          modeKeys
	options       []modeOption
	cursor        int
	msg           string
	width, height int
}

// NewModeScreen offers the restore modes that can run with the session's
// backend (Targets), a new project first, exporting a script to a file,
// and stopping.
func NewModeScreen(s *Session) Screen {
	target, admin := s.Backend.Targets(s.Ticket.Project)
	opts := []modeOption{
		{mode: apply.NewProject, label: "Restore into a new project",
			explain: "A new database gets the tables; the project itself is not touched."},
		{mode: apply.Overwrite, label: "Overwrite the tables on the project",
			explain: "Replaces the project's tables with the snapshot's, after a safety snapshot."},
		{mode: apply.Merge, label: "Merge the missing rows into the project",
			explain: "Adds the snapshot's rows the project's tables lack; existing rows stay."},
		{export: true, label: "Export a psql script to a file",
			explain: "The tables with what they need, for psql -v ON_ERROR_STOP=1 into an empty database."},
		{stop: true, label: "Stop here (the preview was the point)",
			explain: "Quits the console; nothing is restored."},
	}
	if admin == "" {
		opts[0].why = cmp.Or(s.NoDatabase, modeNoAdmin)
	}
	if target == "" {
		opts[1].why = cmp.Or(s.NoDatabase, modeNoTarget)
		opts[2].why = opts[1].why
	}
	m := &modeScreen{s: s, keys: newModeKeys(s.Keys), options: opts, width: 80, height: 20}
	// The safe default: a new project, else the first option that can run.
	for i, o := range opts {
		if o.why == "" {
			m.cursor = i
			break
		}
	}
	return m
}

func (m *modeScreen) Title() string             { return "5 Mode" }
func (m *modeScreen) KeyMap() help.KeyMap       { return m.keys }
func (m *modeScreen) Typing() bool              { return false }
func (m *modeScreen) Init() tea.Cmd             { return nil }
func (m *modeScreen) SetSize(width, height int) { m.width, m.height = width, height }

// modeDatabase is a new project's default database name:
// <project>-restore-<YYYYMMDD>, today's date.
func modeDatabase(s *Session) string {
	return s.Ticket.Project + "-restore-" + s.Now().UTC().Format("20060102")
}

func (m *modeScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.s.Keys.Up):
		m.cursor = max(m.cursor-1, 0)
		m.msg = ""
	case key.Matches(k, m.s.Keys.Down):
		m.cursor = min(m.cursor+1, len(m.options)-1)
		m.msg = ""
	case key.Matches(k, m.keys.Choose):
		o := m.options[m.cursor]
		switch {
		case o.why != "":
			m.msg = "Not available: " + o.why
			return m, nil
		case o.stop:
			return m, tea.Quit
		case o.export:
			return m, Push(NewExportScreen(m.s))
		}
		m.s.Mode = o.mode
		if o.mode == apply.NewProject {
			if m.s.Database == "" {
				m.s.Database = modeDatabase(m.s)
			}
		} else {
			m.s.Database = ""
		}
		if o.mode != apply.Merge {
			m.s.UpdateChanged = false // merge's alone
		}
		return m, Push(NewConfirmScreen(m.s))
	}
	return m, nil
}

// wrapIndent wraps text to width columns, each line indented by indent.
func wrapIndent(text string, width int, indent string) []string {
	w := max(width-ansi.StringWidth(indent), 10)
	var out []string
	for _, l := range strings.Split(ansi.Wordwrap(text, w, ""), "\n") {
		out = append(out, ansi.Truncate(indent+l, max(width, 1), "…"))
	}
	return out
}

func (m *modeScreen) View() string {
	lines := m.lines(true)
	if m.height > 0 && len(lines) > m.height {
		// Too tall (five options and a message at 80×24): without the
		// blank lines between the options first, then cut.
		lines = m.lines(false)
		if len(lines) > m.height {
			lines = lines[:m.height]
		}
	}
	return strings.Join(lines, "\n")
}

// lines draws the screen, with a blank line between the options when
// spaced.
func (m *modeScreen) lines(spaced bool) []string {
	st := m.s.Styles
	w := max(m.width, 1)
	lines := []string{
		ansi.Truncate(st.Header.Render(fmt.Sprintf("What to do with %s from %s", catalog.Plural(len(m.s.Tables), "table", "tables"), termsafe.String(m.s.Snapshot.Key))), w, "…"),
		"",
	}
	for i, o := range m.options {
		mark := "  "
		if i == m.cursor {
			mark = "> "
		}
		label := o.label
		if o.why != "" {
			label += " (not available)"
		}
		label = ansi.Truncate(mark+label, w, "…")
		switch {
		case i == m.cursor:
			label = st.Selected.Render(label)
		case o.why != "":
			label = st.Subtle.Render(label)
		}
		lines = append(lines, label)
		// An option that cannot run says why instead of what it does.
		if o.why != "" {
			for _, l := range wrapIndent(o.why, w, "    ") {
				lines = append(lines, st.Subtle.Render(l))
			}
		} else {
			lines = append(lines, wrapIndent(o.explain, w, "    ")...)
		}
		if spaced && i < len(m.options)-1 {
			lines = append(lines, "")
		}
	}
	if m.msg != "" {
		lines = append(lines, "")
		for _, l := range wrapIndent(m.msg, w, "") {
			lines = append(lines, st.Error.Render(l))
		}
	}
	return lines
}
