package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// previewRows is how many rows of each table the preview shows.
const previewRows = 10

// nextAfterPreview builds the screen that follows the preview: the mode
// screen (tests replace it; nil keeps the console on the preview).
var nextAfterPreview = NewModeScreen

// previewKeys are the preview screen's own keys.
type previewKeys struct {
	Scroll, Page, Next, Retry key.Binding
}

func newPreviewKeys(k KeyMap) previewKeys {
	return previewKeys{
		Scroll: key.NewBinding(key.WithKeys("up", "down", "k", "j"), key.WithHelp("↑/↓", "scroll")),
		Page:   key.NewBinding(key.WithKeys("pgup", "pgdown", "b", "f"), key.WithHelp("pgup/pgdn", "page")),
		Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose what to do")),
		Retry:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
	}
}

func (k previewKeys) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Scroll} }
func (k previewKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Scroll, k.Page, k.Retry}}
}

// previewScreen is screen 4: a dry run of the selection, what it would
// create (the schema-only script) and the first rows of each table, in a
// scrollable view.
type previewScreen struct {
	s     *Session
	keys  previewKeys
	view  viewport.Model
	width int
	// job tags the latest load; cancel stops it (the dry run against the
	// project's database among it) when the screen is left.
	job    int
	cancel context.CancelFunc
	// rows and script are what was read, drawn to the width by render
	// into loaded; err why it could not be read.
	rows   []*extract.RowSet
	script string
	loaded string
	err    error
}

// previewLoadedMsg is the result of one preview job; from names the
// screen (a preview shown again is a new screen whose jobs count from 1).
type previewLoadedMsg struct {
	from   *previewScreen
	job    int
	rows   []*extract.RowSet
	script string
	err    error
}

// NewPreviewScreen shows the selection s.Tables of s.Snapshot.
func NewPreviewScreen(s *Session) Screen {
	return &previewScreen{s: s, keys: newPreviewKeys(s.Keys), view: viewport.New(80, 10)}
}

func (m *previewScreen) Title() string       { return "4 Preview" }
func (m *previewScreen) KeyMap() help.KeyMap { return m.keys }
func (m *previewScreen) Typing() bool        { return false }

func (m *previewScreen) SetSize(width, height int) {
	m.width = width
	m.view.Width, m.view.Height = width, max(height-1, 1)
	m.render()
}

func (m *previewScreen) Init() tea.Cmd { return m.load() }

// load reads the rows and the definitions in a command, tagged with a new
// job id so that a result for an earlier load is dropped, and cancelled
// when the screen is left (Close). It reads the snapshot only: what a
// restore would do to the project depends on the mode, and the confirm
// screen plans it once the mode is chosen.
func (m *previewScreen) load() tea.Cmd {
	m.stop()
	m.job++
	ctx, cancel := context.WithCancel(m.s.context())
	m.cancel = cancel
	m.rows, m.script, m.loaded, m.err = nil, "", "", nil
	m.render()
	job, s := m.job, m.s
	snap, tables := s.Snapshot.Snapshot, s.Tables
	return func() tea.Msg {
		defer cancel()
		var rows []*extract.RowSet
		for _, t := range tables {
			rs, err := s.Backend.Preview(ctx, snap, t, previewRows)
			if err != nil {
				return previewLoadedMsg{from: m, job: job, err: fmt.Errorf("preview %s: %w", t, err)}
			}
			rows = append(rows, rs)
		}
		var script bytes.Buffer
		if err := s.Backend.Script(ctx, snap, tables, extract.SchemaOnly, &script); err != nil {
			return previewLoadedMsg{from: m, job: job, err: fmt.Errorf("read the definitions: %w", err)}
		}
		return previewLoadedMsg{from: m, job: job, rows: rows, script: script.String()}
	}
}

// stop cancels the load running, if any.
func (m *previewScreen) stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

// Close cancels the load under way: App calls it when the screen is left.
// Its result, an error by then, is dropped.
func (m *previewScreen) Close() {
	m.stop()
	m.job++
}

// planFailed says a dry run made no plan at all (a refusal comes with one).
func planFailed(plan *apply.Plan, err error) bool {
	var refused *apply.RefusedError
	return err != nil && (plan == nil || !errors.As(err, &refused))
}

// writePlanText writes the plan as the command line prints it
// (ticket.WritePlan), then why it is refused if it is; a plan that could
// not be made at all, why.
func writePlanText(b *strings.Builder, plan *apply.Plan, err error) {
	if planFailed(plan, err) {
		fmt.Fprintf(b, "cannot compare with the target: %s\n", termsafe.Text(err.Error()))
		return
	}
	ticket.WritePlan(b, plan) // a strings.Builder does not fail
	var refused *apply.RefusedError
	if errors.As(err, &refused) {
		b.WriteString("\n")
		for _, r := range refused.Reasons {
			fmt.Fprintf(b, "refused: %s\n", termsafe.String(r))
		}
	}
}

// writeRows writes a table's first rows, columns aligned and fitted to
// width; names and values escaped (termsafe), each on one line.
func writeRows(b *strings.Builder, rs *extract.RowSet, t *extract.Table, width int) {
	total := int64(len(rs.Rows))
	if t != nil {
		total = t.Rows
	}
	fmt.Fprintf(b, "%s: %s, the first %d:\n\n", termsafe.String(rs.Table.String()), catalog.Plural(total, "row", "rows"), len(rs.Rows))
	widths := make([]int, len(rs.Columns))
	cell := func(f extract.Field) string {
		if f.Null {
			return "NULL"
		}
		return termsafe.String(f.Value)
	}
	columns := make([]string, len(rs.Columns))
	for i, c := range rs.Columns {
		columns[i] = termsafe.String(c)
		widths[i] = ansi.StringWidth(columns[i])
	}
	for _, row := range rs.Rows {
		for i, f := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], ansi.StringWidth(cell(f)))
			}
		}
	}
	fitWidths(widths, width-2*max(len(widths)-1, 0))
	line := func(vals []string) {
		for i, v := range vals {
			v = ansi.Truncate(v, widths[i], "…")
			b.WriteString(v + strings.Repeat(" ", widths[i]-ansi.StringWidth(v)))
			if i < len(vals)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	line(columns)
	for _, row := range rs.Rows {
		vals := make([]string, len(row))
		for i, f := range row {
			vals[i] = cell(f)
		}
		line(vals)
	}
	if rs.More {
		b.WriteString("…\n")
	}
	b.WriteString("\n")
}

func (m *previewScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case previewLoadedMsg:
		if msg.from != m || msg.job != m.job {
			return m, nil // an earlier load, or another preview's
		}
		m.stop()
		m.rows, m.script, m.err = msg.rows, msg.script, msg.err
		m.render()
		return m, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.keys.Retry) && m.err != nil:
			return m, m.load()
		case key.Matches(msg, m.keys.Next) && m.loaded != "":
			if next := nextAfterPreview(m.s); next != nil {
				m.stop() // moving on (the load has ended: this releases its context)
				return m, Push(next)
			}
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.view, cmd = m.view.Update(msg)
	return m, cmd
}

// render puts the current state into the viewport, the rows' columns
// fitted to the width and lines cut to it.
func (m *previewScreen) render() {
	st := m.s.Styles
	m.loaded = ""
	if m.err == nil && m.rows != nil {
		var b strings.Builder
		for _, rs := range m.rows {
			writeRows(&b, rs, m.s.TOC.Table(rs.Table), m.width)
		}
		b.WriteString("What a restore creates (schema only):\n\n")
		b.WriteString(m.script)
		// Names, values and definitions are the customer's: escaped, the
		// lines kept (the rows are escaped already, to align).
		m.loaded = termsafe.Text(b.String())
	}
	var text string
	switch {
	case m.err != nil:
		text = st.Error.Render("Cannot preview: "+termsafe.Text(m.err.Error())) + "\n\nr retries; esc goes back to choose other tables or another snapshot."
	case m.loaded == "":
		text = st.Subtle.Render("reading the snapshot…")
	default:
		text = m.loaded
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, max(m.width, 1), "…")
	}
	m.view.SetContent(strings.Join(lines, "\n"))
}

func (m *previewScreen) View() string {
	st := m.s.Styles
	head := st.Header.Render(fmt.Sprintf("Preview of %s from %s", catalog.Plural(len(m.s.Tables), "table", "tables"), termsafe.String(m.s.Snapshot.Key)))
	if m.loaded != "" {
		// Where the view is, as lines: a percentage read like a progress
		// bar stuck short of 100.
		total := m.view.TotalLineCount()
		first := min(m.view.YOffset+1, total)
		last := min(m.view.YOffset+m.view.VisibleLineCount(), total)
		head += st.Subtle.Render(fmt.Sprintf("  lines %d–%d of %d", first, last, total))
	}
	return ansi.Truncate(head, max(m.width, 1), "…") + "\n" + m.view.View()
}

// fitWidths narrows the widest columns, one character at a time, until
// they fit in width (never below previewMinColumn): a UUID keeps its 36
// characters when the terminal has room for them. A column wider than the
// whole line is cut to it first, so a megabyte of JSON costs no more than
// a short value.
func fitWidths(widths []int, width int) {
	total := 0
	for i := range widths {
		widths[i] = min(widths[i], max(width, previewMinColumn))
		total += widths[i]
	}
	for total > width {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= previewMinColumn {
			return
		}
		widths[widest]--
		total--
	}
}

// previewMinColumn is how narrow fitWidths makes a column.
const previewMinColumn = 8
