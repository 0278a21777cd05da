package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/powabase/restorectl/internal/apply"
)

// confirmSession is a session that chose mode on the mode screen.
func confirmSession(t *testing.T, mode apply.Mode) *Session {
	t.Helper()
	s := modeSession(t, true)
	s.Mode = mode
	if mode == apply.NewProject {
		s.Database = modeDatabase(s)
	}
	return s
}

func TestConfirmGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		downs int
		wait  string
	}{{"overwrite", 1, "Plan: overwrite"}, {"merge", 2, "Plan: merge"}, {"newproject", 0, "Database: "}} {
		for _, size := range goldenSizes {
			t.Run(tc.name+"/"+goldenSize(size.w, size.h), func(t *testing.T) {
				s := modeSession(t, true)
				newPlanRecorder(s) // a made-up plan: no database
				var keys []tea.Msg
				for range tc.downs {
					keys = append(keys, tablesKey("down"))
				}
				keys = append(keys, tablesKey("enter"))
				goldenRun(t, s, NewModeScreen(s), size.w, size.h, tc.wait, goldenKeys(keys...))
			})
		}
	}
}

// confirmNext replaces nextAfterConfirm with a screen to recognise for
// the test.
func confirmNext(t *testing.T) Screen {
	t.Helper()
	old := nextAfterConfirm
	t.Cleanup(func() { nextAfterConfirm = old })
	next := NewModeScreen(modeSession(t, false))
	nextAfterConfirm = func(*Session) Screen { return next }
	return next
}

// confirmPushed says whether cmd pushes next.
func confirmPushed(cmd tea.Cmd, next Screen) bool {
	if cmd == nil {
		return false
	}
	p, ok := cmd().(pushMsg)
	return ok && p.screen == next
}

func TestConfirmDestructiveRef(t *testing.T) {
	for _, mode := range []apply.Mode{apply.Overwrite, apply.Merge} {
		for _, tc := range []struct {
			typed string
			ok    bool
		}{
			{"", false},
			{"dem", false},
			{"Demo", false},
			{"demo2", false},
			{" demo", false},
			{"demo", true},
		} {
			t.Run(string(mode)+"/"+tc.typed, func(t *testing.T) {
				next := confirmNext(t)
				s := confirmSession(t, mode)
				var m Screen = NewConfirmScreen(s)
				m.SetSize(80, 21)
				if !m.Typing() {
					t.Error("the ref input is not focused")
				}
				m, _ = tablesSend(m, tablesType(tc.typed)...)
				m, cmd := tablesSend(m, tablesKey("enter"))
				if got := confirmPushed(cmd, next); got != tc.ok {
					t.Errorf("typed %q: moved on %v, want %v", tc.typed, got, tc.ok)
				}
				refused := strings.Contains(m.View(), "type the project ref exactly")
				if refused == tc.ok {
					t.Errorf("typed %q: refusal shown %v:\n%s", tc.typed, refused, m.View())
				}
				if s.Database != "" {
					t.Errorf("Database set to %q", s.Database)
				}
			})
		}
	}
}

func TestConfirmRefusalClearsWhenTyping(t *testing.T) {
	next := confirmNext(t)
	var m Screen = NewConfirmScreen(confirmSession(t, apply.Overwrite))
	m.SetSize(80, 21)
	m, _ = tablesSend(m, append(tablesType("dem"), tablesKey("enter"))...)
	if !strings.Contains(m.View(), "That is not demo") {
		t.Fatalf("no refusal:\n%s", m.View())
	}
	m, _ = tablesSend(m, tablesType("o")...)
	if strings.Contains(m.View(), "That is not demo") {
		t.Error("the refusal stays while typing")
	}
	if _, cmd := tablesSend(m, tablesKey("enter")); !confirmPushed(cmd, next) {
		t.Error("the right ref did not move on")
	}
}

func TestConfirmNewProject(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []tea.Msg
		ok    bool
		want  string
		error string
	}{
		{"default", nil, true, "demo-restore-20261122", ""},
		{"edited", append([]tea.Msg{tablesKey("backspace"), tablesKey("backspace")}, tablesType("qq")...), true, "demo-restore-202611qq", ""},
		{"emptied", func() []tea.Msg {
			var k []tea.Msg
			for range len("demo-restore-20261122") {
				k = append(k, tablesKey("backspace"))
			}
			return k
		}(), false, "demo-restore-20261122", "Name the new database"},
		{"capped at 63 runes", tablesType(strings.Repeat("x", 60)), true, "demo-restore-20261122" + strings.Repeat("x", 63-21), ""},
		{"more than 63 bytes", tablesType(strings.Repeat("é", 40)), false, "demo-restore-20261122", "63 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := confirmNext(t)
			s := confirmSession(t, apply.NewProject)
			var m Screen = NewConfirmScreen(s)
			m.SetSize(80, 21)
			m, _ = tablesSend(m, tc.keys...)
			m, cmd := tablesSend(m, tablesKey("enter"))
			if got := confirmPushed(cmd, next); got != tc.ok {
				t.Errorf("moved on %v, want %v:\n%s", got, tc.ok, m.View())
			}
			if s.Database != tc.want {
				t.Errorf("Database = %q, want %q", s.Database, tc.want)
			}
			if tc.error != "" && !strings.Contains(m.View(), tc.error) {
				t.Errorf("no %q:\n%s", tc.error, m.View())
			}
		})
	}
}

func TestConfirmShowsWhatHappens(t *testing.T) {
	for _, tc := range []struct {
		mode apply.Mode
		want []string
	}{
		{apply.Overwrite, []string{"overwrite the tables", "demo/20261121T030000Z.sql.gz", "2026-11-21 03:00 UTC",
			"4: public.orders, public.customers, public.order_items, and 1 more", "SUP-42",
			"db.example:5432/demo", "demo/pre-restore/", "restorectl undo"}},
		{apply.Merge, []string{"merge the missing rows", "db.example:5432/demo", "demo/pre-restore/"}},
		{apply.NewProject, []string{"new project", "Database: demo-restore-20261122", "db.example:5432/postgres", "SUP-42"}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := confirmSession(t, tc.mode)
			a := New(s, NewConfirmScreen(s))
			a.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			v := a.View()
			for _, w := range tc.want {
				if !strings.Contains(v, w) {
					t.Errorf("no %q in:\n%s", w, v)
				}
			}
			if strings.Contains(v, "secret") {
				t.Errorf("a password is shown:\n%s", v)
			}
		})
	}
}

func TestConfirmKeysInApp(t *testing.T) {
	for _, mode := range []apply.Mode{apply.Overwrite, apply.NewProject} {
		t.Run(string(mode), func(t *testing.T) {
			confirmNext(t)
			s := modeSession(t, true)
			newPlanRecorder(s)
			a := New(s, NewModeScreen(s))
			a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			keys := []tea.Msg{tablesKey("enter")}
			if mode == apply.Overwrite {
				keys = []tea.Msg{tablesKey("down"), tablesKey("enter")}
			}
			tablesDrive(a, keys...)
			if a.top().Title() != "6 Confirm" {
				t.Fatalf("on %q", a.top().Title())
			}
			// q and ? are text while typing.
			if quit := tablesDrive(a, tablesKey("q"), tablesKey("?")); quit {
				t.Fatal("q quit while typing")
			}
			if v := a.top().(*confirmScreen).input.Value(); !strings.HasSuffix(v, "q?") {
				t.Errorf("q? not typed: %q", v)
			}
			if strings.Contains(a.View(), "secret") {
				t.Errorf("a password is shown:\n%s", a.View())
			}
			// Esc goes back to the mode screen.
			if quit := tablesDrive(a, tablesKey("esc")); quit || a.top().Title() != "5 Mode" {
				t.Errorf("Esc: quit %v, on %q", quit, a.top().Title())
			}
			if quit := tablesDrive(a, tablesKey("ctrl+c")); !quit {
				t.Error("ctrl+c did not quit")
			}
		})
	}
}

func TestConfirmWithoutTarget(t *testing.T) {
	confirmNext(t)
	s := modeSession(t, false)
	s.Mode = apply.Overwrite
	var m Screen = NewConfirmScreen(s)
	m.SetSize(80, 21)
	m, cmd := tablesSend(m, append(tablesType("demo"), tablesKey("enter"))...)
	if cmd != nil {
		t.Error("moved on without a target")
	}
	if !strings.Contains(m.View(), "no target database configured") {
		t.Errorf("does not say why:\n%s", m.View())
	}
}
