package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// exportLoad is the command that loads the script at path into the
// database psql connects to: psql reads a plain file itself; a gzipped
// one comes through gunzip.
func exportLoad(path string) string {
	q := ticket.ShellQuote(path)
	if strings.HasSuffix(path, ".gz") {
		return "gunzip -c " + q + " | psql -v ON_ERROR_STOP=1"
	}
	return "psql -v ON_ERROR_STOP=1 -f " + q
}

// exportKeys are the export screen's keys.
type exportKeys struct {
	Write, Quit, Back key.Binding
	written           bool
}

func newExportKeys(k KeyMap) exportKeys {
	return exportKeys{
		Write: key.NewBinding(key.WithKeys(k.Enter.Keys()...), key.WithHelp("enter", "write")),
		Quit:  key.NewBinding(key.WithKeys("enter", "q"), key.WithHelp("enter/q", "quit")),
		Back:  key.NewBinding(key.WithKeys(k.Back.Keys()...), key.WithHelp("esc", "back")),
	}
}

func (k exportKeys) ShortHelp() []key.Binding {
	if k.written {
		return []key.Binding{k.Quit}
	}
	return []key.Binding{k.Write}
}
func (k exportKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// exportDoneMsg is an export's outcome: the file's path and size, or err.
type exportDoneMsg struct {
	job  int
	path string
	size int64
	err  error
}

// exportScreen writes the selection's psql script (schema and data) to a
// file: an alternative to restoring that needs no database.
type exportScreen struct {
	s       *Session
	keys    exportKeys
	input   textinput.Model
	job     int
	writing bool
	cancel  context.CancelFunc // stops the write running
	path    string             // the file written
	size    int64
	err     error
	msg     string
	width   int
	height  int
}

// exportName is the default file name, in the current directory, after
// what the script holds: <project>-<snapshot time>-<table>.sql for one
// table, <table>-and-N-more for several (the first alone misnamed it).
func exportName(s *Session) string {
	name := s.Ticket.Project + "-" + s.Snapshot.Time.UTC().Format("20060102T150405Z")
	switch n := len(s.Tables); {
	case n == 1:
		name += "-" + s.Tables[0].Name
	case n > 1:
		name += fmt.Sprintf("-%s-and-%d-more", s.Tables[0].Name, n-1)
	}
	// Keep the name one plain file name whatever the table is called.
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name) + ".sql"
}

// NewExportScreen exports s.Tables of s.Snapshot to a file.
func NewExportScreen(s *Session) Screen {
	m := &exportScreen{s: s, keys: newExportKeys(s.Keys), width: 80, height: 20}
	m.input = newInput(s.Styles, "File: ", "", 4096)
	m.input.SetValue(exportName(s))
	m.input.Focus()
	return m
}

func (m *exportScreen) Title() string       { return "6 Export" }
func (m *exportScreen) KeyMap() help.KeyMap { return m.keys }

// Typing is true so that q is text while the path is edited and Esc
// always reaches the screen.
func (m *exportScreen) Typing() bool { return true }

// Field is the path's text while it is edited (TextField).
func (m *exportScreen) Field() (string, bool) { return m.input.Value(), m.input.Focused() }

func (m *exportScreen) Init() tea.Cmd { return nil }

func (m *exportScreen) SetSize(width, height int) {
	m.width, m.height = width, height
	inputResize(&m.input, width-ansi.StringWidth(m.input.Prompt)-1)
}

func (m *exportScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case exportDoneMsg:
		if msg.job != m.job || !m.writing {
			return m, nil // stale: the user moved on
		}
		m.writing = false
		m.stop()
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.path, m.size = msg.path, msg.size
		m.keys.written = true
		m.input.Blur()
		return m, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.keys.Back):
			// A write still running is cancelled (it leaves no file)
			// and its result dropped.
			m.job++
			m.writing = false
			m.stop()
			return m, Back()
		case m.path != "":
			if key.Matches(msg, m.keys.Quit) {
				return m, tea.Quit
			}
			return m, nil
		case m.writing:
			return m, nil
		case key.Matches(msg, m.keys.Write):
			return m, m.write()
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		m.err, m.msg = nil, ""
		return m, cmd
	}
	return m, nil
}

// write starts writing the script to the typed path.
func (m *exportScreen) write() tea.Cmd {
	path := strings.TrimSpace(m.input.Value())
	if path == "" {
		m.msg = "Type the path of the file to write."
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		m.msg = fmt.Sprintf("%s exists: type another path, or delete it first.", termsafe.String(path))
		return nil
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	m.job++
	m.writing, m.err, m.msg = true, nil, ""
	m.stop()
	ctx, cancel := context.WithCancel(m.s.context())
	m.cancel = cancel
	job, s := m.job, m.s
	snap, tables := s.Snapshot.Snapshot, s.Tables
	return func() tea.Msg {
		// Quitting cancels the session's context; the command line waits
		// on Restores, so the write removes its temporary file first.
		s.Restores.Add(1)
		defer s.Restores.Done()
		size, err := s.Backend.Export(ctx, snap, tables, path)
		if err == nil {
			// Written, even if the screen has moved on: the exit
			// summary says where it went.
			s.recordExport(RestoreRequest{Snapshot: snap, Tables: tables}, path, size)
		}
		return exportDoneMsg{job: job, path: path, size: size, err: err}
	}
}

// stop cancels the write running, if any.
func (m *exportScreen) stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

func (m *exportScreen) View() string {
	st := m.s.Styles
	s := m.s
	w := max(m.width, 1)
	var lines []string
	add := func(label, value string) {
		lines = append(lines, wrapIndent(fmt.Sprintf("%-10s %s", label, value), w, "")...)
	}
	lines = append(lines, ansi.Truncate(st.Header.Render("Export a psql script to a file"), w, "…"), "")
	add("Snapshot", termsafe.String(s.Snapshot.Key))
	add("Taken", s.local(s.Snapshot.Time).Format("2006-01-02 15:04 MST"))
	add("Tables", fmt.Sprintf("%d: %s", len(s.Tables), confirmNames(s.Tables)))
	lines = append(lines, "")
	if m.path != "" {
		lines = append(lines, st.OK.Render("Written."), "")
		add("File", termsafe.String(m.path))
		add("Size", catalog.FormatSize(m.size))
		lines = append(lines, "")
		lines = append(lines, wrapIndent("Load it into an empty database with:", w, "")...)
		// Unindented and cut only where the terminal ends, to copy.
		lines = append(lines, strings.Split(ansi.Hardwrap(termsafe.String(exportLoad(m.path)), w, true), "\n")...)
		lines = append(lines, "", st.Subtle.Render(ansi.Truncate("Enter or q quits; esc goes back.", w, "…")))
	} else {
		lines = append(lines, wrapIndent("The script holds the tables with what they need (schema and rows), for psql -v ON_ERROR_STOP=1 into an empty database. A path ending in .gz is gzipped. Edit the path, then press enter.", w, "")...)
		lines = append(lines, inputView(m.input, w))
		if m.writing {
			lines = append(lines, st.Subtle.Render(ansi.Truncate("Writing…", w, "…")))
		}
		if m.err != nil {
			lines = append(lines, "")
			for _, l := range wrapIndent("Could not write the file: "+termsafe.String(m.err.Error()), w, "") {
				lines = append(lines, st.Error.Render(l))
			}
			lines = append(lines, wrapIndent("Nothing was written. Check the directory exists and is writable and that the disk has room, or type another path, then press enter again.", w, "")...)
		}
		if m.msg != "" {
			for _, l := range wrapIndent(m.msg, w, "") {
				lines = append(lines, st.Error.Render(l))
			}
		}
	}
	if m.height > 0 && len(lines) > m.height {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}
