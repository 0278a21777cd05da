package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/klauspost/compress/gzip"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// exportSession is modeSession (no targets: an export needs none) with
// the first table public.orders.
func exportSession(t *testing.T) *Session {
	t.Helper()
	return modeSession(t, false)
}

// exportScreenAt is the export screen with path typed in, wide enough that
// no path wraps.
func exportScreenAt(s *Session, path string) *exportScreen {
	m := NewExportScreen(s).(*exportScreen)
	m.SetSize(400, 40)
	m.input.SetValue(path)
	return m
}

// exportRun presses Enter and runs the write, returning its message.
func exportRun(t *testing.T, m *exportScreen) tea.Msg {
	t.Helper()
	_, cmd := m.Update(tablesKey("enter"))
	if cmd == nil {
		t.Fatalf("Enter did nothing:\n%s", m.View())
	}
	if !strings.Contains(m.View(), "Writing") {
		t.Errorf("no sign of the write while it runs:\n%s", m.View())
	}
	msg := cmd()
	m.Update(msg)
	return msg
}

// exportEntries lists dir's files.
func exportEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestExportGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			s := exportSession(t)
			goldenRun(t, s, NewExportScreen(s), size.w, size.h, "", nil)
		})
	}
}

func TestExportDefaultName(t *testing.T) {
	s := exportSession(t)
	// Named after what it holds: four tables are not "orders".
	if got, want := NewExportScreen(s).(*exportScreen).input.Value(), "demo-20261121T030000Z-orders-and-3-more.sql"; got != want {
		t.Errorf("default path %q, want %q", got, want)
	}
	s.Tables = modeTables[:1]
	if got, want := exportName(s), "demo-20261121T030000Z-orders.sql"; got != want {
		t.Errorf("default path %q, want %q", got, want)
	}
	s.Tables = []extract.Name{{Schema: "My Schema", Name: "a/b c"}}
	if got, want := exportName(s), "demo-20261121T030000Z-a_b_c.sql"; got != want {
		t.Errorf("default path %q, want %q", got, want)
	}
}

func TestExportWrites(t *testing.T) {
	for _, name := range []string{"out.sql", "out.sql.gz"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			m := exportScreenAt(exportSession(t), path)
			msg := exportRun(t, m)
			if done := msg.(exportDoneMsg); done.err != nil {
				t.Fatal(done.err)
			}
			if got := exportEntries(t, dir); len(got) != 1 || got[0] != name {
				t.Errorf("the directory holds %v, want only %s", got, name)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			script := raw
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("not gzipped: %v", err)
				}
				if script, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range []string{"CREATE TABLE public.orders", "COPY public.orders"} {
				if !bytes.Contains(script, []byte(want)) {
					t.Errorf("the script lacks %q", want)
				}
			}
			v := m.View()
			load := "psql -v ON_ERROR_STOP=1 -f " + path
			if strings.HasSuffix(name, ".gz") {
				load = "gunzip -c " + path + " | psql -v ON_ERROR_STOP=1"
			}
			for _, want := range []string{"Written.", path, catalog.FormatSize(int64(len(raw))), load} {
				if !strings.Contains(v, want) {
					t.Errorf("the view lacks %q:\n%s", want, v)
				}
			}
			// What the command line prints as the console ends.
			if got, want := Summary(m.s), "restorectl: exported "+summaryTables(m.s.Tables)+" of snapshot demo/20261121T030000Z.sql.gz to "+path+
				" ("+catalog.FormatSize(int64(len(raw)))+")\n"; got != want {
				t.Errorf("exit summary %q, want %q", got, want)
			}
			for _, k := range []string{"enter", "q"} {
				_, cmd := m.Update(tablesKey(k))
				if cmd == nil {
					t.Fatalf("%s after the write did nothing", k)
				}
				if _, ok := cmd().(tea.QuitMsg); !ok {
					t.Errorf("%s after the write did not quit", k)
				}
			}
		})
	}
}

// exportFailingBackend fails an export as a truncated snapshot does
// (ticket's TestExportLeavesNoFile has the real one: no file is left).
type exportFailingBackend struct{ *StoreBackend }

func (exportFailingBackend) Export(context.Context, catalog.Snapshot, []extract.Name, string) (int64, error) {
	return 0, errors.New("read snapshot: unexpected EOF")
}

func TestExportErrorsLeaveNoFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		path func(dir string) string
		fail bool
		want string
	}{
		{"missing directory", func(dir string) string { return filepath.Join(dir, "nope", "out.sql") }, false, "no such file or directory"},
		{"directory is a file", func(dir string) string {
			f := filepath.Join(dir, "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "out.sql")
		}, false, "not a directory"},
		{"backend fails midway", func(dir string) string { return filepath.Join(dir, "out.sql.gz") }, true, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := exportSession(t)
			if tc.fail {
				s.Backend = exportFailingBackend{s.Backend.(*StoreBackend)}
			}
			before := exportEntries(t, dir)
			path := tc.path(dir)
			if !tc.fail {
				before = exportEntries(t, dir)
			}
			m := exportScreenAt(s, path)
			if done := exportRun(t, m).(exportDoneMsg); done.err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Lstat(path); err == nil {
				t.Errorf("%s exists after the error", path)
			}
			if sum := Summary(s); sum != "" {
				t.Errorf("exit summary of a failed export: %q", sum)
			}
			if got := exportEntries(t, dir); len(got) != len(before) {
				t.Errorf("the directory holds %v, had %v", got, before)
			}
			v := m.View()
			for _, want := range []string{"Could not write the file", tc.want, "Nothing was written", "type another path"} {
				if !strings.Contains(v, want) {
					t.Errorf("the view lacks %q:\n%s", want, v)
				}
			}
			// Typing clears the error; enter tries again.
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
			if strings.Contains(m.View(), "Could not write") {
				t.Errorf("the error stays after typing:\n%s", m.View())
			}
		})
	}
}

func TestExportRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.sql")
	if err := os.WriteFile(path, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := exportScreenAt(exportSession(t), path)
	if _, cmd := m.Update(tablesKey("enter")); cmd != nil {
		t.Errorf("Enter on an existing file returned %T", cmd())
	}
	if !strings.Contains(m.View(), "exists: type another path") {
		t.Errorf("the view does not say the file exists:\n%s", m.View())
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Errorf("the existing file was changed: %q", b)
	}
}

func TestExportEmptyPath(t *testing.T) {
	m := exportScreenAt(exportSession(t), "  ")
	if _, cmd := m.Update(tablesKey("enter")); cmd != nil {
		t.Errorf("Enter on an empty path returned %T", cmd())
	}
	if !strings.Contains(m.View(), "Type the path") {
		t.Errorf("the view does not ask for a path:\n%s", m.View())
	}
}

func TestExportEscAndStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.sql")
	m := exportScreenAt(exportSession(t), path)
	_, cmd := m.Update(tablesKey("enter"))
	if cmd == nil {
		t.Fatal("Enter did nothing")
	}
	_, back := m.Update(tablesKey("esc"))
	if back == nil {
		t.Fatal("Esc did nothing")
	}
	if _, ok := back().(popMsg); !ok {
		t.Error("Esc did not go back")
	}
	// The write, cancelled, finishes after the user left: no file, and
	// its result is dropped.
	done := cmd().(exportDoneMsg)
	if !errors.Is(done.err, context.Canceled) {
		t.Errorf("the write after Esc returned %v, want cancelled", done.err)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("%s was written after Esc", path)
	}
	m.Update(done)
	m.Update(exportDoneMsg{job: done.job, path: path, size: 1})
	if m.path != "" || m.err != nil || strings.Contains(m.View(), "Written") {
		t.Errorf("a stale result was shown:\n%s", m.View())
	}
	// q while typing the path is text, not quit.
	m2 := exportScreenAt(exportSession(t), "")
	if _, cmd := m2.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Error("q while typing quit")
		}
	}
	if m2.input.Value() != "q" {
		t.Errorf("q was not typed: %q", m2.input.Value())
	}
}

func TestExportFromModeAndBackInApp(t *testing.T) {
	s := exportSession(t)
	a := New(s, NewModeScreen(s))
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	// Without targets the cursor starts on the export.
	if quit := tablesDrive(a, tablesKey("enter")); quit || a.top().Title() != "6 Export" {
		t.Fatalf("Enter on export: quit %v, on %q", quit, a.top().Title())
	}
	if s.Mode != "" {
		t.Errorf("the export set the mode %q", s.Mode)
	}
	if quit := tablesDrive(a, tablesKey("esc")); quit || a.top().Title() != "5 Mode" {
		t.Errorf("Esc: quit %v, on %q", quit, a.top().Title())
	}
	// With targets, the export is the fourth option.
	s = modeSession(t, true)
	var m Screen = NewModeScreen(s)
	m, _ = tablesSend(m, tablesKey("down"), tablesKey("down"), tablesKey("down"))
	_, cmd := tablesSend(m, tablesKey("enter"))
	if push, ok := cmd().(pushMsg); !ok {
		t.Error("Enter on export did not push a screen")
	} else if _, ok := push.screen.(*exportScreen); !ok {
		t.Errorf("Enter on export pushed %T", push.screen)
	}
}

func TestExportLoadQuotes(t *testing.T) {
	if got, want := exportLoad("/tmp/a b.sql"), "psql -v ON_ERROR_STOP=1 -f '/tmp/a b.sql'"; got != want {
		t.Errorf("exportLoad = %q, want %q", got, want)
	}
}

func TestExportRelativePathShownAbsolute(t *testing.T) {
	s := exportSession(t) // before the chdir: it reads ../sample/store
	dir := t.TempDir()
	t.Chdir(dir)
	m := NewExportScreen(s).(*exportScreen)
	m.SetSize(400, 40)
	done := exportRun(t, m).(exportDoneMsg)
	if done.err != nil {
		t.Fatal(done.err)
	}
	abs := filepath.Join(dir, "demo-20261121T030000Z-orders-and-3-more.sql")
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("the default path was not written in the current directory: %v", err)
	}
	if !strings.Contains(m.View(), "psql -v ON_ERROR_STOP=1 -f "+abs) {
		t.Errorf("the view does not give the absolute path:\n%s", m.View())
	}
}
