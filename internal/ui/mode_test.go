package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/extract"
)

// modeTables is the selection the mode and confirm tests restore.
var modeTables = []extract.Name{
	{Schema: "public", Name: "orders"}, {Schema: "public", Name: "customers"},
	{Schema: "public", Name: "order_items"}, {Schema: "public", Name: "products"},
}

// modeSession is tablesSession with a selection; with targets, the
// backend has a target template and an admin connection, both with a
// password ("secret") that must never be shown.
func modeSession(t *testing.T, targets bool) *Session {
	t.Helper()
	s := tablesSession(t)
	s.Tables = modeTables
	if targets {
		b := s.Backend.(*StoreBackend)
		b.TargetTemplate = "postgres://u:secret@db.example:5432/{ref}"
		b.AdminURL = "postgres://u:secret@db.example:5432/postgres"
	}
	return s
}

func TestModeGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		targets bool
	}{{"none", false}, {"both", true}} {
		for _, size := range goldenSizes {
			t.Run(tc.name+"/"+goldenSize(size.w, size.h), func(t *testing.T) {
				s := modeSession(t, tc.targets)
				goldenRun(t, s, NewModeScreen(s), size.w, size.h, "", nil)
			})
		}
	}
}

// modeCursor is the label under the cursor.
func modeCursor(m Screen) string {
	ms := m.(*modeScreen)
	return ms.options[ms.cursor].label
}

func TestModeDefault(t *testing.T) {
	m := NewModeScreen(modeSession(t, true))
	if got := modeCursor(m); !strings.HasPrefix(got, "Restore into a new project") {
		t.Errorf("with targets, the cursor starts on %q", got)
	}
	m = NewModeScreen(modeSession(t, false))
	if got := modeCursor(m); !strings.HasPrefix(got, "Export a psql script") {
		t.Errorf("without targets, the cursor starts on %q (want the export: it needs no database)", got)
	}
}

func TestModeUnavailableOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(b *StoreBackend)
		downs  int
		why    string
	}{
		{"new project without admin", func(b *StoreBackend) { b.AdminURL = "" }, 0, "--admin-url"},
		{"overwrite without target", func(b *StoreBackend) { b.TargetTemplate = "" }, 1, "no target database configured"},
		{"merge without target", func(b *StoreBackend) { b.TargetTemplate = "" }, 2, "no target database configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := modeSession(t, true)
			tc.config(s.Backend.(*StoreBackend))
			var m Screen = NewModeScreen(s)
			m.SetSize(80, 21)
			m, _ = tablesSend(m, tablesKey("up"), tablesKey("up"), tablesKey("up"))
			for range tc.downs {
				m, _ = tablesSend(m, tablesKey("down"))
			}
			if !strings.Contains(m.View(), tc.why) {
				t.Errorf("the view does not say why (%q):\n%s", tc.why, m.View())
			}
			m, cmd := tablesSend(m, tablesKey("enter"))
			if cmd != nil {
				t.Errorf("Enter on an unavailable option returned %T", cmd())
			}
			if s.Mode != "" {
				t.Errorf("Enter on an unavailable option set the mode %q", s.Mode)
			}
			if !strings.Contains(m.View(), "Not available") {
				t.Errorf("Enter on an unavailable option did not say so:\n%s", m.View())
			}
		})
	}
}

// The demo without PostgreSQL says why it cannot restore, rather than
// which flags would configure a database.
func TestModeNoDatabase(t *testing.T) {
	s := modeSession(t, false)
	s.NoDatabase = "no PostgreSQL here"
	m := NewModeScreen(s)
	m.SetSize(120, 40)
	view := m.View()
	if n := strings.Count(view, "no PostgreSQL here"); n != 3 {
		t.Errorf("the reason is shown %d times, want under each restoring mode:\n%s", n, view)
	}
	if strings.Contains(view, "--admin-url") || strings.Contains(view, "--target") {
		t.Errorf("the view offers flags instead of the reason:\n%s", view)
	}
}

func TestModeEnter(t *testing.T) {
	for _, tc := range []struct {
		downs    int
		mode     apply.Mode
		database string
	}{
		{0, apply.NewProject, "demo-restore-20261122"},
		{1, apply.Overwrite, ""},
		{2, apply.Merge, ""},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := modeSession(t, true)
			var m Screen = NewModeScreen(s)
			for range tc.downs {
				m, _ = tablesSend(m, tablesKey("down"))
			}
			_, cmd := tablesSend(m, tablesKey("enter"))
			if cmd == nil {
				t.Fatal("Enter did nothing")
			}
			push, ok := cmd().(pushMsg)
			if !ok {
				t.Fatal("Enter did not push a screen")
			}
			if _, ok := push.screen.(*confirmScreen); !ok {
				t.Errorf("Enter pushed %T", push.screen)
			}
			if s.Mode != tc.mode || s.Database != tc.database {
				t.Errorf("Mode, Database = %q, %q; want %q, %q", s.Mode, s.Database, tc.mode, tc.database)
			}
		})
	}
}

func TestModeStopQuits(t *testing.T) {
	for _, targets := range []bool{false, true} {
		s := modeSession(t, targets)
		var m Screen = NewModeScreen(s)
		m, _ = tablesSend(m, tablesKey("down"), tablesKey("down"), tablesKey("down"), tablesKey("down"))
		_, cmd := tablesSend(m, tablesKey("enter"))
		if cmd == nil {
			t.Fatal("Enter on stop did nothing")
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Error("Enter on stop did not quit")
		}
		if s.Mode != "" {
			t.Errorf("stop set the mode %q", s.Mode)
		}
	}
}

func TestModeBackAndQuitInApp(t *testing.T) {
	s := modeSession(t, true)
	a := New(s, NewPreviewScreen(s))
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	tablesDrive(a, pushMsg{NewModeScreen(s)})
	if a.top().Title() != "5 Mode" {
		t.Fatalf("on %q", a.top().Title())
	}
	if quit := tablesDrive(a, tablesKey("esc")); quit || a.top().Title() != "4 Preview" {
		t.Errorf("Esc: quit %v, on %q", quit, a.top().Title())
	}
	tablesDrive(a, pushMsg{NewModeScreen(s)})
	if quit := tablesDrive(a, tablesKey("q")); !quit {
		t.Error("q did not quit")
	}
}

func TestModeNeverShowsPasswords(t *testing.T) {
	s := modeSession(t, true)
	a := New(s, NewModeScreen(s))
	a.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for _, keys := range [][]string{{}, {"down"}, {"down"}, {"down"}} {
		for _, k := range keys {
			tablesDrive(a, tablesKey(k))
		}
		if v := a.View(); strings.Contains(v, "secret") {
			t.Errorf("a password is shown:\n%s", v)
		}
	}
}

func TestPreviewLeadsToMode(t *testing.T) {
	if _, ok := nextAfterPreview(modeSession(t, false)).(*modeScreen); !ok {
		t.Error("the preview does not lead to the mode screen")
	}
}
