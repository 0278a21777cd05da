package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// nextAfterConfirm builds the screen that runs the restore: the progress
// screen (tests replace it; nil keeps the console on the confirmation).
var nextAfterConfirm = NewProgressScreen

// confirmTables is how many table names the confirmation lists.
const confirmTables = 3

// confirmKeys are the confirm screen's own keys.
type confirmKeys struct {
	Restore key.Binding
}

func newConfirmKeys(k KeyMap) confirmKeys {
	return confirmKeys{Restore: key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "restore"))}
}

func (k confirmKeys) ShortHelp() []key.Binding  { return []key.Binding{k.Restore} }
func (k confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Restore}} }

// confirmScreen is screen 6: what the restore will do, confirmed by typing
// the project ref (overwrite, merge) or by naming the new database.
type confirmScreen struct {
	s      *Session
	keys   confirmKeys
	target string // where: the redacted target or admin connection
	input  textinput.Model
	msg    string
	width  int
	height int
}

// NewConfirmScreen confirms restoring s.Tables of s.Snapshot in s.Mode.
func NewConfirmScreen(s *Session) Screen {
	target, admin := s.Backend.Targets(s.Ticket.Project)
	m := &confirmScreen{s: s, keys: newConfirmKeys(s.Keys), width: 80, height: 20}
	if s.Mode == apply.NewProject {
		m.target = admin
		m.input = newInput(s.Styles, "Database: ", "", 63)
		m.input.SetValue(s.Database)
	} else {
		m.target = target
		m.input = newInput(s.Styles, "> ", "", 200)
	}
	m.input.Focus()
	return m
}

func (m *confirmScreen) Title() string       { return "6 Confirm" }
func (m *confirmScreen) KeyMap() help.KeyMap { return m.keys }
func (m *confirmScreen) Typing() bool        { return m.input.Focused() }
func (m *confirmScreen) Init() tea.Cmd       { return nil }

func (m *confirmScreen) SetSize(width, height int) {
	m.width, m.height = width, height
	inputResize(&m.input, width-ansi.StringWidth(m.input.Prompt)-1)
}

// modeName is how the screens name a mode.
func modeName(mode apply.Mode) string {
	switch mode {
	case apply.NewProject:
		return "restore into a new project"
	case apply.Overwrite:
		return "overwrite the tables on the project"
	case apply.Merge:
		return "merge the missing rows into the project"
	}
	return string(mode)
}

func (m *confirmScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.s.Keys.Back):
		return m, Back()
	case key.Matches(k, m.keys.Restore):
		return m, m.confirm()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.msg = ""
	return m, cmd
}

// confirm checks what was typed and moves on to the restore.
func (m *confirmScreen) confirm() tea.Cmd {
	// The ref must be typed exactly; a database name loses stray spaces.
	value := strings.TrimSpace(m.input.Value())
	switch {
	case m.target == "" && m.s.Mode == apply.NewProject:
		m.msg = "Cannot restore: " + modeNoAdmin
		return nil
	case m.target == "":
		m.msg = "Cannot restore: " + modeNoTarget
		return nil
	case m.s.Mode == apply.NewProject && value == "":
		m.msg = "Name the new database."
		return nil
	case m.s.Mode == apply.NewProject && len(value) > 63:
		m.msg = "The database name is longer than PostgreSQL's 63 bytes: choose a shorter one."
		return nil
	case m.s.Mode != apply.NewProject && m.input.Value() != m.s.Ticket.Project:
		m.msg = fmt.Sprintf("That is not %s: type the project ref exactly to confirm, or esc to go back.", m.s.Ticket.Project)
		return nil
	}
	if m.s.Mode == apply.NewProject {
		m.s.Database = value
	}
	m.msg = ""
	if next := nextAfterConfirm(m.s); next != nil {
		return Push(next)
	}
	return nil
}

// confirmNames lists the first few of names and how many more there are.
func confirmNames(names []extract.Name) string {
	var parts []string
	for i, n := range names {
		if i == confirmTables {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-confirmTables))
			break
		}
		parts = append(parts, termsafe.String(n.String()))
	}
	return strings.Join(parts, ", ")
}

func (m *confirmScreen) View() string {
	st := m.s.Styles
	s := m.s
	w := max(m.width, 1)
	var lines []string
	add := func(label, value string) {
		lines = append(lines, wrapIndent(fmt.Sprintf("%-10s %s", label, value), w, "")...)
	}
	lines = append(lines, ansi.Truncate(st.Header.Render("Ready to "+modeName(s.Mode)), w, "…"), "")
	add("Snapshot", termsafe.String(s.Snapshot.Key))
	add("Taken", s.Snapshot.Time.UTC().Format("2006-01-02 15:04 MST"))
	add("Tables", fmt.Sprintf("%d: %s", len(s.Tables), confirmNames(s.Tables)))
	add("Ticket", termsafe.String(s.Ticket.ID))
	where := termsafe.String(m.target)
	if where == "" {
		where = "(not configured)"
	}
	if s.Mode == apply.NewProject {
		add("Cluster", where)
		lines = append(lines, "")
		lines = append(lines, wrapIndent("A new database is created on the cluster and the tables are loaded into it; the project itself is not touched. Edit its name if you like, then press enter.", w, "")...)
	} else {
		add("Target", where)
		lines = append(lines, "")
		lines = append(lines, wrapIndent(fmt.Sprintf("A safety snapshot of the tables goes to %s/pre-restore/ first; undo with restorectl undo.", s.Ticket.Project), w, "")...)
		lines = append(lines, "")
		warn := "Overwriting replaces the tables' rows on the project."
		if s.Mode == apply.Merge {
			warn = "Merging adds rows to the tables on the project."
		}
		lines = append(lines, wrapIndent(warn+fmt.Sprintf(" Type the project ref (%s) and press enter to confirm:", s.Ticket.Project), w, "")...)
	}
	lines = append(lines, inputView(m.input, w))
	if m.msg != "" {
		for _, l := range wrapIndent(m.msg, w, "") {
			lines = append(lines, st.Error.Render(l))
		}
	}
	if m.height > 0 && len(lines) > m.height {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}
