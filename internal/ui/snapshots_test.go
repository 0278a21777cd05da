package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// snapTestAt is the ticket's time in the snapshots tests: between the
// sample store's snapshots of 2026-11-21 and 2026-11-22, 03:00.
var snapTestAt = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// snapTestSession is a session on the sample store with a ticket for
// project at t.
func snapTestSession(t *testing.T, project string, at time.Time) *Session {
	t.Helper()
	s := ticketTestSession(t)
	s.Ticket = Ticket{Project: project, At: at, AtText: "yesterday 14:00", ID: "SUP-1234"}
	return s
}

// snapFailing wraps a Backend: its first listFails listings and
// openFails opens fail.
type snapFailing struct {
	Backend
	listFails, openFails int
	lists, opens         int
}

func (b *snapFailing) Snapshots(ctx context.Context, project string, t time.Time) ([]catalog.Ranked, error) {
	b.lists++
	if b.lists <= b.listFails {
		return nil, errors.New("list s3://backups/" + project + "/: connection refused")
	}
	return b.Backend.Snapshots(ctx, project, t)
}

func (b *snapFailing) Open(ctx context.Context, snap catalog.Snapshot, progress func(read, total int64)) (*extract.TOC, error) {
	b.opens++
	if b.opens <= b.openFails {
		return nil, errors.New("read snapshot " + snap.Key + ": gzip: invalid checksum")
	}
	return b.Backend.Open(ctx, snap, progress)
}

// snapLoaded returns the snapshots screen of s, its listing done.
func snapLoaded(t *testing.T, s *Session) *snapshotsScreen {
	t.Helper()
	m := NewSnapshotsScreen(s).(*snapshotsScreen)
	m.SetSize(100, 30)
	snapRun(t, m, m.Init())
	return m
}

// snapRun runs cmd and the commands that follow from it, giving their
// messages to the screen, and returns the messages that are not its own
// (navigation). Spinner ticks are skipped.
func snapRun(t *testing.T, m Screen, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			t.Fatal("commands do not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case snapshotsListedMsg, snapshotOpenProgressMsg, snapshotOpenedMsg:
			_, next := m.Update(msg)
			queue = append(queue, next)
		case spinner.TickMsg, nil:
		default:
			out = append(out, msg)
		}
	}
	return out
}

func TestSnapshotsGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := snapTestSession(t, "demo", snapTestAt)
			goldenRun(t, s, NewSnapshotsScreen(s), size.w, size.h, "3 snapshots of demo", nil)
		})
	}
}

func TestSnapshotsList(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	m := snapLoaded(t, s)
	var keys []string
	for _, r := range m.shown {
		keys = append(keys, r.Key)
	}
	// Oldest first, as a timeline.
	want := []string{"demo/20261120T030000Z.sql.gz", "demo/20261121T030000Z.sql.gz", "demo/20261122T030000Z.sql.gz"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("listed %v, want %v", keys, want)
	}
	view := m.View()
	for _, w := range []string{
		"2 of 3 snapshots of demo, oldest first",
		">  2026-11-21 03:00  1d 9h ago    11h 0m before   3.4 KiB",
		"── ↑ before ── ticket: 2026-11-21 14:00 UTC (yesterday 14:00) ── after ↓ ──",
		"   2026-11-22 03:00  9h 0m ago    13h 0m after",
		"1d 11h before",
		"The newest snapshot at or before the time",
	} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	if m.Typing() {
		t.Error("Typing() true on the snapshots screen")
	}
	if m.Title() != "2 Snapshots" {
		t.Errorf("title %q", m.Title())
	}
}

func TestSnapshotsPreselect(t *testing.T) {
	for _, tc := range []struct {
		name       string
		at         time.Time
		want       string // the selected key
		noneBefore bool
		view       string
	}{
		{"between two", snapTestAt, "demo/20261121T030000Z.sql.gz", false, "The newest snapshot at or before"},
		{"nearer to the one after", time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC), "demo/20261121T030000Z.sql.gz", false, "The newest snapshot at or before"},
		{"exactly at one", time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), "demo/20261122T030000Z.sql.gz", false, "at the time"},
		{"after all", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "demo/20261122T030000Z.sql.gz", false, "The newest snapshot at or before"},
		{"before all", time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), "demo/20261120T030000Z.sql.gz", true, "none holds the data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := snapLoaded(t, snapTestSession(t, "demo", tc.at))
			if got := m.shown[m.l.cursor].Key; got != tc.want {
				t.Errorf("selected %s, want %s", got, tc.want)
			}
			if m.noneBefore != tc.noneBefore {
				t.Errorf("noneBefore %v, want %v", m.noneBefore, tc.noneBefore)
			}
			if view := m.View(); !strings.Contains(view, tc.view) {
				t.Errorf("view lacks %q:\n%s", tc.view, view)
			}
		})
	}
}

func TestSnapshotsMove(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want int
		warn bool // the selected snapshot is after the time
	}{
		{nil, 1, false}, // the newest before the time
		{[]string{"down"}, 2, true},
		{[]string{"j", "j"}, 2, true},
		{[]string{"down", "down", "down", "down"}, 2, true},
		{[]string{"up"}, 0, false},
		{[]string{"k", "k"}, 0, false},
		{[]string{"j", "k"}, 1, false},
		{[]string{"g"}, 0, false},
		{[]string{"G"}, 2, true},
	} {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			m := snapLoaded(t, snapTestSession(t, "demo", snapTestAt))
			ticketSend(m, tc.keys...)
			if m.l.cursor != tc.want {
				t.Errorf("cursor %d, want %d", m.l.cursor, tc.want)
			}
			if warn := strings.Contains(m.View(), "Taken after"); warn != tc.warn {
				t.Errorf("warning shown %v, want %v", warn, tc.warn)
			}
		})
	}
}

// TestSnapshotsMistypedRef: a ref one letter off the store's says which
// it probably meant, rather than reading as a project without backups.
func TestSnapshotsMistypedRef(t *testing.T) {
	m := snapLoaded(t, snapTestSession(t, "demx", snapTestAt))
	view := m.View()
	for _, w := range []string{"No snapshots of project demx", "Did you mean demo?"} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	if strings.Contains(view, "Could not list") {
		t.Errorf("a project without snapshots reads as a failure:\n%s", view)
	}
}

func TestSnapshotsEmpty(t *testing.T) {
	s := snapTestSession(t, "nosuch", snapTestAt)
	m := snapLoaded(t, s)
	view := m.View()
	for _, w := range []string{"No snapshots of project nosuch", "Check the project ref", "nosuch/<timestamp>.sql.gz", "r to look again"} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	// Enter and moves do nothing; r lists again.
	if _, cmd := ticketSend(m, "down", "enter"); cmd != nil {
		t.Error("Enter with no snapshots returned a command")
	}
	if s.Snapshot.Key != "" {
		t.Errorf("Enter with no snapshots chose %s", s.Snapshot.Key)
	}
	_, cmd := ticketSend(m, "r")
	if cmd == nil || !m.listing {
		t.Fatal("r does not list again")
	}
	snapRun(t, m, cmd)
	if m.listing || len(m.all) != 0 {
		t.Errorf("after r: listing %v, %d snapshots", m.listing, len(m.all))
	}
}

func TestSnapshotsErrorRetry(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	b := &snapFailing{Backend: s.Backend, listFails: 1}
	s.Backend = b
	m := snapLoaded(t, s)
	view := m.View()
	for _, w := range []string{"✗ Could not list the snapshots of demo", "connection refused", "press r to try again", "esc goes back"} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	if _, cmd := ticketSend(m, "enter"); cmd != nil {
		t.Error("Enter on an error returned a command")
	}
	_, cmd := ticketSend(m, "r")
	if !strings.Contains(m.View(), "listing the snapshots of demo") {
		t.Errorf("no spinner while listing again:\n%s", m.View())
	}
	snapRun(t, m, cmd)
	if m.listErr != nil || len(m.all) != 3 {
		t.Fatalf("after r: error %v, %d snapshots", m.listErr, len(m.all))
	}
	if b.lists != 2 {
		t.Errorf("%d listings, want 2", b.lists)
	}
}

func TestSnapshotsStale(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	m := snapLoaded(t, s)
	other := NewSnapshotsScreen(s).(*snapshotsScreen)
	other.job = m.job
	old := m.job
	_, cmd := ticketSend(m, "r") // a new listing: job old+1
	for _, msg := range []tea.Msg{
		snapshotsListedMsg{from: m, job: old, err: errors.New("stale")},
		snapshotsListedMsg{from: other, job: m.job, err: errors.New("another screen's")},
		snapshotOpenedMsg{from: m, job: old, err: errors.New("stale open")},
		snapshotOpenProgressMsg{from: m, job: old, read: 1, total: 2},
	} {
		if _, next := m.Update(msg); next != nil {
			t.Errorf("%T: a stale message returned a command", msg)
		}
		if m.listErr != nil || m.openErr != nil || !m.listing {
			t.Fatalf("%T: a stale message was taken: %+v", msg, msg)
		}
	}
	snapRun(t, m, cmd)
	if len(m.all) != 3 || m.listErr != nil {
		t.Errorf("the current listing: %d snapshots, error %v", len(m.all), m.listErr)
	}
	// A listing result after the screen moved on to opening is stale too.
	m.Update(snapshotsListedMsg{from: m, job: m.job})
	if len(m.all) != 3 {
		t.Errorf("a late listing replaced the list: %d snapshots", len(m.all))
	}
}

func TestSnapshotsOpen(t *testing.T) {
	// Without a next screen the snapshots screen stays, saying what it read.
	defer func(f func(*Session) Screen) { nextAfterSnapshots = f }(nextAfterSnapshots)
	nextAfterSnapshots = func(*Session) Screen { return nil }
	s := snapTestSession(t, "demo", snapTestAt)
	s.Tables = []extract.Name{{Schema: "public", Name: "old"}}
	m := snapLoaded(t, s)
	_, cmd := ticketSend(m, "enter")
	if s.Snapshot.Key != "demo/20261121T030000Z.sql.gz" {
		t.Errorf("s.Snapshot %q", s.Snapshot.Key)
	}
	if s.Tables != nil {
		t.Error("s.Tables of another snapshot kept")
	}
	if view := m.View(); !strings.Contains(view, "reading the table of contents of demo/20261121T030000Z.sql.gz…") {
		t.Errorf("view while opening:\n%s", view)
	}
	if _, c := ticketSend(m, "down"); c != nil || m.l.cursor != 1 {
		t.Error("keys move the cursor while opening")
	}
	rest := snapRun(t, m, cmd)
	if len(rest) != 0 {
		t.Errorf("with no next screen: %v", rest)
	}
	if s.TOC == nil || len(s.TOC.Tables) == 0 {
		t.Fatalf("s.TOC %+v", s.TOC)
	}
	if view := m.View(); !strings.Contains(view, "✓ Read demo/20261121T030000Z.sql.gz: ") {
		t.Errorf("view once read:\n%s", view)
	}
}

// snapNext is a stand-in for the tables screen.
type snapNext struct{ toc *extract.TOC }

func (snapNext) Init() tea.Cmd                      { return nil }
func (n snapNext) Update(tea.Msg) (Screen, tea.Cmd) { return n, nil }
func (snapNext) View() string                       { return "next" }
func (snapNext) SetSize(int, int)                   {}
func (snapNext) Title() string                      { return "3 Next" }
func (snapNext) KeyMap() help.KeyMap                { return snapshotsKeys{} }
func (snapNext) Typing() bool                       { return false }
func (n snapNext) tables() int                      { return len(n.toc.Tables) }

func TestSnapshotsOpenNext(t *testing.T) {
	defer func(f func(*Session) Screen) { nextAfterSnapshots = f }(nextAfterSnapshots)
	nextAfterSnapshots = func(s *Session) Screen { return snapNext{s.TOC} }
	s := snapTestSession(t, "demo", snapTestAt)
	m := snapLoaded(t, s)
	_, cmd := ticketSend(m, "down", "enter")
	rest := snapRun(t, m, cmd)
	if len(rest) != 1 {
		t.Fatalf("after reading: %v, want a push", rest)
	}
	push, ok := rest[0].(pushMsg)
	if !ok {
		t.Fatalf("%T, want a push", rest[0])
	}
	if n, ok := push.screen.(snapNext); !ok || n.toc != s.TOC || n.tables() == 0 {
		t.Errorf("pushed %v", push.screen)
	}
	if s.Snapshot.Key != "demo/20261122T030000Z.sql.gz" {
		t.Errorf("s.Snapshot %q", s.Snapshot.Key)
	}
}

func TestSnapshotsOpenError(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	b := &snapFailing{Backend: s.Backend, openFails: 1}
	s.Backend = b
	m := snapLoaded(t, s)
	_, cmd := ticketSend(m, "enter")
	snapRun(t, m, cmd)
	if s.TOC != nil {
		t.Error("s.TOC set by a failed open")
	}
	view := m.View()
	for _, w := range []string{"✗ read snapshot demo/20261121T030000Z.sql.gz: gzip: invalid checksum", "may be damaged", "press r to try"} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	_, cmd = ticketSend(m, "r")
	snapRun(t, m, cmd)
	if s.TOC == nil || b.opens != 2 || b.lists != 1 {
		t.Errorf("r after a failed open: TOC %v, %d opens, %d listings", s.TOC != nil, b.opens, b.lists)
	}
}

func TestSnapshotsKeysInApp(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		quit bool
		top  string
	}{
		{"q quits", []string{"q"}, true, "2 Snapshots"},
		{"esc goes back", []string{"esc"}, false, "1 Ticket"},
		{"? shows every key", []string{"?"}, false, "2 Snapshots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := snapTestSession(t, "demo", snapTestAt)
			a := New(s, NewTicketScreen(s))
			a.Update(pushMsg{NewSnapshotsScreen(s)})
			if quit := ticketAppSend(a, tc.keys...); quit != tc.quit {
				t.Errorf("quit %v, want %v", quit, tc.quit)
			}
			if got := a.top().Title(); got != tc.top {
				t.Errorf("on %q, want %q", got, tc.top)
			}
		})
	}
}

func TestSnapshotsFormats(t *testing.T) {
	if got := snapAge(-2 * time.Hour); got != "in 2h 0m" {
		t.Errorf("future age %q", got)
	}
}

func TestSnapshotsNarrow(t *testing.T) {
	m := snapLoaded(t, snapTestSession(t, "demo", snapTestAt))
	for _, w := range []int{30, 60, 80, 120} {
		m.SetSize(w, 10)
		view := m.View()
		if n := strings.Count(view, "\n") + 1; n != 10 {
			t.Errorf("width %d: %d lines, want 10", w, n)
		}
		for _, l := range strings.Split(view, "\n") {
			if lw := len([]rune(l)); lw > w {
				t.Errorf("width %d: line %d wide: %q", w, lw, l)
			}
		}
	}
	// A list taller than the screen scrolls with the cursor.
	m.SetSize(80, 7)
	m.View()
	ticketSend(m, "up")
	if !strings.Contains(m.View(), ">  2026-11-20 03:00") || strings.Contains(m.View(), "2026-11-21 03:00") {
		t.Errorf("the cursor scrolled out of sight:\n%s", m.View())
	}
}

// snapBlocking lists nothing until its context is cancelled.
type snapBlocking struct{ Backend }

func (snapBlocking) Snapshots(ctx context.Context, _ string, _ time.Time) ([]catalog.Ranked, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestSnapshotsClose(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	s.Backend = snapBlocking{s.Backend}
	m := NewSnapshotsScreen(s).(*snapshotsScreen)
	cmd := m.load()
	done := make(chan tea.Msg)
	go func() {
		for _, c := range cmd().(tea.BatchMsg) {
			if msg, ok := c().(snapshotsListedMsg); ok {
				done <- msg
			}
		}
	}()
	m.Close()
	select {
	case msg := <-done:
		if err := msg.(snapshotsListedMsg).err; !errors.Is(err, context.Canceled) {
			t.Errorf("listing ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close does not cancel the listing")
	}
}

func TestSnapshotsNilNow(t *testing.T) {
	s := snapTestSession(t, "demo", snapTestAt)
	s.Now = nil
	m := snapLoaded(t, s)
	if !strings.Contains(m.View(), " ago ") {
		t.Errorf("no ages without Session.Now:\n%s", m.View())
	}
}

// TestSnapshotsInZone: with console --tz, times are shown in that zone and
// the column says which; the ticket's time too.
func TestSnapshotsInZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	s := snapTestSession(t, "demo", snapTestAt)
	s.Location = berlin
	view := snapLoaded(t, s).View()
	for _, w := range []string{"TIME (Europe/Berlin)", "2026-11-21 04:00", "ticket: " + snapTestAt.In(berlin).Format("2006-01-02 15:04 MST")} {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
	if strings.Contains(view, "UTC") {
		t.Errorf("a time in UTC is shown with --tz Europe/Berlin:\n%s", view)
	}
}
