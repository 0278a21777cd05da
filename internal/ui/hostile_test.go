package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/klauspost/compress/gzip"
	"github.com/muesli/termenv"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe/termsafetest"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

// A hostile customer's table: its name retitles the window (OSC), a column
// name colours the screen, values clear it (CSI, also as the C1 control
// U+009B) or reorder the line (a bidi override).
var hostileName = extract.Name{Schema: "public", Name: "evil\x1b]0;pwned\x07"}

// hostileEscaped is the hostile table's name as the console draws it.
const hostileEscaped = `public."evil\x1b]0;pwned\x07"`

const hostileSQL = `
CREATE TABLE public.U&"evil\001B]0;pwned\0007" (id int PRIMARY KEY, U&"col\001B[31m" text);
INSERT INTO public.U&"evil\001B]0;pwned\0007" VALUES
  (1, E'\x1b[2Jcleared'), (2, E'csi \u009b31m red'), (3, E'bidi \u202eeulav');
`

// hostileSession is a session at the tables screen of a snapshot of
// project "evil" that holds the hostile table (dumped by the cluster's
// pg_dump into a local store).
func hostileSession(t *testing.T) *Session {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, hostileSQL)
	dir := t.TempDir()
	key := "evil/20261121T030000Z.sql.gz"
	if err := os.MkdirAll(filepath.Join(dir, "evil"), 0o755); err != nil {
		t.Fatal(err)
	}
	dump, err := exec.Command(pg.Bin("pg_dump"), "--no-owner", "--no-privileges", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(dump)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := NewStoreBackend(&ticket.Service{Store: st, Now: func() time.Time { return tablesNow }})
	snaps, err := b.Snapshots(context.Background(), "evil", tablesNow)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots: %v, %v", snaps, err)
	}
	toc, err := b.Open(context.Background(), snaps[0].Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	if toc.Table(hostileName) == nil {
		t.Fatalf("the snapshot lacks %s", hostileName)
	}
	return &Session{
		Backend: b, Styles: NewStyles(true), Keys: NewKeyMap(), Now: b.Now,
		Ticket:   Ticket{Project: "evil", At: tablesNow, ID: "SUP-1"},
		Snapshot: snaps[0], TOC: toc, Tables: []extract.Name{hostileName},
	}
}

// TestHostileNamesEscapedInConsole: every screen that draws a snapshot's
// names, values or an error quoting them escapes their control characters.
func TestHostileNamesEscapedInConsole(t *testing.T) {
	s := hostileSession(t)
	values := []string{`col\x1b[31m`, `\x1b[2Jcleared`, `csi \u009b31m red`, `bidi \u202eeulav`}
	tests := []struct {
		name string
		draw func(t *testing.T) string
		want []string
	}{
		{"tables", func(t *testing.T) string {
			m := NewTablesScreen(s)
			m.SetSize(120, 20)
			return m.View()
		}, []string{hostileEscaped}},
		{"preview", func(t *testing.T) string {
			m := NewPreviewScreen(s).(*previewScreen)
			m.SetSize(200, 1000)
			m.Update(previewLoad(t, m))
			return m.View()
		}, append([]string{hostileEscaped, "CREATE TABLE " + hostileEscaped}, values...)},
		{"plan", func(t *testing.T) string {
			plan := &apply.Plan{Tables: []apply.TablePlan{{Table: hostileName, Name: hostileName.String(), Exists: true,
				Drift: []apply.Drift{{Column: "col\x1b[31m", Snapshot: "text", Reason: "new \u009b column"}}}},
				Warnings: []string{"warning about " + hostileName.String()}}
			var b strings.Builder
			writePlanText(&b, plan, &apply.RefusedError{Reasons: []string{hostileName.String() + " is referenced"}})
			return b.String()
		}, []string{hostileEscaped + "  exists", "drift " + hostileEscaped + `.col\x1b[31m`, `new \u009b column`, "refused: " + hostileEscaped, "warning about " + hostileEscaped}},
		{"plan error", func(t *testing.T) string {
			var b strings.Builder
			writePlanText(&b, nil, fmt.Errorf("inspect %s: boom", hostileName))
			return b.String()
		}, []string{"inspect " + hostileEscaped}},
		{"confirm", func(t *testing.T) string {
			s.Mode = apply.Overwrite
			m := NewConfirmScreen(s)
			m.SetSize(200, 40)
			return m.View()
		}, []string{"1: " + hostileEscaped}},
		{"progress", func(t *testing.T) string {
			s.Mode = apply.Overwrite
			m := NewProgressScreen(s).(*progressScreen)
			m.SetSize(200, 40)
			m.event(apply.Event{Phase: apply.PhaseCopy, Table: hostileName, Rows: 3, Message: "loaded " + hostileName.String() + ": 3 rows"})
			return m.View()
		}, []string{"loaded " + hostileEscaped, "table    " + hostileEscaped, "  " + hostileEscaped + "  3 rows"}},
		{"result", func(t *testing.T) string {
			s.Mode = apply.Overwrite
			s.Result = &apply.Result{AuditID: "0a1b2c3d", SafetyKey: "evil/pre-restore/x.sql.gz",
				Checks: []apply.Check{{Table: hostileName, Want: 3, Got: 3, OK: true}}}
			m := NewResultScreen(s, nil)
			m.SetSize(200, 40)
			return m.View()
		}, []string{hostileEscaped}},
		{"result failed", func(t *testing.T) string {
			m := NewResultScreen(s, fmt.Errorf("copy %s: boom\nvalue \x1b[2J", hostileName))
			m.SetSize(200, 40)
			return m.View()
		}, []string{"copy " + hostileEscaped, `value \x1b[2J`}},
		{"result refused", func(t *testing.T) string {
			m := NewResultScreen(s, &apply.RefusedError{Reasons: []string{hostileName.String() + " is referenced"}})
			m.SetSize(200, 40)
			return m.View()
		}, []string{hostileEscaped + " is referenced"}},
		{"result of another project's snapshot", func(t *testing.T) string {
			m := NewResultScreen(s, &apply.OtherProjectError{Snapshot: "other/x.sql.gz", SnapshotProject: "other", Project: "evil"})
			m.SetSize(200, 40)
			return m.View()
		}, []string{"The restore was refused", "snapshot other/x.sql.gz belongs to project other, not evil"}},
		{"export error", func(t *testing.T) string {
			m := NewExportScreen(s).(*exportScreen)
			m.SetSize(200, 40)
			m.err = fmt.Errorf("read %s: \u009b2J", hostileName)
			return m.View()
		}, []string{"read " + hostileEscaped, `\u009b2J`}},
		{"snapshot error", func(t *testing.T) string {
			m := NewSnapshotsScreen(s).(*snapshotsScreen)
			m.SetSize(200, 40)
			m.listing, m.listErr = false, errors.New("list evil/\x1b]0;pwned\x07: denied")
			return m.View()
		}, []string{`list evil/\x1b]0;pwned\x07: denied`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.draw(t)
			if raw := termsafetest.RawControls(v); len(raw) > 0 {
				t.Errorf("the screen holds raw controls %v:\n%q", raw, v)
			}
			for _, want := range tt.want {
				if !strings.Contains(v, want) {
					t.Errorf("the screen lacks %s:\n%s", want, v)
				}
			}
		})
	}
}

// rawScreen draws text as it is: a screen that forgot to escape.
type rawScreen struct{ text string }

type rawKeys struct{}

func (rawKeys) ShortHelp() []key.Binding  { return nil }
func (rawKeys) FullHelp() [][]key.Binding { return nil }

func (r rawScreen) Init() tea.Cmd                    { return nil }
func (r rawScreen) Update(tea.Msg) (Screen, tea.Cmd) { return r, nil }
func (r rawScreen) View() string                     { return r.text }
func (r rawScreen) SetSize(int, int)                 {}
func (r rawScreen) Title() string                    { return "raw" }
func (r rawScreen) KeyMap() help.KeyMap              { return rawKeys{} }
func (r rawScreen) Typing() bool                     { return false }

// TestAppEscapesWhatScreensForget: App escapes whatever control characters
// a screen draws, keeping only its styles' colours; the ticket's fields
// too.
func TestAppEscapesWhatScreensForget(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"OSC", "title \x1b]0;pwned\x07 and \x1b]52;c;Zm9v\x07", []string{`title \x1b]0;pwned\x07`, `\x1b]52;c;Zm9v\x07`}},
		{"CSI", "clear \x1b[2J\x1b[H home", []string{`clear \x1b[2J\x1b[H home`}},
		{"C1 and bidi", "c1 \u009b31m bidi \u202eabc", []string{`c1 \u009b31m bidi \u202eabc`}},
		{"carriage return", "over\rwrite", []string{`over\rwrite`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lipgloss.SetColorProfile(termenv.Ascii)
			s := &Session{Styles: NewStyles(true), Keys: NewKeyMap(), Ticket: Ticket{Project: "evil", ID: "T-\x1b[2J"}}
			a := New(s, rawScreen{tt.text})
			a.Update(tea.WindowSizeMsg{Width: 200, Height: 10})
			v := a.View()
			if raw := termsafetest.RawControls(v); len(raw) > 0 {
				t.Errorf("App drew raw controls %v:\n%q", raw, v)
			}
			for _, want := range append(tt.want, `T-\x1b[2J`) {
				if !strings.Contains(v, want) {
					t.Errorf("App's view lacks %s:\n%s", want, v)
				}
			}
		})
	}
	// With colours, the styles' own sequences stay.
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	s := &Session{Styles: NewStyles(false), Keys: NewKeyMap()}
	styled := s.Styles.Error.Render("red")
	if !strings.Contains(styled, "\x1b[") {
		t.Fatalf("no colour drawn: %q", styled)
	}
	a := New(s, rawScreen{styled + " \x1b[2J"})
	a.Update(tea.WindowSizeMsg{Width: 200, Height: 10})
	if v := a.View(); !strings.Contains(v, styled) || !strings.Contains(v, `\x1b[2J`) {
		t.Errorf("App's view lost the style or kept the CSI: %q", v)
	}
}
