package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
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

// tablesKeys are the tables screen's own keys, besides its list's.
type tablesKeys struct {
	Toggle, Schema, All, Next key.Binding
}

func newTablesKeys(k KeyMap) tablesKeys {
	return tablesKeys{
		Toggle: key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark")),
		Schema: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "schema")),
		All:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all")),
		Next:   k.Enter,
	}
}

// tablesHelp is the help bar's view of the screen's keys: it depends on
// whether the filter is being typed.
type tablesHelp struct {
	k         tablesKeys
	l         listKeys
	filtering bool
}

func (h tablesHelp) ShortHelp() []key.Binding {
	if h.filtering {
		return h.l.filterHelp()
	}
	// a (all) is in the full help and in the footer's hint: with App's
	// keys, the short help must fit in 80 columns.
	return []key.Binding{h.k.Toggle, h.k.Schema, h.l.Filter, h.k.Next}
}

func (h tablesHelp) FullHelp() [][]key.Binding {
	if h.filtering {
		return [][]key.Binding{h.ShortHelp()}
	}
	return [][]key.Binding{h.l.moves(), {h.k.Toggle, h.k.Schema, h.k.All, h.l.Filter, h.k.Next}}
}

// tablesScreen is screen 3: the snapshot's tables, filtered and selected.
type tablesScreen struct {
	s    *Session
	keys tablesKeys
	l    list

	selected map[extract.Name]bool
	visible  []*extract.Table // the tables the filter lets through, in dump order

	msg           string // a complaint shown under the footer
	width, height int
}

// NewTablesScreen lists the tables of s.TOC for selection; the tables in
// s.Tables start selected.
func NewTablesScreen(s *Session) Screen {
	m := &tablesScreen{
		s:        s,
		keys:     newTablesKeys(s.Keys),
		l:        newList(s.Styles, s.Keys, "part of a schema.table name", tablesFilterLimit),
		selected: map[extract.Name]bool{},
		width:    80,
		height:   20,
	}
	for _, n := range s.Tables {
		m.selected[n] = true
	}
	m.refilter()
	m.l.setRows(m.listHeight())
	return m
}

func (m *tablesScreen) Init() tea.Cmd { return nil }

func (m *tablesScreen) Title() string { return "3 Tables" }

func (m *tablesScreen) KeyMap() help.KeyMap {
	return tablesHelp{k: m.keys, l: m.l.keys, filtering: m.l.filtering}
}

func (m *tablesScreen) Typing() bool { return m.l.filtering }

// Field is the filter's text while it is typed (TextField).
func (m *tablesScreen) Field() (string, bool) { return m.l.filter.Value(), m.l.filtering }

// Escape clears the filter in force, before Esc goes back.
func (m *tablesScreen) Escape() bool {
	if !m.l.escape() {
		return false
	}
	m.refilter()
	return true
}

// Close keeps the selection in the session when the screen is left:
// choosing the same snapshot again comes back to it (another snapshot
// clears it).
func (m *tablesScreen) Close() { m.s.Tables = m.selection() }

func (m *tablesScreen) SetSize(width, height int) {
	m.width, m.height = max(width, 1), max(height, 1)
	// The filter's text scrolls in the room its line leaves: less the
	// prompt, the cursor after the text and the count after it.
	n := len(m.tables())
	count := ansi.StringWidth("  " + m.position(n, n))
	inputResize(&m.l.filter, m.width-ansi.StringWidth(m.l.filter.Prompt)-1-count)
	m.l.setRows(m.listHeight())
}

// position is the list's position indicator; with n of total tables
// shown it is at its widest.
func (m *tablesScreen) position(n, total int) string {
	l := m.l
	l.n, l.cursor = n, n-1
	return l.position(total, "table", "tables")
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
	current := m.current()
	m.visible = m.visible[:0]
	at := 0
	for _, t := range m.tables() {
		if m.l.matches(t.Name.Schema + "." + t.Name.Name) {
			if t == current {
				at = len(m.visible)
			}
			m.visible = append(m.visible, t)
		}
	}
	m.l.reset(len(m.visible), at)
}

// listHeight is the number of table rows drawn: the screen's height less
// the info line, the column header, the footer and the message line.
func (m *tablesScreen) listHeight() int { return max(m.height-4, 1) }

func (m *tablesScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok && !m.l.filtering {
		m.msg = ""
	}
	if took, changed, cmd := m.l.update(msg); took {
		if changed {
			m.refilter()
		}
		return m, cmd
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	k := m.keys
	switch {
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
	case key.Matches(km, k.Next):
		return m.next()
	}
	return m, nil
}

// current is the table under the cursor, nil when none is visible.
func (m *tablesScreen) current() *extract.Table {
	if m.l.cursor < 0 || m.l.cursor >= len(m.visible) {
		return nil
	}
	return m.visible[m.l.cursor]
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
	if m.l.filtering {
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
	// the list is; each with where the cursor is.
	count := m.l.position(len(all), "table", "tables")
	switch {
	case m.l.filtering:
		suffix := "  " + count
		in := inputView(m.l.filter, max(m.width-ansi.StringWidth(suffix), 1))
		addAs(0, in+st.Subtle.Render(suffix))
	case m.l.filter.Value() != "":
		addAs(4, st.Subtle.Render(fmt.Sprintf("%s · filter %q · / to change, esc to clear", count, m.l.filter.Value())))
	default:
		info := count
		if !m.s.Snapshot.Time.IsZero() {
			info += " · snapshot of " + m.s.local(m.s.Snapshot.Time).Format("2006-01-02 15:04 MST")
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
	for i := m.l.offset; i < m.l.offset+m.l.rows; i++ {
		if i >= len(m.visible) {
			if len(m.visible) == 0 && i == 0 {
				add(st.Subtle.Render(fmt.Sprintf("      no table matches %q", m.l.filter.Value())))
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
		if i == m.l.cursor {
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
		footer = fmt.Sprintf("selected: %d %s · %s rows · %s", n, plural(n, "table", "tables"), tablesCount(rows), catalog.FormatSize(bytes))
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
