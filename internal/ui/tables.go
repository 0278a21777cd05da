package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// nextAfterTables builds the screen that follows the tables screen once a
// selection is made: the preview (tests replace it; nil keeps the console
// on the tables screen).
var nextAfterTables = NewPreviewScreen

// tablesFilterLimit is the longest filter, in runes: a schema.table name
// of PostgreSQL's longest identifiers.
const tablesFilterLimit = 63 + 1 + 63

// tablesKeys are the tables screen's own keys.
type tablesKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Toggle, Schema, All, Filter, Next       key.Binding
	// While the filter is being typed.
	FilterDone, FilterUp, FilterDown key.Binding
}

func newTablesKeys(k KeyMap) tablesKeys {
	return tablesKeys{
		Up:         k.Up,
		Down:       k.Down,
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "first")),
		Bottom:     key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "last")),
		Toggle:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark")),
		Schema:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "schema")),
		All:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Next:       k.Enter,
		FilterDone: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done filtering")),
		FilterUp:   key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
		FilterDown: key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
	}
}

// tablesHelp is the help bar's view of tablesKeys: it depends on whether
// the filter is being typed.
type tablesHelp struct {
	k         tablesKeys
	filtering bool
}

func (h tablesHelp) ShortHelp() []key.Binding {
	if h.filtering {
		return []key.Binding{h.k.FilterDone, h.k.FilterUp, h.k.FilterDown}
	}
	// a (all) is in the full help and in the footer's hint: with App's
	// keys, the short help must fit in 80 columns.
	return []key.Binding{h.k.Toggle, h.k.Schema, h.k.Filter, h.k.Next}
}

func (h tablesHelp) FullHelp() [][]key.Binding {
	if h.filtering {
		return [][]key.Binding{h.ShortHelp()}
	}
	return [][]key.Binding{
		{h.k.Up, h.k.Down, h.k.PageUp, h.k.PageDown, h.k.Top, h.k.Bottom},
		{h.k.Toggle, h.k.Schema, h.k.All, h.k.Filter, h.k.Next},
	}
}

// tablesScreen is screen 3: the snapshot's tables, filtered and selected.
type tablesScreen struct {
	s    *Session
	keys tablesKeys

	filter    textinput.Model
	filtering bool // the filter has the focus

	selected map[extract.Name]bool
	visible  []*extract.Table // the tables the filter lets through, in dump order
	cursor   int              // index in visible
	offset   int              // first visible row drawn

	msg           string // a complaint shown under the footer
	width, height int
}

// NewTablesScreen lists the tables of s.TOC for selection; the tables in
// s.Tables start selected.
func NewTablesScreen(s *Session) Screen {
	m := &tablesScreen{
		s:        s,
		keys:     newTablesKeys(s.Keys),
		filter:   newInput(s.Styles, "/ ", "part of a schema.table name", tablesFilterLimit),
		selected: map[extract.Name]bool{},
		width:    80,
		height:   20,
	}
	for _, n := range s.Tables {
		m.selected[n] = true
	}
	m.refilter()
	return m
}

func (m *tablesScreen) Init() tea.Cmd { return nil }

func (m *tablesScreen) Title() string { return "3 Tables" }

func (m *tablesScreen) KeyMap() help.KeyMap { return tablesHelp{k: m.keys, filtering: m.filtering} }

func (m *tablesScreen) Typing() bool { return m.filtering }

func (m *tablesScreen) SetSize(width, height int) {
	m.width, m.height = max(width, 1), max(height, 1)
	// The filter's text scrolls in the room its line leaves: less the
	// prompt, the cursor after the text and the count after it.
	n := len(m.tables())
	count := ansi.StringWidth(fmt.Sprintf("  %d of %d tables", n, n))
	inputResize(&m.filter, m.width-ansi.StringWidth(m.filter.Prompt)-1-count)
	m.scroll()
}

// tables is every table of the snapshot, in dump order.
func (m *tablesScreen) tables() []*extract.Table {
	if m.s.TOC == nil {
		return nil
	}
	return m.s.TOC.Tables
}

// refilter recomputes the visible tables, keeping the cursor on the same
// table when it is still visible.
func (m *tablesScreen) refilter() {
	var current *extract.Table
	if m.cursor >= 0 && m.cursor < len(m.visible) {
		current = m.visible[m.cursor]
	}
	// Spaces around the filter (a pasted line's newline becomes one) do
	// not count.
	f := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.visible = m.visible[:0]
	for _, t := range m.tables() {
		if f == "" || strings.Contains(strings.ToLower(t.Name.Schema+"."+t.Name.Name), f) {
			m.visible = append(m.visible, t)
		}
	}
	m.cursor = 0
	for i, t := range m.visible {
		if t == current {
			m.cursor = i
		}
	}
	m.scroll()
}

// listHeight is the number of table rows drawn: the screen's height less
// the info line, the column header, the footer and the message line.
func (m *tablesScreen) listHeight() int { return max(m.height-4, 1) }

// scroll keeps the cursor inside the drawn rows.
func (m *tablesScreen) scroll() {
	h := m.listHeight()
	m.cursor = min(max(m.cursor, 0), max(len(m.visible)-1, 0))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = min(m.offset, max(len(m.visible)-h, 0))
	m.offset = max(m.offset, 0)
}

func (m *tablesScreen) move(by int) {
	m.cursor += by
	m.scroll()
}

func (m *tablesScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		if m.filtering {
			// A paste from the clipboard (ctrl+v) comes back as a message.
			return m.updateFilterText(msg)
		}
		return m, nil
	}
	if m.filtering {
		return m.updateFilter(km)
	}
	m.msg = ""
	k := m.keys
	switch {
	case key.Matches(km, k.Up):
		m.move(-1)
	case key.Matches(km, k.Down):
		m.move(1)
	case key.Matches(km, k.PageUp):
		m.move(-m.listHeight())
	case key.Matches(km, k.PageDown):
		m.move(m.listHeight())
	case key.Matches(km, k.Top):
		m.move(-len(m.visible))
	case key.Matches(km, k.Bottom):
		m.move(len(m.visible))
	case key.Matches(km, k.Toggle):
		if t := m.current(); t != nil {
			m.selected[t.Name] = !m.selected[t.Name]
		}
	case key.Matches(km, k.Schema):
		if t := m.current(); t != nil {
			var schema []*extract.Table
			for _, u := range m.tables() {
				if u.Name.Schema == t.Name.Schema {
					schema = append(schema, u)
				}
			}
			m.toggleAll(schema)
		}
	case key.Matches(km, k.All):
		m.toggleAll(m.visible)
	case key.Matches(km, k.Filter):
		m.filtering = true
		m.filter.CursorEnd()
		return m, m.filter.Focus()
	case key.Matches(km, k.Next):
		return m.next()
	}
	return m, nil
}

// updateFilter handles a key while the filter is typed: Enter leaves the
// filter and keeps it, Esc clears and leaves it (App hands Esc to a
// screen that is taking text), ↑/↓ move in the list, everything else is
// text.
func (m *tablesScreen) updateFilter(km tea.KeyMsg) (Screen, tea.Cmd) {
	switch {
	case km.Type == tea.KeyEsc:
		m.filter.Reset()
		m.filter.Blur()
		m.filtering = false
		m.refilter()
		return m, nil
	case key.Matches(km, m.keys.FilterDone):
		m.filter.Blur()
		m.filtering = false
		return m, nil
	case key.Matches(km, m.keys.FilterUp):
		m.move(-1)
		return m, nil
	case key.Matches(km, m.keys.FilterDown):
		m.move(1)
		return m, nil
	}
	return m.updateFilterText(km)
}

// updateFilterText gives msg to the filter's input, and filters again
// when its text changed.
func (m *tablesScreen) updateFilterText(msg tea.Msg) (Screen, tea.Cmd) {
	before := m.filter.Value()
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		m.refilter()
	}
	return m, cmd
}

// current is the table under the cursor, nil when none is visible.
func (m *tablesScreen) current() *extract.Table {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil
	}
	return m.visible[m.cursor]
}

// toggleAll selects every table of ts, or unselects them all when they
// all are selected already.
func (m *tablesScreen) toggleAll(ts []*extract.Table) {
	all := true
	for _, t := range ts {
		all = all && m.selected[t.Name]
	}
	for _, t := range ts {
		m.selected[t.Name] = !all
	}
}

// selection is the selected tables in dump order.
func (m *tablesScreen) selection() []extract.Name {
	var names []extract.Name
	for _, t := range m.tables() {
		if m.selected[t.Name] {
			names = append(names, t.Name)
		}
	}
	return names
}

// next records the selection in the session and goes on.
func (m *tablesScreen) next() (Screen, tea.Cmd) {
	names := m.selection()
	if len(names) == 0 {
		m.msg = "select at least one table (space)"
		return m, nil
	}
	m.s.Tables = names
	if n := nextAfterTables(m.s); n != nil {
		return m, Push(n)
	}
	return m, nil
}

// tablesColumns are the widths of the columns drawn; 0 leaves a column out.
type tablesColumns struct{ name, kind, rows, size int }

func (c tablesColumns) total() int {
	w := c.name
	for _, n := range []int{c.kind, c.rows, c.size} {
		if n > 0 {
			w += 2 + n
		}
	}
	return w
}

// layout fits the columns into width: the name shrinks first, then the
// kind, then kind, size and rows are left out in that order.
func (m *tablesScreen) layout(width int) tablesColumns {
	c := tablesColumns{name: len("TABLE"), kind: len("KIND"), rows: len("ROWS"), size: len("SIZE")}
	for _, t := range m.tables() {
		c.name = max(c.name, ansi.StringWidth(tablesName(t)))
		c.kind = max(c.kind, ansi.StringWidth(tablesKind(t)))
		c.rows = max(c.rows, len(tablesCount(t.Rows)))
		c.size = max(c.size, len(catalog.FormatSize(t.Bytes)))
	}
	natural := c.name
	c.kind = min(c.kind, 32)
	const minName, minKind = 12, 8
	if over := c.total() - width; over > 0 {
		c.name = max(min(minName, natural), c.name-over)
	}
	if over := c.total() - width; over > 0 {
		c.kind = max(min(minKind, c.kind), c.kind-over)
	}
	for _, drop := range []*int{&c.kind, &c.size, &c.rows} {
		if c.total() > width {
			*drop = 0
		}
	}
	c.name = max(min(natural, width-(c.total()-c.name)), 1)
	return c
}

// tablesName is a table's name as drawn: in SQL, control characters
// escaped (termsafe), since the customer chose it.
func tablesName(t *extract.Table) string { return termsafe.String(t.Name.String()) }

// tablesKind names a table's kind as a support engineer reads it (names
// in it escaped).
func tablesKind(t *extract.Table) string {
	switch {
	case t.Partitioned:
		return "partitioned"
	case t.PartitionOf != nil:
		return "partition of " + termsafe.String(t.PartitionOf.String())
	case t.Parent != nil:
		return "inherits " + termsafe.String(t.Parent.String())
	}
	return termsafe.String(string(t.Kind))
}

// tablesCount writes n with thousands separators.
func tablesCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// tablesPad cuts s to w cells, or pads it with spaces on the right (or on
// the left when right is set).
func tablesPad(s string, w int, right bool) string {
	s = ansi.Truncate(s, w, "…")
	pad := strings.Repeat(" ", max(w-ansi.StringWidth(s), 0))
	if right {
		return pad + s
	}
	return s + pad
}

func (m *tablesScreen) View() string {
	st := m.s.Styles
	// Every line has a rank: when the screen is too short for them all,
	// the highest rank goes first: the header, the info line, the footer,
	// the message; the table rows stay, but for the filter being typed.
	var lines []tablesLine
	addAs := func(rank int, s string) { lines = append(lines, tablesLine{ansi.Truncate(s, m.width, "…"), rank}) }
	rowRank := 0
	if m.filtering {
		rowRank = 1
	}
	add := func(s string) { addAs(rowRank, s) }

	all := m.tables()
	switch {
	case m.s.TOC == nil:
		addAs(0, st.Error.Render("no snapshot is open: go back (esc) and choose a snapshot"))
		return tablesJoin(lines, m.height)
	case len(all) == 0:
		addAs(0, st.Error.Render("this snapshot holds no tables: go back (esc) and choose another snapshot"))
		return tablesJoin(lines, m.height)
	}

	// The info line: the filter being typed, or the one in force, or what
	// the list is; the rows drawn come first when they are not all.
	h := m.listHeight()
	count := fmt.Sprintf("%d of %d tables", len(m.visible), len(all))
	if len(m.visible) > h {
		count = fmt.Sprintf("%d–%d of %d", m.offset+1, min(m.offset+h, len(m.visible)), len(m.visible))
		if len(m.visible) < len(all) {
			count += fmt.Sprintf(" (of %d tables)", len(all))
		} else {
			count += " tables"
		}
	} else if len(m.visible) == len(all) {
		count = fmt.Sprintf("%d tables", len(all))
	}
	switch {
	case m.filtering:
		suffix := "  " + count
		in := inputView(m.filter, max(m.width-ansi.StringWidth(suffix), 1))
		addAs(0, in+st.Subtle.Render(suffix))
	case m.filter.Value() != "":
		addAs(4, st.Subtle.Render(fmt.Sprintf("%s · filter %q · / to change", count, m.filter.Value())))
	default:
		info := count
		if !m.s.Snapshot.Time.IsZero() {
			info += " · snapshot of " + m.s.Snapshot.Time.UTC().Format("2006-01-02 15:04 MST")
		}
		addAs(4, st.Subtle.Render(info))
	}

	// The column header and the rows.
	const prefix = 6 // "> [x] "
	c := m.layout(m.width - prefix)
	row := func(name, kind, rows, size string) string {
		b := tablesPad(name, c.name, false)
		if c.kind > 0 {
			b += "  " + tablesPad(kind, c.kind, false)
		}
		if c.rows > 0 {
			b += "  " + tablesPad(rows, c.rows, true)
		}
		if c.size > 0 {
			b += "  " + tablesPad(size, c.size, true)
		}
		return b
	}
	addAs(5, st.Header.Render("      "+row("TABLE", "KIND", "ROWS", "SIZE")))
	for i := m.offset; i < m.offset+h; i++ {
		if i >= len(m.visible) {
			if len(m.visible) == 0 && i == 0 {
				add(st.Subtle.Render(fmt.Sprintf("      no table matches %q", m.filter.Value())))
			} else {
				add("")
			}
			continue
		}
		t := m.visible[i]
		mark := "[ ] "
		if m.selected[t.Name] {
			mark = "[x] "
		}
		r := mark + row(tablesName(t), tablesKind(t), tablesCount(t.Rows), catalog.FormatSize(t.Bytes))
		if i == m.cursor {
			add(st.Selected.Render("> " + r))
		} else {
			add("  " + r)
		}
	}

	// The footer: what is selected.
	var n int
	var rows, bytes int64
	hidden := 0
	shown := map[extract.Name]bool{}
	for _, t := range m.visible {
		shown[t.Name] = true
	}
	for _, t := range all {
		if m.selected[t.Name] {
			n++
			rows += t.Rows
			bytes += t.Bytes
			if !shown[t.Name] {
				hidden++
			}
		}
	}
	footer := "selected: nothing yet (space toggles a table, s its schema, a all)"
	if n > 0 {
		footer = fmt.Sprintf("selected: %d %s · %s rows · %s", n, tablesPlural(n, "table", "tables"), tablesCount(rows), catalog.FormatSize(bytes))
		if hidden > 0 {
			footer += fmt.Sprintf(" (%d hidden by the filter)", hidden)
		}
	}
	addAs(3, footer)
	if m.msg != "" {
		addAs(2, st.Error.Render(m.msg))
	}
	return tablesJoin(lines, m.height)
}

// tablesLine is a line of the screen and how soon it goes when the screen
// is too short: the highest rank first, 0 never.
type tablesLine struct {
	s    string
	rank int
}

// tablesJoin draws lines in at most height lines, leaving out the lines
// of the highest ranks first.
func tablesJoin(lines []tablesLine, height int) string {
	for len(lines) > height {
		worst := -1
		for i, l := range lines {
			if l.rank > 0 && (worst < 0 || l.rank > lines[worst].rank) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		lines = append(lines[:worst], lines[worst+1:]...)
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.s
	}
	return strings.Join(out, "\n")
}

func tablesPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
