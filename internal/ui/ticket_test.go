package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/ticket"
)

// ticketTestNow is the fixed "now" of the ticket and snapshots tests.
var ticketTestNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// ticketTestSession is a session on the sample store, at ticketTestNow,
// without colour.
func ticketTestSession(t *testing.T) *Session {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	store, err := catalog.NewLocal("../sample/store")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return ticketTestNow }
	return &Session{
		Backend: NewStoreBackend(&ticket.Service{Store: store, Now: now}),
		Styles:  NewStyles(true),
		Keys:    NewKeyMap(),
		Now:     now,
	}
}

func TestTicketGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = Ticket{Project: "demo", AtText: "yesterday 14:00", ID: "SUP-1234"}
			goldenRun(t, s, NewTicketScreen(s), size.w, size.h, "", nil)
		})
	}
}

func TestTicketGoldenInvalid(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = Ticket{Project: "demo/../prod", AtText: "around lunch", ID: "SUP-1234"}
			goldenRun(t, s, NewTicketScreen(s), size.w, size.h, "", nil)
		})
	}
}

// ticketKey is the key message of a key's name ("tab", "enter") or of
// text typed.
func ticketKey(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// ticketSend gives the screen each key and returns the last command.
func ticketSend(sc Screen, keys ...string) (Screen, tea.Cmd) {
	var cmd tea.Cmd
	for _, k := range keys {
		sc, cmd = sc.Update(ticketKey(k))
	}
	return sc, cmd
}

func TestTicketFocus(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want int
	}{
		{nil, ticketRef},
		{[]string{"tab"}, ticketTime},
		{[]string{"tab", "tab"}, ticketID},
		{[]string{"tab", "tab", "tab"}, ticketRef},
		{[]string{"shift+tab"}, ticketID},
		{[]string{"down"}, ticketTime},
		{[]string{"down", "up"}, ticketRef},
		{[]string{"up"}, ticketID},
		{[]string{"j", "k"}, ticketRef}, // letters are text
	} {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			s := ticketTestSession(t)
			sc, _ := ticketSend(NewTicketScreen(s), tc.keys...)
			if got := sc.(*ticketScreen).focus; got != tc.want {
				t.Errorf("focus %d, want %d", got, tc.want)
			}
			if !sc.Typing() {
				t.Error("Typing() false with an input focused")
			}
		})
	}
}

func TestTicketLiveValidation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keys       []string
		want, not  []string
		wantFields [ticketFields]bool // which fields are in error
	}{
		{"empty form: hints, not errors", nil,
			[]string{"required: the project ref", "required: when the data", "required: the support ticket's id"},
			[]string{"✗"}, [ticketFields]bool{true, true, true}},
		{"valid ref", []string{"demo"}, []string{"✓"}, []string{"invalid project ref"}, [ticketFields]bool{false, true, true}},
		{"bad ref as typed", []string{"de/mo"}, []string{`✗ invalid project ref "de/mo"`}, nil, [ticketFields]bool{true, true, true}},
		{"bad ref corrected", []string{"de/mo", "backspace", "backspace", "backspace", "mo"}, []string{"✓"}, []string{"invalid"}, [ticketFields]bool{false, true, true}},
		{"relative time resolved", []string{"tab", "3h ago"}, []string{"= 2026-11-22 09:00:00 UTC Sun, 3h 0m ago"}, nil, [ticketFields]bool{true, false, true}},
		{"wall clock time resolved", []string{"tab", "yesterday", " ", "14:05"}, []string{"= 2026-11-21 14:05:00 UTC Sat, 21h 55m ago"}, nil, [ticketFields]bool{true, false, true}},
		{"future time warned", []string{"tab", "2026-11-23 12:00"}, []string{"1d 0h from now (in the future"}, nil, [ticketFields]bool{true, false, true}},
		{"unparseable time", []string{"tab", "around lunch"}, []string{`✗ cannot read time "around lunch"`}, nil, [ticketFields]bool{true, true, true}},
		{"ticket id", []string{"tab", "tab", "SUP-1"}, []string{"✓"}, nil, [ticketFields]bool{true, true, false}},
		{"ctrl+u clears", []string{"tab", "tab", "SUP-1", "ctrl+u"}, []string{"required: the support ticket's id"}, nil, [ticketFields]bool{true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ticketTestSession(t)
			sc, _ := ticketSend(NewTicketScreen(s), tc.keys...)
			sc.SetSize(100, 30)
			view := sc.View()
			for _, w := range tc.want {
				if !strings.Contains(view, w) {
					t.Errorf("view lacks %q:\n%s", w, view)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(view, w) {
					t.Errorf("view has %q:\n%s", w, view)
				}
			}
			fields, _ := sc.(*ticketScreen).check()
			for i, f := range fields {
				if (f.err != nil) != tc.wantFields[i] {
					t.Errorf("field %d: error %v, want an error: %v", i, f.err, tc.wantFields[i])
				}
			}
		})
	}
}

func TestTicketEnter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ticket    Ticket
		focus     int // before Enter
		wantFocus int
		want      string // in the view after Enter, when invalid
	}{
		{"valid", Ticket{Project: "demo", AtText: "yesterday 14:00", ID: "SUP-1"}, ticketID, ticketID, ""},
		{"bad ref", Ticket{Project: "demo!", AtText: "yesterday 14:00", ID: "SUP-1"}, ticketID, ticketRef, "✗ invalid project ref"},
		{"bad time", Ticket{Project: "demo", AtText: "soonish", ID: "SUP-1"}, ticketID, ticketTime, "✗ cannot read time"},
		{"missing id", Ticket{Project: "demo", AtText: "3h ago"}, ticketRef, ticketID, "✗ required: the support ticket's id"},
		{"everything missing", Ticket{}, ticketID, ticketRef, "✗ required: the project ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = tc.ticket
			sc := NewTicketScreen(s)
			sc.(*ticketScreen).setFocus(tc.focus)
			sc, cmd := ticketSend(sc, "enter")
			if got := sc.(*ticketScreen).focus; got != tc.wantFocus {
				t.Errorf("focus %d, want %d", got, tc.wantFocus)
			}
			if tc.want == "" {
				if cmd == nil {
					t.Fatal("Enter on a valid form: no command")
				}
				push, ok := cmd().(pushMsg)
				if !ok {
					t.Fatalf("Enter on a valid form: %T, want a push", cmd())
				}
				if _, ok := push.screen.(*snapshotsScreen); !ok {
					t.Errorf("pushed %T, want the snapshots screen", push.screen)
				}
				want := Ticket{Project: "demo", At: time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC), AtText: "yesterday 14:00", ID: "SUP-1"}
				if s.Ticket != want {
					t.Errorf("ticket %+v, want %+v", s.Ticket, want)
				}
				return
			}
			if cmd != nil {
				if msg, ok := cmd().(pushMsg); ok {
					t.Fatalf("Enter on an invalid form pushed %T", msg.screen)
				}
			}
			if s.Ticket != tc.ticket {
				t.Errorf("an invalid form changed the ticket to %+v", s.Ticket)
			}
			if view := sc.View(); !strings.Contains(view, tc.want) {
				t.Errorf("view lacks %q:\n%s", tc.want, view)
			}
		})
	}
}

func TestTicketPrefill(t *testing.T) {
	s := ticketTestSession(t)
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	s.Ticket = Ticket{Project: "demo", At: at, ID: "SUP-9"} // --at given as a time, no text
	sc := NewTicketScreen(s).(*ticketScreen)
	if got := sc.inputs[ticketTime].Value(); got != "2026-11-21T14:00:00Z" {
		t.Errorf("time prefilled with %q", got)
	}
	if _, cmd := ticketSend(sc, "enter"); cmd == nil {
		t.Error("a prefilled valid form does not move on")
	}
	if s.Ticket.At != at {
		t.Errorf("at %v, want %v", s.Ticket.At, at)
	}
}

// ticketAppSend gives the App each key, runs the navigation commands
// (push, pop) it returns, and says whether it quit.
func ticketAppSend(a *App, keys ...string) (quit bool) {
	for _, k := range keys {
		_, cmd := a.Update(ticketKey(k))
		for cmd != nil {
			switch msg := cmd().(type) {
			case tea.QuitMsg:
				return true
			case pushMsg, popMsg:
				_, cmd = a.Update(msg)
			default:
				cmd = nil
			}
		}
	}
	return false
}

func TestTicketKeysInApp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keys     []string
		quit     bool
		top      string // the top screen's title
		refValue string
	}{
		{"esc on the first screen stays", []string{"esc"}, false, "1 Ticket", "demo"},
		{"q is text", []string{"q"}, false, "1 Ticket", "demoq"},
		{"? after text is text", []string{"?"}, false, "1 Ticket", "demo?"},
		{"ctrl+c quits", []string{"ctrl+c"}, true, "1 Ticket", "demo"},
		{"enter goes to the snapshots", []string{"enter"}, false, "2 Snapshots", "demo"},
		{"esc comes back", []string{"enter", "esc"}, false, "1 Ticket", "demo"},
		{"q quits on the snapshots screen", []string{"enter", "q"}, true, "2 Snapshots", "demo"},
		{"esc twice stays on the ticket", []string{"enter", "esc", "esc"}, false, "1 Ticket", "demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = Ticket{Project: "demo", AtText: "yesterday 14:00", ID: "SUP-1"}
			first := NewTicketScreen(s)
			a := New(s, first)
			if quit := ticketAppSend(a, tc.keys...); quit != tc.quit {
				t.Errorf("quit %v, want %v", quit, tc.quit)
			}
			if got := a.top().Title(); got != tc.top {
				t.Errorf("on %q, want %q", got, tc.top)
			}
			if got := first.(*ticketScreen).inputs[ticketRef].Value(); got != tc.refValue {
				t.Errorf("ref %q, want %q", got, tc.refValue)
			}
		})
	}
}

// TestTicketEditing: the fields edit as a one-line input does, through
// the screen: typing, moving, deleting, pasting, and no more than the
// field's limit; a long text scrolls inside the field's width.
func TestTicketEditing(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []tea.KeyMsg
		want string
	}{
		{"typing", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("ab")}, {Type: tea.KeySpace, Runes: []rune{' '}}, {Type: tea.KeyRunes, Runes: []rune("c")}}, "ab c"},
		{"backspace", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("abc")}, {Type: tea.KeyBackspace}}, "ab"},
		{"left and insert", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("abc")}, {Type: tea.KeyLeft}, {Type: tea.KeyRunes, Runes: []rune("X")}}, "abXc"},
		{"home and delete", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("abc")}, {Type: tea.KeyHome}, {Type: tea.KeyDelete}}, "bc"},
		{"ctrl+w", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("3h ago")}, {Type: tea.KeyCtrlW}}, "3h "},
		{"ctrl+k", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("abc")}, {Type: tea.KeyLeft}, {Type: tea.KeyCtrlK}}, "ab"},
		{"ctrl+u", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("abc")}, {Type: tea.KeyLeft}, {Type: tea.KeyCtrlU}}, "c"},
		// A paste's tabs and newlines become spaces: one line, no control characters.
		{"paste", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("a\nb\tc"), Paste: true}}, "a b c"},
		{"limit", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("x", 100))}}, strings.Repeat("x", 63)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ticketTestSession(t)
			var sc Screen = NewTicketScreen(s)
			sc.SetSize(40, 20)
			for _, k := range tc.keys {
				sc, _ = sc.Update(k)
			}
			if got := sc.(*ticketScreen).inputs[ticketRef].Value(); got != tc.want {
				t.Errorf("ref %q, want %q", got, tc.want)
			}
			for i, l := range strings.Split(sc.View(), "\n") {
				if w := lipgloss.Width(l); w > 40 {
					t.Errorf("line %d is %d wide in 40: %q", i, w, l)
				}
			}
		})
	}
}

// TestTicketLongValueScrolls: a value longer than its field shows its
// end, where the cursor is, within the field's width.
func TestTicketLongValueScrolls(t *testing.T) {
	s := ticketTestSession(t)
	var sc Screen = NewTicketScreen(s)
	sc.SetSize(40, 20) // fields of 23 columns
	sc, _ = ticketSend(sc, "tab", "tab", strings.Repeat("a", 40)+"END")
	m := sc.(*ticketScreen)
	if got := lipgloss.Width(inputView(m.inputs[ticketID], m.inputWidth)); got > m.inputWidth {
		t.Errorf("the field is drawn %d wide, more than %d", got, m.inputWidth)
	}
	if view := sc.View(); !strings.Contains(view, "aaEND") || strings.Contains(view, strings.Repeat("a", 40)) {
		t.Errorf("the end of a long value is not in view:\n%s", view)
	}
}

// TestTicketShowsWhatItSays: a ticket that comes with its text (the
// demo's) shows it above the fields, wrapped and escaped.
func TestTicketShowsWhatItSays(t *testing.T) {
	s := ticketTestSession(t)
	s.Ticket = Ticket{Project: "demo", AtText: "2026-11-21 14:05", ID: "SUP-42",
		About: "\"A third of our orders vanished\x1b[2J on 21 November.\" (The demo deleted rows of public.orders: overwrite or merge the table back.)"}
	m := NewTicketScreen(s)
	m.SetSize(80, 24)
	v := m.View()
	for _, want := range []string{`"A third of our orders vanished\x1b[2J on 21`, "overwrite or merge the", "Project ref"} {
		if !strings.Contains(v, want) {
			t.Errorf("the ticket screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, "vanished") > strings.Index(v, "Project ref") {
		t.Errorf("the ticket's text is not above the fields:\n%s", v)
	}
}
