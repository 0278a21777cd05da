package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
)

// tablesNow is the tests' fixed present.
var tablesNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// tablesSession is a session on the real sample store, at the tables
// screen: ticket demo/SUP-42, snapshot 2026-11-21 03:00 opened.
func tablesSession(t *testing.T) *Session {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	ctx := context.Background()
	st, err := catalog.NewLocal("../sample/store")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return tablesNow }
	b := NewStoreBackend(&ticket.Service{Store: st, Now: now})
	snaps, err := catalog.ListSnapshots(ctx, st, "demo")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 14, 5, 0, 0, time.UTC)
	var snap catalog.Ranked
	for _, r := range catalog.Nearest(snaps, at) {
		if r.Key == "demo/20261121T030000Z.sql.gz" {
			snap = r
		}
	}
	if snap.Key == "" {
		t.Fatalf("snapshot demo/20261121T030000Z.sql.gz not in the sample store: %v", snaps)
	}
	toc, err := b.Open(ctx, snap.Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Session{
		Backend:  b,
		Styles:   NewStyles(true),
		Keys:     NewKeyMap(),
		Now:      now,
		Ticket:   Ticket{Project: "demo", At: at, AtText: "2026-11-21 14:05", ID: "SUP-42"},
		Snapshot: snap,
		TOC:      toc,
	}
}

// tablesKey is the key message for a key as bubbletea names it.
func tablesKey(k string) tea.KeyMsg {
	switch k {
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// tablesType sends every rune of s as a key.
func tablesType(s string) []tea.Msg {
	var msgs []tea.Msg
	for _, r := range s {
		msgs = append(msgs, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return msgs
}

// tablesSend feeds msgs to the screen and returns the last command.
func tablesSend(m Screen, msgs ...tea.Msg) (Screen, tea.Cmd) {
	var cmd tea.Cmd
	for _, msg := range msgs {
		m, cmd = m.Update(msg)
	}
	return m, cmd
}

// tablesDrive feeds msgs to the App, running the navigation commands
// they return; it reports whether the App quit.
func tablesDrive(a *App, msgs ...tea.Msg) (quit bool) {
	for _, msg := range msgs {
		_, cmd := a.Update(msg)
		for cmd != nil {
			switch next := cmd().(type) {
			case tea.QuitMsg:
				return true
			case pushMsg, popMsg:
				_, cmd = a.Update(next)
			default:
				cmd = nil
			}
		}
	}
	return false
}

// tablesSelected is the names the screen shows as selected.
func tablesSelected(m Screen) []string {
	var names []string
	for _, n := range m.(*tablesScreen).selection() {
		names = append(names, n.String())
	}
	return names
}

// tablesCheckWidth fails when a line of view is wider than width.
func tablesCheckWidth(t *testing.T, view string, width int) {
	t.Helper()
	for i, l := range strings.Split(view, "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d wide, more than %d: %q", i+1, w, width, l)
		}
	}
}

// TestTables draws the screen through the App at 80×24 and 120×40: the
// initial list, after selecting public.orders and the auth schema, and
// with the filter "ord" typed.
func TestTables(t *testing.T) {
	states := []struct {
		name  string
		drive func(tm *teatest.TestModel)
	}{
		{"Initial", nil},
		// ai.documents, auth.users, public.customers, public.orders, storage.objects
		{"Selected", goldenKeys(tablesKey("down"), tablesKey("s"), tablesKey("down"), tablesKey("down"), tablesKey("space"))},
		{"Filter", func(tm *teatest.TestModel) { tm.Send(tablesKey("/")); tm.Type("ord") }},
	}
	for _, size := range goldenSizes {
		for _, st := range states {
			t.Run(st.name+"_"+goldenSize(size.w, size.h), func(t *testing.T) {
				s := tablesSession(t)
				goldenRun(t, s, NewTablesScreen(s), size.w, size.h, "", st.drive)
			})
		}
	}
}

func TestTablesCursorAndScrolling(t *testing.T) {
	s := tablesSession(t)
	m := NewTablesScreen(s)
	m.SetSize(80, 6) // two rows of tables
	tm := m.(*tablesScreen)
	steps := []struct {
		key            string
		cursor, offset int
		drawn          []string // the tables drawn, the cursor's first
	}{
		{"", 0, 0, []string{"> [ ] ai.documents", "  [ ] auth.users"}},
		{"down", 1, 0, []string{"> [ ] auth.users", "  [ ] ai.documents"}},
		{"j", 2, 1, []string{"> [ ] public.customers", "  [ ] auth.users"}},
		{"down", 3, 2, []string{"> [ ] public.orders", "  [ ] public.customers"}},
		{"down", 4, 3, []string{"> [ ] storage.objects", "  [ ] public.orders"}},
		{"down", 4, 3, []string{"> [ ] storage.objects"}}, // stays on the last
		{"k", 3, 3, []string{"> [ ] public.orders"}},
		{"up", 2, 2, []string{"> [ ] public.customers"}},
		{"g", 0, 0, []string{"> [ ] ai.documents"}},
		{"G", 4, 3, []string{"> [ ] storage.objects"}},
		{"pgup", 2, 2, []string{"> [ ] public.customers"}},
		{"pgdown", 4, 3, []string{"> [ ] storage.objects"}},
		{"up", 3, 3, []string{"> [ ] public.orders"}},
	}
	for _, st := range steps {
		if st.key != "" {
			m, _ = m.Update(tablesKey(st.key))
		}
		if tm.l.cursor != st.cursor || tm.l.offset != st.offset {
			t.Errorf("after %q: cursor %d offset %d, want %d %d", st.key, tm.l.cursor, tm.l.offset, st.cursor, st.offset)
		}
		view := m.View()
		for _, d := range st.drawn {
			if !strings.Contains(view, d) {
				t.Errorf("after %q: %q not drawn:\n%s", st.key, d, view)
			}
		}
		if n := strings.Count(view, "[ ]") + strings.Count(view, "[x]"); n != 2 {
			t.Errorf("after %q: %d rows drawn, want 2:\n%s", st.key, n, view)
		}
		if !strings.Contains(view, "of 5") {
			t.Errorf("after %q: no position in the list shown:\n%s", st.key, view)
		}
	}
	// Growing the screen brings every row back.
	m.SetSize(80, 20)
	if tm.l.offset != 0 {
		t.Errorf("offset %d after growing, want 0", tm.l.offset)
	}
}

func TestTablesToggles(t *testing.T) {
	tests := []struct {
		name   string
		keys   []tea.Msg
		want   []string
		footer string
	}{
		{"nothing", nil, nil, "selected: nothing yet"},
		{"space", []tea.Msg{tablesKey("space")}, []string{"ai.documents"}, "selected: 1 table · 5 rows · 119 B"},
		{"space twice", []tea.Msg{tablesKey("space"), tablesKey("space")}, nil, "selected: nothing yet"},
		{"schema", []tea.Msg{tablesKey("G"), tablesKey("up"), tablesKey("s")}, []string{"public.customers", "public.orders"}, "selected: 2 tables · 75 rows · 3.7 KiB"},
		{"schema when part of it is selected", []tea.Msg{tablesKey("G"), tablesKey("up"), tablesKey("space"), tablesKey("s")}, []string{"public.customers", "public.orders"}, "selected: 2 tables"},
		{"schema twice", []tea.Msg{tablesKey("G"), tablesKey("up"), tablesKey("s"), tablesKey("s")}, nil, "selected: nothing yet"},
		{"all", []tea.Msg{tablesKey("a")}, []string{"ai.documents", "auth.users", "public.customers", "public.orders", "storage.objects"}, "selected: 5 tables · 110 rows · 5.6 KiB"},
		{"all when one is selected", []tea.Msg{tablesKey("space"), tablesKey("a")}, []string{"ai.documents", "auth.users", "public.customers", "public.orders", "storage.objects"}, "selected: 5 tables"},
		{"all twice", []tea.Msg{tablesKey("a"), tablesKey("a")}, nil, "selected: nothing yet"},
		{"all when filtered", append(append([]tea.Msg{tablesKey("/")}, tablesType("public")...), tablesKey("enter"), tablesKey("a")),
			[]string{"public.customers", "public.orders"}, "selected: 2 tables · 75 rows"},
		{"schema when filtered takes the whole schema", append(append([]tea.Msg{tablesKey("/")}, tablesType("ord")...), tablesKey("enter"), tablesKey("s")),
			[]string{"public.customers", "public.orders"}, "selected: 2 tables · 75 rows · 3.7 KiB (1 hidden by the filter)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tablesSession(t)
			m, _ := tablesSend(NewTablesScreen(s), tt.keys...)
			if got := tablesSelected(m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("selected %v, want %v", got, tt.want)
			}
			view := m.View()
			if !strings.Contains(view, tt.footer) {
				t.Errorf("footer %q not in:\n%s", tt.footer, view)
			}
			if strings.Count(view, "[x]") != len(tt.want)-strings.Count(tt.footer, "hidden") {
				t.Errorf("%d rows marked [x], want %d:\n%s", strings.Count(view, "[x]"), len(tt.want), view)
			}
		})
	}
}

func TestTablesFilter(t *testing.T) {
	s := tablesSession(t)
	below := &tablesStubScreen{title: "2 Snapshots"}
	tables := NewTablesScreen(s)
	a := New(s, below)
	tablesDrive(a, tea.WindowSizeMsg{Width: 80, Height: 24}, pushMsg{tables})

	if tablesDrive(a, tablesKey("/")) || !tables.Typing() {
		t.Fatal("/ does not start the filter")
	}
	// q and ? are text while filtering.
	if tablesDrive(a, tablesType("q?")...) {
		t.Fatal("q quit while filtering")
	}
	tm := tables.(*tablesScreen)
	if got := tm.l.filter.Value(); got != "q?" {
		t.Fatalf("filter %q, want q?", got)
	}
	if view := a.View(); !strings.Contains(view, `no table matches "q?"`) {
		t.Errorf("an empty result is not explained:\n%s", view)
	}
	tablesDrive(a, tablesKey("backspace"), tablesKey("backspace"))
	tablesDrive(a, tablesType("ORD")...) // case does not matter
	if len(tm.visible) != 1 || tm.visible[0].Name.String() != "public.orders" {
		t.Fatalf("filter ORD shows %v, want public.orders", tm.visible)
	}
	// ↑/↓ still move while filtering; space is text.
	tablesDrive(a, tablesKey("down"))
	// Enter leaves the filter and keeps it.
	tablesDrive(a, tablesKey("enter"))
	if tables.Typing() {
		t.Fatal("Enter did not leave the filter")
	}
	if got := tm.l.filter.Value(); got != "ORD" {
		t.Errorf("filter %q after Enter, want ORD kept", got)
	}
	view := a.View()
	if !strings.Contains(view, `1 of 1 (of 5 tables) · filter "ORD" · / to change, esc to clear`) || strings.Contains(view, "auth.users") {
		t.Errorf("the filter is not in force after Enter:\n%s", view)
	}
	// Back in the list, space selects and / comes back to the same text.
	tablesDrive(a, tablesKey("space"), tablesKey("/"))
	if !tables.Typing() || tm.l.filter.Value() != "ORD" {
		t.Fatalf("/ again: typing %v, filter %q", tables.Typing(), tm.l.filter.Value())
	}
	// Emptying the filter and leaving it shows everything again.
	tablesDrive(a, tablesKey("backspace"), tablesKey("backspace"), tablesKey("backspace"), tablesKey("enter"))
	if len(tm.visible) != 5 || tables.Typing() {
		t.Errorf("cleared filter: %d tables, typing %v", len(tm.visible), tables.Typing())
	}
	if got := tablesSelected(tables); !reflect.DeepEqual(got, []string{"public.orders"}) {
		t.Errorf("selected %v, want [public.orders]", got)
	}
	// q quits when not filtering.
	if !tablesDrive(a, tablesKey("q")) {
		t.Error("q did not quit outside the filter")
	}
}

// TestTablesFilterEsc: Esc while filtering clears and leaves the filter
// (App hands Esc to a screen taking text) and the screen stays; a second
// Esc goes back to the screen below.
func TestTablesFilterEsc(t *testing.T) {
	s := tablesSession(t)
	m, _ := tablesSend(NewTablesScreen(s), append([]tea.Msg{tablesKey("/")}, tablesType("ord")...)...)
	m, cmd := m.Update(tablesKey("esc"))
	tm := m.(*tablesScreen)
	if m.Typing() || tm.l.filter.Value() != "" || len(tm.visible) != 5 || cmd != nil {
		t.Errorf("Esc on the screen: typing %v, filter %q, %d tables, command %v; want the filter cleared and left", m.Typing(), tm.l.filter.Value(), len(tm.visible), cmd != nil)
	}

	below := &tablesStubScreen{title: "2 Snapshots"}
	tables := NewTablesScreen(s)
	a := New(s, below)
	tablesDrive(a, tea.WindowSizeMsg{Width: 80, Height: 24}, pushMsg{tables}, tablesKey("/"), tablesKey("o"))
	if quit := tablesDrive(a, tablesKey("esc")); quit {
		t.Fatal("Esc while filtering quit")
	}
	tm = tables.(*tablesScreen)
	if a.top() != tables || tables.Typing() || tm.l.filter.Value() != "" || len(tm.visible) != 5 {
		t.Fatalf("Esc while filtering: top %q, typing %v, filter %q, %d tables; want the tables screen with the filter cleared and left",
			a.top().Title(), tables.Typing(), tm.l.filter.Value(), len(tm.visible))
	}
	if view := a.View(); strings.Contains(view, "filter \"") || !strings.Contains(view, "5 tables") {
		t.Errorf("the filter is still drawn after Esc:\n%s", view)
	}
	if quit := tablesDrive(a, tablesKey("esc")); quit || a.top() != below {
		t.Errorf("second Esc: quit %v, top %q; want back on %q", quit, a.top().Title(), below.title)
	}
}

func TestTablesEnter(t *testing.T) {
	defer func(f func(*Session) Screen) { nextAfterTables = f }(nextAfterTables)
	nextAfterTables = func(*Session) Screen { return nil }
	s := tablesSession(t)
	m, cmd := tablesSend(NewTablesScreen(s), tablesKey("enter"))
	if cmd != nil || s.Tables != nil {
		t.Errorf("Enter with nothing selected: command %v, s.Tables %v", cmd != nil, s.Tables)
	}
	if view := m.View(); !strings.Contains(view, "select at least one table (space)") {
		t.Errorf("no complaint:\n%s", view)
	}
	// Another key clears the complaint.
	if m, _ = m.Update(tablesKey("down")); strings.Contains(m.View(), "select at least one") {
		t.Error("the complaint stays after a key")
	}

	// Selected out of dump order, recorded in dump order; the hook's nil
	// keeps the screen.
	m, cmd = tablesSend(m, tablesKey("G"), tablesKey("space"), tablesKey("up"), tablesKey("space"), tablesKey("g"), tablesKey("space"), tablesKey("enter"))
	want := []extract.Name{{Schema: "ai", Name: "documents"}, {Schema: "public", Name: "orders"}, {Schema: "storage", Name: "objects"}}
	if !reflect.DeepEqual(s.Tables, want) {
		t.Errorf("s.Tables = %v, want %v", s.Tables, want)
	}
	if cmd != nil {
		t.Error("Enter returned a command while nextAfterTables returns nil")
	}

	// With a next screen, Enter pushes it.
	next := &tablesStubScreen{title: "4 Preview"}
	defer func(f func(*Session) Screen) { nextAfterTables = f }(nextAfterTables)
	var got *Session
	nextAfterTables = func(s *Session) Screen { got = s; return next }
	_, cmd = m.Update(tablesKey("enter"))
	if cmd == nil {
		t.Fatal("Enter with a selection returned no command")
	}
	if msg, ok := cmd().(pushMsg); !ok || msg.screen != next || got != s {
		t.Errorf("Enter: %#v, want a push of the next screen built on the session", msg)
	}
}

func TestTablesComingBackKeepsSelection(t *testing.T) {
	s := tablesSession(t)
	defer func(f func(*Session) Screen) { nextAfterTables = f }(nextAfterTables)
	next := &tablesStubScreen{title: "4 Preview"}
	nextAfterTables = func(*Session) Screen { return next }

	tables := NewTablesScreen(s)
	a := New(s, &tablesStubScreen{title: "2 Snapshots"})
	tablesDrive(a, tea.WindowSizeMsg{Width: 80, Height: 24}, pushMsg{tables}, tablesKey("down"), tablesKey("space"), tablesKey("enter"))
	if a.top() != next {
		t.Fatalf("Enter did not show the next screen; top is %q", a.top().Title())
	}
	tablesDrive(a, tablesKey("esc"))
	if a.top() != tables {
		t.Fatalf("Esc did not come back; top is %q", a.top().Title())
	}
	if got := tablesSelected(tables); !reflect.DeepEqual(got, []string{"auth.users"}) {
		t.Errorf("selected %v after coming back, want [auth.users]", got)
	}
	if view := a.View(); !strings.Contains(view, "> [x] auth.users") {
		t.Errorf("the selection and cursor are not drawn after coming back:\n%s", view)
	}

	// A new tables screen (the snapshot chosen again) starts from s.Tables;
	// names the snapshot does not hold are ignored.
	s.Tables = append(s.Tables, extract.Name{Schema: "public", Name: "orders"}, extract.Name{Schema: "gone", Name: "table"})
	again := NewTablesScreen(s)
	if got := tablesSelected(again); !reflect.DeepEqual(got, []string{"auth.users", "public.orders"}) {
		t.Errorf("preselected %v, want [auth.users public.orders]", got)
	}
	if view := again.View(); !strings.Contains(view, "selected: 2 tables") {
		t.Errorf("footer does not count the preselection:\n%s", view)
	}
}

func TestTablesQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		s := tablesSession(t)
		a := New(s, NewTablesScreen(s))
		if !tablesDrive(a, tablesKey(k)) {
			t.Errorf("%s did not quit", k)
		}
	}
	// ctrl+c quits while filtering too.
	s := tablesSession(t)
	a := New(s, NewTablesScreen(s))
	if !tablesDrive(a, tablesKey("/"), tablesKey("ctrl+c")) {
		t.Error("ctrl+c did not quit while filtering")
	}
}

func TestTablesNarrow(t *testing.T) {
	s := tablesSession(t)
	s.Tables = []extract.Name{{Schema: "public", Name: "orders"}}
	states := map[string][]tea.Msg{
		"initial":   nil,
		"selected":  {tablesKey("a")},
		"complaint": {tablesKey("a"), tablesKey("a"), tablesKey("enter")},
		"filtering": append([]tea.Msg{tablesKey("/")}, tablesType("public.customers-and-more")...),
		"filtered":  append(append([]tea.Msg{tablesKey("/")}, tablesType("o")...), tablesKey("enter")),
		"no match":  append([]tea.Msg{tablesKey("/")}, tablesType("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")...),
	}
	for _, width := range []int{30, 20, 8, 1} {
		for name, keys := range states {
			m := NewTablesScreen(s)
			m.SetSize(width, 10)
			m, _ = tablesSend(m, keys...)
			tablesCheckWidth(t, m.View(), width)
			a := New(s, NewTablesScreen(s))
			tablesDrive(a, append([]tea.Msg{tea.WindowSizeMsg{Width: width, Height: 10}}, keys...)...)
			tablesCheckWidth(t, a.View(), width)
			if t.Failed() {
				t.Fatalf("%s at width %d:\n%s", name, width, m.View())
			}
		}
	}
	// In colour too (escape sequences do not count as width).
	coloured := tablesSession(t)
	coloured.Tables = s.Tables
	coloured.Styles = NewStyles(false)
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	for _, width := range []int{30, 12} {
		a := New(coloured, NewTablesScreen(coloured))
		tablesDrive(a, tea.WindowSizeMsg{Width: width, Height: 10}, tablesKey("a"), tablesKey("/"), tablesKey("o"))
		view := a.View()
		if !strings.Contains(view, "\x1b[") {
			t.Fatalf("no colour drawn:\n%q", view)
		}
		tablesCheckWidth(t, view, width)
	}

	// At 30 columns the names stay whole; the kind and the size give way.
	m := NewTablesScreen(s)
	m.SetSize(30, 10)
	view := m.View()
	if !strings.Contains(view, "public.customers") || !strings.Contains(view, "storage.objects") {
		t.Errorf("names cut at 30 columns:\n%s", view)
	}
}

// TestTablesShort: however short the screen, the view keeps to its height
// and shows the filter while it is typed, and the cursor's row (when
// there are two lines or more while filtering).
func TestTablesShort(t *testing.T) {
	s := tablesSession(t)
	for height := 1; height <= 8; height++ {
		for _, filtering := range []bool{false, true} {
			m := NewTablesScreen(s)
			m.SetSize(80, height)
			keys := []tea.Msg{tablesKey("down"), tablesKey("down"), tablesKey("enter")} // the complaint too
			if filtering {
				keys = append(keys, tablesKey("/"), tablesKey("u"))
			}
			m, _ = tablesSend(m, keys...)
			view := m.View()
			if n := strings.Count(view, "\n") + 1; n > height {
				t.Errorf("height %d, filtering %v: %d lines:\n%s", height, filtering, n, view)
			}
			if !(filtering && height == 1) && !strings.Contains(view, "> [ ] public.customers") {
				t.Errorf("height %d, filtering %v: the cursor's row is not drawn:\n%s", height, filtering, view)
			}
			if filtering && !strings.Contains(view, "/ u") {
				t.Errorf("height %d: the filter is not drawn:\n%s", height, view)
			}
		}
	}
}

func TestTablesKinds(t *testing.T) {
	parent := extract.Name{Schema: "public", Name: "events"}
	tests := []struct {
		t    extract.Table
		want string
	}{
		{extract.Table{Kind: extract.KindTable}, "table"},
		{extract.Table{Kind: extract.KindTable, Partitioned: true}, "partitioned"},
		{extract.Table{Kind: extract.KindTable, Parent: &parent, PartitionOf: &parent}, "partition of public.events"},
		{extract.Table{Kind: extract.KindTable, Parent: &parent}, "inherits public.events"},
		{extract.Table{Kind: extract.KindView}, "view"},
		{extract.Table{Kind: extract.KindMaterializedView}, "materialized view"},
		{extract.Table{Kind: extract.KindForeignTable}, "foreign table"},
	}
	for _, tt := range tests {
		if got := tablesKind(&tt.t); got != tt.want {
			t.Errorf("tablesKind(%+v) = %q, want %q", tt.t, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := tablesCount(n); got != want {
			t.Errorf("tablesCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTablesNoTables: without a table of contents, or with an empty one,
// the screen says what to do and the keys do nothing.
func TestTablesNoTables(t *testing.T) {
	for name, toc := range map[string]*extract.TOC{"no TOC": nil, "empty TOC": {}} {
		s := tablesSession(t)
		s.TOC = toc
		m, cmd := tablesSend(NewTablesScreen(s), tablesKey("space"), tablesKey("s"), tablesKey("a"), tablesKey("down"), tablesKey("enter"))
		if cmd != nil || s.Tables != nil {
			t.Errorf("%s: a selection was made: %v", name, s.Tables)
		}
		if view := m.View(); !strings.Contains(view, "go back (esc) and choose") {
			t.Errorf("%s: no advice:\n%s", name, view)
		}
	}
}

func TestTablesHelp(t *testing.T) {
	s := tablesSession(t)
	m := NewTablesScreen(s)
	h := help.New()
	if got := h.View(m.KeyMap()); !strings.Contains(got, "space mark") || !strings.Contains(got, "/ filter") {
		t.Errorf("help: %q", got)
	}
	m, _ = m.Update(tablesKey("/"))
	if got := h.View(m.KeyMap()); !strings.Contains(got, "enter keep filter") || strings.Contains(got, "space") {
		t.Errorf("help while filtering: %q", got)
	}
}

// tablesStubScreen stands for the screens around the tables screen.
type tablesStubScreen struct{ title string }

func (s *tablesStubScreen) Init() tea.Cmd                    { return nil }
func (s *tablesStubScreen) Update(tea.Msg) (Screen, tea.Cmd) { return s, nil }
func (s *tablesStubScreen) View() string                     { return s.title }
func (s *tablesStubScreen) SetSize(int, int)                 {}
func (s *tablesStubScreen) Title() string                    { return s.title }
func (s *tablesStubScreen) KeyMap() help.KeyMap              { return tablesHelp{} }
func (s *tablesStubScreen) Typing() bool                     { return false }

// TestTablesFilterEditing: the filter edits as a one-line input does,
// and filters again as it changes: a paste, backspace, moving and
// deleting.
func TestTablesFilterEditing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keys    []tea.Msg
		want    string
		visible int
	}{
		{"paste", []tea.Msg{tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ord\n"), Paste: true}}, "ord ", 1},
		{"paste and backspace", []tea.Msg{tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ord\n"), Paste: true}, tablesKey("backspace")}, "ord", 1},
		{"ctrl+w", append(tablesType("public.or"), tea.KeyMsg{Type: tea.KeyCtrlW}), "", 5},
		{"home and delete", append(tablesType("xauth"), tea.KeyMsg{Type: tea.KeyHome}, tea.KeyMsg{Type: tea.KeyDelete}), "auth", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tablesSession(t)
			m, _ := tablesSend(NewTablesScreen(s), append([]tea.Msg{tablesKey("/")}, tc.keys...)...)
			tm := m.(*tablesScreen)
			if got := tm.l.filter.Value(); got != tc.want || len(tm.visible) != tc.visible {
				t.Errorf("filter %q showing %d tables, want %q showing %d", got, len(tm.visible), tc.want, tc.visible)
			}
		})
	}
}
