package ui

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/powabase/restorectl/internal/catalog"
)

// keysBurst is runes arriving in one read, as Bubble Tea delivers a held
// key, a paste or keys over a slow link: one message.
func keysBurst(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// keysDrive feeds msgs to the App and runs the commands they return, as
// the program does (batches included), until none is left; it reports
// whether the App quit. Commands that wait on a job (a spinner, a
// listing) are not run.
func keysDrive(a *App, msgs ...tea.Msg) (quit bool) {
	var run func(cmd tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil || quit {
			return
		}
		switch msg := cmd().(type) {
		case tea.QuitMsg:
			quit = true
		case tea.BatchMsg:
			for _, c := range msg {
				run(c)
			}
		case pushMsg, popMsg:
			_, next := a.Update(msg)
			run(next)
		}
	}
	for _, msg := range msgs {
		_, cmd := a.Update(msg)
		run(cmd)
	}
	return quit
}

// keysTablesApp is the console at the tables screen, a stand-in for the
// snapshots screen below it.
func keysTablesApp(t *testing.T) (*App, *tablesScreen, *Session) {
	t.Helper()
	s := tablesSession(t)
	tables := NewTablesScreen(s).(*tablesScreen)
	a := New(s, &tablesStubScreen{title: "2 Snapshots"})
	keysDrive(a, tea.WindowSizeMsg{Width: 80, Height: 24}, pushMsg{tables})
	return a, tables, s
}

// keysSnapshots is the snapshots of keysManyBackend: one a day at 03:00
// from 2026-10-26 to 2026-11-22, the 27th being 2026-11-21.
const keysSnapshots = 28

// keysManyBackend lists keysSnapshots daily snapshots of every project.
type keysManyBackend struct{ Backend }

func (keysManyBackend) Snapshots(_ context.Context, project string, at time.Time) ([]catalog.Ranked, error) {
	first := time.Date(2026, 10, 26, 3, 0, 0, 0, time.UTC)
	var snaps []catalog.Snapshot
	// Newest first, as the store lists them.
	for i := keysSnapshots - 1; i >= 0; i-- {
		t := first.AddDate(0, 0, i)
		snaps = append(snaps, catalog.Snapshot{Ref: project, Time: t, Indexed: i%2 == 0, Object: catalog.Object{
			Key: project + "/" + t.Format("20060102T150405Z") + ".sql.gz", Size: int64(3000 + 10*i)}})
	}
	return catalog.Nearest(snaps, at), nil
}

// keysSnapshotsApp is the console at the snapshots screen of
// keysManyBackend, listed, the ticket at 2026-11-21 14:00.
func keysSnapshotsApp(t *testing.T) (*App, *snapshotsScreen) {
	t.Helper()
	s := snapTestSession(t, "demo", snapTestAt)
	s.Backend = keysManyBackend{s.Backend}
	snaps := NewSnapshotsScreen(s).(*snapshotsScreen)
	a := New(s, NewTicketScreen(s))
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.Update(pushMsg{snaps})
	snapRun(t, snaps, snaps.Init())
	a.View()
	return a, snaps
}

// keysSelected is the time of the snapshot under the cursor.
func keysSelected(m *snapshotsScreen) string {
	r, ok := m.current()
	if !ok {
		return "none"
	}
	return r.Time.Format("01-02")
}

// TestKeysBurst: every key of a burst is handled, on the screens that
// are not typing; a key of it that starts text entry gets the rest as
// text, and a text field gets a burst whole.
func TestKeysBurst(t *testing.T) {
	t.Run("tables jjj", func(t *testing.T) {
		a, tables, _ := keysTablesApp(t)
		keysDrive(a, keysBurst("jjj"))
		if tables.l.cursor != 3 {
			t.Errorf("jjj moved the cursor to %d, want 3", tables.l.cursor)
		}
		keysDrive(a, keysBurst("kk"), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj"), Paste: true})
		if tables.l.cursor != 3 {
			t.Errorf("kk then a pasted jj: cursor %d, want 3", tables.l.cursor)
		}
	})
	t.Run("tables g, spaces and marks", func(t *testing.T) {
		a, tables, _ := keysTablesApp(t)
		// A paste: its spaces are space keys, its newline is not Enter.
		keysDrive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("gj j \n"), Paste: true})
		if got := tablesSelected(tables); !reflect.DeepEqual(got, []string{"auth.users", "public.customers"}) {
			t.Errorf("selected %v, want [auth.users public.customers]", got)
		}
		if a.top() != Screen(tables) {
			t.Errorf("a pasted newline moved on to %q", a.top().Title())
		}
	})
	t.Run("tables /ord is a filter", func(t *testing.T) {
		a, tables, _ := keysTablesApp(t)
		keysDrive(a, keysBurst("G/ord"))
		if !tables.Typing() || tables.l.filter.Value() != "ord" || len(tables.visible) != 1 {
			t.Errorf("G/ord: typing %v, filter %q, %d tables; want the filter ord", tables.Typing(), tables.l.filter.Value(), len(tables.visible))
		}
		// The filter takes bursts whole: q is text.
		if keysDrive(a, keysBurst("qq")) || tables.l.filter.Value() != "ordqq" {
			t.Errorf("qq while filtering: filter %q", tables.l.filter.Value())
		}
	})
	t.Run("tables jq quits", func(t *testing.T) {
		a, tables, _ := keysTablesApp(t)
		if !keysDrive(a, keysBurst("jq")) || tables.l.cursor != 1 {
			t.Errorf("jq: cursor %d; want 1 and quit", tables.l.cursor)
		}
	})
	t.Run("snapshots kkk", func(t *testing.T) {
		a, snaps := keysSnapshotsApp(t)
		keysDrive(a, keysBurst("kkk"))
		if got := keysSelected(snaps); got != "11-18" {
			t.Errorf("kkk from 11-21 selected %s, want 11-18", got)
		}
		keysDrive(a, keysBurst("jjjj"))
		if got := keysSelected(snaps); got != "11-22" {
			t.Errorf("jjjj from 11-18 selected %s, want 11-22", got)
		}
	})
	t.Run("ticket keeps a paste whole", func(t *testing.T) {
		s := ticketTestSession(t)
		ticket := NewTicketScreen(s).(*ticketScreen)
		a := New(s, ticket)
		keysDrive(a, keysBurst("ab?q"))
		if got := ticket.inputs[ticketRef].Value(); got != "ab?q" || a.help.ShowAll {
			t.Errorf("ref %q, help %v; want ab?q typed", got, a.help.ShowAll)
		}
	})
}

// TestKeysTablesBurstGolden draws the tables screen after jjj arrived in
// one read and a space: public.orders, the fourth, is marked.
func TestKeysTablesBurstGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := tablesSession(t)
			goldenRun(t, s, NewTablesScreen(s), size.w, size.h, "selected: 1 table",
				goldenKeys(keysBurst("jjj"), tablesKey("space")))
		})
	}
}

// TestKeysEsc: Esc closes the help, then clears a filter in force, then
// goes back; on the first screen it does nothing.
func TestKeysEsc(t *testing.T) {
	t.Run("help first", func(t *testing.T) {
		a, tables, _ := keysTablesApp(t)
		keysDrive(a, tablesKey("?"))
		if !a.help.ShowAll {
			t.Fatal("? does not show the help")
		}
		if quit := keysDrive(a, tablesKey("esc")); quit || a.help.ShowAll || a.top() != Screen(tables) {
			t.Errorf("Esc with the help open: quit %v, help %v, on %q; want the help closed", quit, a.help.ShowAll, a.top().Title())
		}
		keysDrive(a, tablesKey("esc"))
		if a.top().Title() != "2 Snapshots" {
			t.Errorf("second Esc: on %q, want back on 2 Snapshots", a.top().Title())
		}
	})
	t.Run("tables filter, then back keeping the selection", func(t *testing.T) {
		a, tables, s := keysTablesApp(t)
		keysDrive(a, tablesKey("/"), tablesKey("o"), tablesKey("r"), tablesKey("d"), tablesKey("enter"), tablesKey("space"))
		if tables.Typing() || len(tables.visible) != 1 {
			t.Fatalf("the filter is not in force: typing %v, %d tables", tables.Typing(), len(tables.visible))
		}
		keysDrive(a, tablesKey("esc"))
		if a.top() != Screen(tables) || tables.l.filter.Value() != "" || len(tables.visible) != 5 {
			t.Fatalf("Esc with a filter in force: on %q, filter %q, %d tables; want the filter cleared", a.top().Title(), tables.l.filter.Value(), len(tables.visible))
		}
		if v := a.View(); !strings.Contains(v, "> [x] public.orders") || !strings.Contains(v, "4 of 5 tables") {
			t.Errorf("after clearing the filter the cursor or the mark is lost:\n%s", v)
		}
		keysDrive(a, tablesKey("esc"))
		if a.top().Title() != "2 Snapshots" {
			t.Fatalf("second Esc: on %q, want 2 Snapshots", a.top().Title())
		}
		if fmt.Sprint(s.Tables) != "[public.orders]" {
			t.Errorf("going back left s.Tables %v, want the selection kept for coming back", s.Tables)
		}
	})
	t.Run("snapshots filter", func(t *testing.T) {
		a, snaps := keysSnapshotsApp(t)
		keysDrive(a, tablesKey("/"), keysBurst("11-0"), tablesKey("enter"))
		if len(snaps.shown) != 9 || snaps.Typing() {
			t.Fatalf("filter 11-0: %d snapshots, typing %v; want 9, in force", len(snaps.shown), snaps.Typing())
		}
		keysDrive(a, tablesKey("esc"))
		if a.top() != Screen(snaps) || len(snaps.shown) != keysSnapshots {
			t.Fatalf("Esc with a filter in force: on %q, %d snapshots", a.top().Title(), len(snaps.shown))
		}
		keysDrive(a, tablesKey("esc"))
		if a.top().Title() != "1 Ticket" {
			t.Fatalf("second Esc: on %q, want 1 Ticket", a.top().Title())
		}
		if quit := keysDrive(a, tablesKey("esc"), tablesKey("esc")); quit || a.top().Title() != "1 Ticket" {
			t.Errorf("Esc on the first screen: quit %v, on %q; want nothing done", quit, a.top().Title())
		}
	})
	t.Run("typing a filter", func(t *testing.T) {
		a, snaps := keysSnapshotsApp(t)
		keysDrive(a, tablesKey("/"), keysBurst("11-2"))
		keysDrive(a, tablesKey("esc"))
		if a.top() != Screen(snaps) || snaps.Typing() || len(snaps.shown) != keysSnapshots {
			t.Errorf("Esc while typing the filter: on %q, typing %v, %d snapshots; want it cleared and left", a.top().Title(), snaps.Typing(), len(snaps.shown))
		}
	})
}

// TestKeysHelpOnTicket: the help is reachable on the ticket screen, whose
// fields take every letter: ? while the field is empty, ctrl+g and F1
// always; the help bar says so.
func TestKeysHelpOnTicket(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  string
		key  tea.KeyMsg
		help bool
		want string // the ref after the key
	}{
		{"? on an empty field", "", tablesKey("?"), true, ""},
		{"? after text", "demo", tablesKey("?"), false, "demo?"},
		{"ctrl+g", "demo", tea.KeyMsg{Type: tea.KeyCtrlG}, true, "demo"},
		{"f1", "demo", tea.KeyMsg{Type: tea.KeyF1}, true, "demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = Ticket{Project: tc.ref}
			ticket := NewTicketScreen(s).(*ticketScreen)
			a := New(s, ticket)
			a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			if !strings.Contains(a.View(), "ctrl+g more keys") {
				t.Errorf("the help bar does not name ctrl+g:\n%s", a.View())
			}
			keysDrive(a, tc.key)
			if a.help.ShowAll != tc.help || ticket.inputs[ticketRef].Value() != tc.want {
				t.Errorf("help %v, ref %q; want %v, %q", a.help.ShowAll, ticket.inputs[ticketRef].Value(), tc.help, tc.want)
			}
			if tc.help {
				if v := a.View(); !strings.Contains(v, "ctrl+g/f1 more keys, also while typing") || !strings.Contains(v, "shift+tab/↑ previous field") {
					t.Errorf("the full help is not drawn:\n%s", v)
				}
				keysDrive(a, tablesKey("esc"))
				if a.help.ShowAll {
					t.Error("Esc does not close the help")
				}
			}
		})
	}
}

// TestKeysHelpGolden draws the ticket screen with its help open (ctrl+g).
func TestKeysHelpGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := ticketTestSession(t)
			s.Ticket = Ticket{Project: "demo", AtText: "yesterday 14:00", ID: "SUP-1234"}
			goldenRun(t, s, NewTicketScreen(s), size.w, size.h, "also while typing",
				goldenKeys(tea.KeyMsg{Type: tea.KeyCtrlG}))
		})
	}
}

// TestKeysSnapshotsTimeline: the snapshots in time order, oldest first,
// the line at the ticket's time between 11-21 and 11-22, the newest
// before it selected, and the list's keys and position.
func TestKeysSnapshotsTimeline(t *testing.T) {
	a, snaps := keysSnapshotsApp(t)
	for i := 1; i < len(snaps.shown); i++ {
		if snaps.shown[i].Time.Before(snaps.shown[i-1].Time) {
			t.Fatalf("not in time order at %d: %v after %v", i, snaps.shown[i].Time, snaps.shown[i-1].Time)
		}
	}
	v := a.View()
	if got := keysSelected(snaps); got != "11-21" {
		t.Errorf("selected %s at start, want 11-21, the newest before the ticket's time", got)
	}
	for _, want := range []string{"27 of 28 snapshots of demo, oldest first", "> ", "── ↑ before ── ticket: 2026-11-21 14:00 UTC"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.Contains(l, "ticket: 2026-11-21 14:00") {
			if i == 0 || i+1 >= len(lines) || !strings.Contains(lines[i-1], "2026-11-21 03:00") || !strings.Contains(lines[i+1], "2026-11-22 03:00") {
				t.Errorf("the ticket's line is not between 11-21 and 11-22:\n%s", v)
			}
		}
	}
	for _, step := range []struct {
		key  tea.KeyMsg
		want string
		pos  string
	}{
		{tablesKey("g"), "10-26", "1 of 28"},
		{tablesKey("pgdown"), "", ""},
		{tablesKey("G"), "11-22", "28 of 28"},
		{tablesKey("pgup"), "", ""},
		{tea.KeyMsg{Type: tea.KeyHome}, "10-26", "1 of 28"},
		{tea.KeyMsg{Type: tea.KeyEnd}, "11-22", "28 of 28"},
	} {
		before, page := snaps.l.cursor, snaps.l.rows
		keysDrive(a, step.key)
		v := a.View()
		if step.want == "" {
			// A page is the rows drawn.
			if d := snaps.l.cursor - before; d != page && d != -page {
				t.Errorf("%s moved %d, want a page of %d", step.key, d, page)
			}
			continue
		}
		if got := keysSelected(snaps); got != step.want || !strings.Contains(v, step.pos) {
			t.Errorf("%s: selected %s, want %s and %q:\n%s", step.key, got, step.want, step.pos, v)
		}
	}
	// The filter keeps the ticket's line where it falls.
	keysDrive(a, tablesKey("/"), keysBurst("11-2"))
	v = a.View()
	for _, want := range []string{"/ 11-2", "3 of 3 (of 28 snapshots)", "2026-11-20 03:00", "ticket: 2026-11-21", "2026-11-22 03:00"} {
		if !strings.Contains(v, want) {
			t.Errorf("filtered view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "2026-11-19") {
		t.Errorf("the filter lets 11-19 through:\n%s", v)
	}
}

// TestKeysSnapshotsGolden draws the 28 snapshots: at start (the newest
// before the ticket's time selected, the line at its time), after kkk
// arrived in one read, and filtered.
func TestKeysSnapshotsGolden(t *testing.T) {
	states := []struct {
		name string
		wait string
		keys func(tm *teatest.TestModel)
	}{
		{"Initial", "27 of 28", nil},
		{"Burst", "24 of 28", goldenKeys(keysBurst("kkk"))},
		{"Filter", "of 28 snapshots)", func(tm *teatest.TestModel) { tm.Send(tablesKey("/")); tm.Type("11-2") }},
	}
	for _, size := range goldenSizes {
		for _, st := range states {
			t.Run(st.name+"_"+goldenSize(size.w, size.h), func(t *testing.T) {
				s := snapTestSession(t, "demo", snapTestAt)
				s.Backend = keysManyBackend{s.Backend}
				drive := func(tm *teatest.TestModel) {
					if st.keys == nil {
						return
					}
					// Keys before the listing would be dropped.
					teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("27 of 28")) },
						teatest.WithDuration(goldenTimeout), teatest.WithCheckInterval(10*time.Millisecond))
					st.keys(tm)
				}
				goldenRun(t, s, NewSnapshotsScreen(s), size.w, size.h, st.wait, drive)
			})
		}
	}
}

// TestKeysProgressAskGolden draws the restore running with Esc pressed:
// the question, and y and n in the help bar.
func TestKeysProgressAskGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			p, cancelled := progressModel(t)
			a := New(p.s, NewTicketScreen(p.s))
			a.stack = append(a.stack, p)
			a.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
			a.Update(progressEventMsg{job: 1, ev: progressGoldenEvents[1]})
			keysDrive(a, tablesKey("esc"))
			if *cancelled || a.top() != Screen(p) {
				t.Fatalf("Esc: cancelled %v, on %q; want the question", *cancelled, a.top().Title())
			}
			teatest.RequireEqualOutput(t, []byte(a.View()))
		})
	}
}

// TestKeysSnapshotsCentred: with the ticket's time far from the newest
// snapshot, the list opens with the selection in its middle, so that the
// line at the ticket's time and the snapshots after it show.
func TestKeysSnapshotsCentred(t *testing.T) {
	s := snapTestSession(t, "demo", time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC))
	s.Backend = keysManyBackend{s.Backend}
	snaps := NewSnapshotsScreen(s).(*snapshotsScreen)
	snaps.SetSize(80, 22)
	snapRun(t, snaps, snaps.Init())
	v := snaps.View()
	if got := keysSelected(snaps); got != "11-10" {
		t.Fatalf("selected %s, want 11-10", got)
	}
	for _, want := range []string{"2026-11-05 03:00", "> ", "ticket: 2026-11-10 14:00", "2026-11-15 03:00"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}
