package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// listKeys are the keys every list shares: moving, paging, its ends and
// its filter.
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Filter key.Binding
	// While the filter is typed (everything else is text).
	FilterDone, FilterMove, FilterClear key.Binding
	filterUp, filterDown                key.Binding
}

func newListKeys(k KeyMap) listKeys {
	return listKeys{
		Up:          k.Up,
		Down:        k.Down,
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "first")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "last")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		FilterDone:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		FilterMove:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move")),
		FilterClear: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		filterUp:    key.NewBinding(key.WithKeys("up")),
		filterDown:  key.NewBinding(key.WithKeys("down")),
	}
}

// moves is the full help's row of the list's moves.
func (k listKeys) moves() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// filterHelp is the help while the filter is typed.
func (k listKeys) filterHelp() []key.Binding {
	return []key.Binding{k.FilterDone, k.FilterMove, k.FilterClear}
}

// list is the cursor, the scrolling and the filter of a list screen. The
// screen keeps its items and decides what the filter lets through; list
// knows how many that is (n) and how many rows are drawn.
type list struct {
	keys      listKeys
	filter    textinput.Model
	filtering bool // the filter has the focus

	n      int // the items the filter lets through
	cursor int // index of those
	offset int // the first drawn
	rows   int // how many are drawn
}

func newList(st Styles, k KeyMap, placeholder string, limit int) list {
	return list{keys: newListKeys(k), filter: newInput(st, "/ ", placeholder, limit), rows: 1}
}

// query is the filter as matched: lower case, without the spaces around
// it (a pasted line's newline becomes one).
func (l *list) query() string { return strings.ToLower(strings.TrimSpace(l.filter.Value())) }

// matches says whether text passes the filter.
func (l *list) matches(text string) bool {
	q := l.query()
	return q == "" || strings.Contains(strings.ToLower(text), q)
}

// reset takes the number of items the filter lets through and puts the
// cursor on item at.
func (l *list) reset(n, at int) {
	l.n, l.cursor = n, at
	l.scroll()
}

// setRows sets the number of rows drawn.
func (l *list) setRows(rows int) {
	l.rows = max(rows, 1)
	l.scroll()
}

// scroll keeps the cursor inside the list and the drawn rows.
func (l *list) scroll() {
	l.cursor = min(max(l.cursor, 0), max(l.n-1, 0))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+l.rows {
		l.offset = l.cursor - l.rows + 1
	}
	l.offset = max(min(l.offset, l.n-l.rows), 0)
}

// center scrolls the cursor to the middle of the rows drawn, when the
// list is longer than them: what is around it shows.
func (l *list) center() {
	l.offset = l.cursor - l.rows/2
	l.scroll()
}

func (l *list) move(by int) {
	l.cursor += by
	l.scroll()
}

// window is the items drawn: from up to, not including, to.
func (l *list) window() (from, to int) { return l.offset, min(l.offset+l.rows, l.n) }

// update takes msg when it is the list's: a move, or, while the filter is
// typed, anything for the filter (a paste comes as a message of its own).
// changed says the filter's text changed: the screen filters again and
// calls reset.
func (l *list) update(msg tea.Msg) (took, changed bool, cmd tea.Cmd) {
	km, isKey := msg.(tea.KeyMsg)
	if l.filtering {
		switch {
		case isKey && key.Matches(km, l.keys.FilterClear):
			changed = l.filter.Value() != ""
			l.filter.Reset()
			l.stopFiltering()
			return true, changed, nil
		case isKey && key.Matches(km, l.keys.FilterDone):
			l.stopFiltering()
			return true, false, nil
		case isKey && key.Matches(km, l.keys.filterUp):
			l.move(-1)
			return true, false, nil
		case isKey && key.Matches(km, l.keys.filterDown):
			l.move(1)
			return true, false, nil
		}
		before := l.filter.Value()
		l.filter, cmd = l.filter.Update(msg)
		return true, l.filter.Value() != before, cmd
	}
	if !isKey {
		return false, false, nil
	}
	k := l.keys
	switch {
	case key.Matches(km, k.Up):
		l.move(-1)
	case key.Matches(km, k.Down):
		l.move(1)
	case key.Matches(km, k.PageUp):
		l.move(-l.rows)
	case key.Matches(km, k.PageDown):
		l.move(l.rows)
	case key.Matches(km, k.Top):
		l.move(-l.n)
	case key.Matches(km, k.Bottom):
		l.move(l.n)
	case key.Matches(km, k.Filter):
		l.filtering = true
		l.filter.CursorEnd()
		return true, false, l.filter.Focus()
	default:
		return false, false, nil
	}
	return true, false, nil
}

func (l *list) stopFiltering() {
	l.filter.Blur()
	l.filtering = false
}

// escape clears a filter in force (Esc's first use, before going back),
// and says whether there was one.
func (l *list) escape() bool {
	if l.filtering || l.filter.Value() == "" {
		return false
	}
	l.filter.Reset()
	return true
}

// position says where the cursor is: "3 of 28 tables", and "1 of 2 (of
// 28 tables)" when the filter hides some.
func (l *list) position(total int, one, many string) string {
	noun := plural(total, one, many)
	switch {
	case l.n == 0:
		return fmt.Sprintf("none of %d %s", total, noun)
	case l.n == total:
		return fmt.Sprintf("%d of %d %s", l.cursor+1, l.n, noun)
	}
	return fmt.Sprintf("%d of %d (of %d %s)", l.cursor+1, l.n, total, noun)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
