package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
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

// confirmKeys are the confirm screen's own keys. They are not text: the
// ref or database name is being typed (ctrl+u is the input's own).
// UpdateChanged toggles merge's --update-changed ("update changed" rows
// too), Scroll scrolls the dry run's plan; their help is short, to fit
// 80 columns.
type confirmKeys struct {
	Restore, UpdateChanged, Scroll key.Binding
}

// newConfirmKeys returns the keys of a confirmation in mode: only a merge
// has update-changed, only a destructive mode a plan to scroll.
func newConfirmKeys(k KeyMap, mode apply.Mode) confirmKeys {
	keys := confirmKeys{
		Restore:       key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "restore")),
		UpdateChanged: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "update changed")),
		Scroll:        key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "plan")),
	}
	keys.UpdateChanged.SetEnabled(mode == apply.Merge)
	keys.Scroll.SetEnabled(mode.Destructive())
	return keys
}

func (k confirmKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Restore, k.UpdateChanged, k.Scroll}
}
func (k confirmKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Restore, k.UpdateChanged, k.Scroll}}
}

// confirmScreen is screen 6: what the restore will do, confirmed by typing
// the project ref (overwrite, merge) or by naming the new database. For
// overwrite and merge it shows the dry run's plan of exactly that restore
// (merge: with or without --update-changed), under the input.
type confirmScreen struct {
	s      *Session
	keys   confirmKeys
	target string // where: the redacted target or admin connection
	input  textinput.Model
	msg    string
	width  int
	height int

	// The plan: job tags the latest dry run, cancel stops it when the
	// screen is left (Close) or re-planned; planning is true while one
	// runs (confirming waits for it); plan is its text.
	job      int
	cancel   context.CancelFunc
	planning bool
	plan     string
	view     viewport.Model
}

// confirmPlanMsg is the result of one dry run of the confirm screen from.
type confirmPlanMsg struct {
	from *confirmScreen
	job  int
	text string
}

// NewConfirmScreen confirms restoring s.Tables of s.Snapshot in s.Mode.
func NewConfirmScreen(s *Session) Screen {
	target, admin := s.Backend.Targets(s.Ticket.Project)
	m := &confirmScreen{s: s, keys: newConfirmKeys(s.Keys, s.Mode), width: 80, height: 20, view: viewport.New(80, 1)}
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

// Field is the input's text (TextField).
func (m *confirmScreen) Field() (string, bool) { return m.input.Value(), m.input.Focused() }

// Init starts the dry run of an overwrite or merge.
func (m *confirmScreen) Init() tea.Cmd {
	if !m.s.Mode.Destructive() || m.target == "" {
		return nil // a new project keeps to its name; no target, no plan
	}
	return m.load()
}

// load runs the dry run of the session's restore, as it is confirmed, in
// a command tagged with a new job id (an earlier one's result is
// dropped) and cancelled when the screen is left or re-planned.
func (m *confirmScreen) load() tea.Cmd {
	m.stop()
	m.job++
	ctx, cancel := context.WithCancel(m.s.context())
	m.cancel, m.planning, m.plan = cancel, true, ""
	job, s, req := m.job, m.s, m.s.request()
	return func() tea.Msg {
		// The dry run writes an audit record: the command line waits on
		// Restores when the console quits.
		s.Restores.Add(1)
		defer s.Restores.Done()
		defer cancel()
		plan, err := s.Backend.Plan(ctx, req)
		var b strings.Builder
		writePlanText(&b, plan, err) // the Target line says against what
		return confirmPlanMsg{from: m, job: job, text: termsafe.Text(b.String())}
	}
}

// stop cancels the dry run under way, if any.
func (m *confirmScreen) stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

// Close cancels the dry run under way: App calls it when the screen is
// left. Its result is dropped.
func (m *confirmScreen) Close() {
	m.stop()
	m.job++
	m.planning = false
}

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
	if p, ok := msg.(confirmPlanMsg); ok {
		if p.from != m || p.job != m.job {
			return m, nil // an earlier dry run's, or another screen's
		}
		m.stop()
		m.planning, m.plan = false, p.text
		return m, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.s.Keys.Back):
		return m, Back()
	case key.Matches(k, m.keys.Restore):
		return m, m.confirm()
	case key.Matches(k, m.keys.UpdateChanged):
		m.s.UpdateChanged = !m.s.UpdateChanged
		m.msg = ""
		if m.target == "" {
			return m, nil
		}
		return m, m.load() // the plan of what is now confirmed
	case key.Matches(k, m.keys.Scroll):
		var cmd tea.Cmd
		m.view, cmd = m.view.Update(msg)
		return m, cmd
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
	case m.planning:
		m.msg = "Wait for the dry run's plan: what you confirm is what it shows."
		return nil
	}
	if m.s.Mode == apply.NewProject {
		m.s.Database = value
	}
	m.msg = ""
	if next := nextAfterConfirm(m.s); next != nil {
		m.stop() // the dry run has ended: this releases its context
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
	add("Taken", s.local(s.Snapshot.Time).Format("2006-01-02 15:04 MST"))
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
		if s.Mode == apply.Merge {
			if s.UpdateChanged {
				add("Changed", "rows the project has with other values: updated (--update-changed)")
			} else {
				add("Changed", "rows the project has with other values: kept (ctrl+t updates them)")
			}
		}
		lines = append(lines, "")
		lines = append(lines, wrapIndent(fmt.Sprintf("A safety snapshot of the tables goes to %s/pre-restore/ first; undo with restorectl undo.", s.Ticket.Project), w, "")...)
		lines = append(lines, "")
		warn := "Overwriting replaces the tables' rows on the project."
		if s.Mode == apply.Merge {
			warn = "Merging adds rows to the tables on the project."
			if s.UpdateChanged {
				warn = "Merging adds rows to the tables on the project and overwrites the rows that differ from the snapshot's."
			}
		}
		lines = append(lines, wrapIndent(warn+fmt.Sprintf(" Type the project ref (%s) and press enter to confirm:", s.Ticket.Project), w, "")...)
	}
	lines = append(lines, inputView(m.input, w))
	if m.msg != "" {
		for _, l := range wrapIndent(m.msg, w, "") {
			lines = append(lines, st.Error.Render(l))
		}
	}
	if s.Mode.Destructive() && m.target != "" {
		lines = append(lines, m.planLines(w, m.height-len(lines)-1)...)
	}
	if m.height > 0 && len(lines) > m.height {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}

// planLines draws the dry run's plan (or that it runs) after a blank
// line, in a scrollable view of height lines, each cut to width.
func (m *confirmScreen) planLines(width, height int) []string {
	if height < 1 {
		return nil
	}
	if m.plan == "" {
		text := "planning a dry run of this restore…"
		if !m.planning {
			text = "no plan: the dry run was stopped"
		}
		return []string{"", m.s.Styles.Subtle.Render(ansi.Truncate(text, width, "…"))}
	}
	plan := strings.Split(strings.TrimRight(m.plan, "\n"), "\n")
	for i, l := range plan {
		plan[i] = ansi.Truncate(l, width, "…")
	}
	m.view.Width, m.view.Height = width, min(height, len(plan))
	m.view.SetContent(strings.Join(plan, "\n"))
	return append([]string{""}, strings.Split(m.view.View(), "\n")...)
}
