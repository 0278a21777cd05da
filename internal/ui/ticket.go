package ui

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

// The ticket screen's fields, in focus order.
const (
	ticketRef = iota
	ticketTime
	ticketID
	ticketFields
)

// ticketLabelWidth is the width of the labels' column, marker included.
const ticketLabelWidth = 16

// ticketKeys are the ticket screen's keys. Up and down are arrows only:
// every letter is text here.
type ticketKeys struct {
	Next, Prev, Submit key.Binding
}

func newTicketKeys() ticketKeys {
	return ticketKeys{
		Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "find snapshots")),
	}
}

func (k ticketKeys) ShortHelp() []key.Binding { return []key.Binding{k.Submit, k.Next} }

func (k ticketKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Submit, k.Next, k.Prev}} }

// ticketScreen is screen 1: the project ref, the time of the incident
// and the ticket id, each validated as it is typed.
type ticketScreen struct {
	s      *Session
	keys   ticketKeys
	inputs [ticketFields]textinput.Model
	focus  int // the field with the focus
	// inputWidth is the columns an input is drawn in.
	inputWidth int
	// submitted: Enter was pressed once, so a missing field is an error
	// now, not just a hint.
	submitted     bool
	width, height int
}

// NewTicketScreen returns the ticket screen, prefilled from s.Ticket (the
// command line's --project, --at and --ticket).
func NewTicketScreen(s *Session) Screen {
	m := &ticketScreen{s: s, keys: newTicketKeys(), width: 80, height: 20}
	at := s.Ticket.AtText
	if at == "" && !s.Ticket.At.IsZero() {
		at = s.Ticket.At.UTC().Format(time.RFC3339)
	}
	values := [ticketFields]string{s.Ticket.Project, at, s.Ticket.ID}
	placeholders := [ticketFields]string{"abcd1234", "yesterday 14:05, 2026-11-20 14:05, 3h ago", "SUP-1234"}
	limits := [ticketFields]int{63, 80, 80}
	for i := range m.inputs {
		m.inputs[i] = newInput(s.Styles, "", placeholders[i], limits[i])
		m.inputs[i].SetValue(values[i])
	}
	m.setFocus(ticketRef)
	m.SetSize(m.width, m.height)
	return m
}

func (m *ticketScreen) Init() tea.Cmd { return nil }

func (m *ticketScreen) Title() string { return "1 Ticket" }

func (m *ticketScreen) KeyMap() help.KeyMap { return m.keys }

// Typing is always true: one of the inputs has the focus.
func (m *ticketScreen) Typing() bool { return true }

// Field is the focused input's text (TextField: ? opens the help while it
// is empty).
func (m *ticketScreen) Field() (string, bool) { return m.inputs[m.focus].Value(), true }

func (m *ticketScreen) SetSize(width, height int) {
	m.width, m.height = width, height
	m.inputWidth = max(min(width-ticketLabelWidth-1, 60), 10)
	for i := range m.inputs {
		// One column for the cursor after the text.
		inputResize(&m.inputs[i], m.inputWidth-1)
	}
}

// setFocus moves the focus (and the cursor) to field i.
func (m *ticketScreen) setFocus(i int) {
	m.focus = i
	for j := range m.inputs {
		if j == i {
			m.inputs[j].Focus()
		} else {
			m.inputs[j].Blur()
		}
	}
}

func (m *ticketScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		// A paste from the clipboard (ctrl+v) comes back as a message.
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
		return m, cmd
	}
	switch {
	case k.Type == tea.KeyEsc:
		return m, Back() // the first screen stays (App)
	case key.Matches(k, m.keys.Submit):
		return m, m.submit()
	case key.Matches(k, m.keys.Next):
		m.setFocus((m.focus + 1) % ticketFields)
	case key.Matches(k, m.keys.Prev):
		m.setFocus((m.focus + ticketFields - 1) % ticketFields)
	default:
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(k)
		return m, cmd
	}
	return m, nil
}

// ticketField is what a field holds once checked.
type ticketField struct {
	err  error  // why the value cannot be used
	note string // what a valid value means (the resolved time)
	// missing: the field is empty; its err is a hint until Enter.
	missing bool
}

// check validates every field as it stands; at is the resolved time.
func (m *ticketScreen) check() (fields [ticketFields]ticketField, at time.Time) {
	ref := strings.TrimSpace(m.inputs[ticketRef].Value())
	switch {
	case ref == "":
		fields[ticketRef] = ticketField{missing: true, err: errors.New("required: the project ref from the ticket (letters, digits, - and _)")}
	default:
		if err := catalog.ValidateRef(ref); err != nil {
			fields[ticketRef].err = err
		}
	}

	text := strings.TrimSpace(m.inputs[ticketTime].Value())
	switch {
	case text == "":
		fields[ticketTime] = ticketField{missing: true, err: errors.New("required: when the data was last right, e.g. yesterday 14:05, 2026-11-20 14:05, 3h ago")}
	default:
		t, err := m.s.Backend.ParseTime(text)
		if err != nil {
			fields[ticketTime].err = err
			break
		}
		at = t.UTC()
		fields[ticketTime].note = "= " + at.Format("2006-01-02 15:04:05 MST Mon") + ", " + ticketRelative(ticketNow(m.s).Sub(at))
	}

	if strings.TrimSpace(m.inputs[ticketID].Value()) == "" {
		fields[ticketID] = ticketField{missing: true, err: errors.New("required: the support ticket's id, recorded with the restore")}
	}
	return fields, at
}

// ticketNow is s.Now(), or the clock's time when s.Now is not set.
func ticketNow(s *Session) time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// ticketRelative says how long ago d was.
func ticketRelative(d time.Duration) string {
	if d < 0 {
		return formatDuration(-d) + " from now (in the future: no snapshot holds it yet)"
	}
	return formatDuration(d) + " ago"
}

// submit moves on to the snapshots when the form is valid, and otherwise
// focuses the first field in the way.
func (m *ticketScreen) submit() tea.Cmd {
	fields, at := m.check()
	for i, f := range fields {
		if f.err != nil {
			m.submitted = true
			m.setFocus(i)
			return nil
		}
	}
	m.s.Ticket = Ticket{
		Project: strings.TrimSpace(m.inputs[ticketRef].Value()),
		At:      at,
		AtText:  strings.TrimSpace(m.inputs[ticketTime].Value()),
		ID:      strings.TrimSpace(m.inputs[ticketID].Value()),
	}
	return Push(NewSnapshotsScreen(m.s))
}

func (m *ticketScreen) View() string {
	st := m.s.Styles
	fields, _ := m.check()
	labels := [ticketFields]string{"Project ref", "Time", "Ticket id"}
	msgWidth := max(m.width-ticketLabelWidth, 20)
	indent := strings.Repeat(" ", ticketLabelWidth)

	var b strings.Builder
	b.WriteString("\n")
	if about := m.s.Ticket.About; about != "" {
		for _, line := range ticketWrap(termsafe.String(about), max(m.width-4, 20)) {
			b.WriteString("  " + line + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(st.Subtle.Render("  Which project, when was its data last right, and for which ticket?"))
	b.WriteString("\n\n")
	for i, in := range m.inputs {
		marker := "  "
		label := st.Subtle.Render(labels[i])
		if i == m.focus {
			marker = "> "
			label = st.Header.Render(labels[i])
		}
		pad := strings.Repeat(" ", max(ticketLabelWidth-2-lipgloss.Width(labels[i]), 1))
		b.WriteString(marker + label + pad + inputView(in, m.inputWidth) + "\n")

		f := fields[i]
		var text string
		var style lipgloss.Style
		switch {
		case f.err != nil && f.missing && !m.submitted:
			text, style = termsafe.String(f.err.Error()), st.Subtle
		case f.err != nil:
			text, style = "✗ "+termsafe.String(f.err.Error()), st.Error
		case f.note != "":
			text, style = f.note, st.OK
		default:
			text, style = "✓", st.OK
		}
		for _, line := range ticketWrap(text, msgWidth) {
			b.WriteString(indent + style.Render(line) + "\n")
		}
		b.WriteString("\n")
	}
	return fitLines(strings.Split(strings.TrimRight(b.String(), "\n"), "\n"), m.width, m.height)
}

// ticketWrap breaks text into lines of at most width columns, between
// words (a word longer than a line is cut).
func ticketWrap(text string, width int) []string {
	width = max(width, 1)
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		for ansi.StringWidth(w) > width {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			head := ansi.Truncate(w, width, "")
			if head == "" {
				_, n := utf8.DecodeRuneInString(w)
				head = w[:n]
			}
			lines = append(lines, head)
			w = w[len(head):]
		}
		switch {
		case line == "":
			line = w
		case ansi.StringWidth(line)+1+ansi.StringWidth(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
