package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

var previewOrders = []extract.Name{{Schema: "public", Name: "orders"}}

func TestPreviewGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := tablesSession(t)
			s.Tables = previewOrders
			tm := teatest.NewTestModel(t, New(s, NewPreviewScreen(s)), teatest.WithInitialTermSize(size[0], size[1]))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("rows, the first")) },
				teatest.WithDuration(10*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			view := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View()
			for i, l := range strings.Split(view, "\n") {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("line %d is %d wide: %q", i, w, l)
				}
			}
			teatest.RequireEqualOutput(t, []byte(view))
		})
	}
}

// previewLoad runs the screen's load to its message.
func previewLoad(t *testing.T, m *previewScreen) previewLoadedMsg {
	t.Helper()
	msg, ok := m.Init()().(previewLoadedMsg)
	if !ok {
		t.Fatal("Init did not load")
	}
	return msg
}

func TestPreviewShowsRowsAndDefinitions(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(100, 1000)
	m.Update(previewLoad(t, m))
	v := m.View()
	for _, want := range []string{"public.orders: 55 rows, the first 10", "customer_id", "CREATE TABLE public.orders", "CREATE TYPE public.order_status"} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "COPY public.orders") {
		t.Errorf("the definitions hold rows:\n%s", v)
	}
}

// failingBackend is the sample store whose previews fail.
type failingBackend struct{ *StoreBackend }

func (failingBackend) Preview(context.Context, catalog.Snapshot, extract.Name, int) (*extract.RowSet, error) {
	return nil, errors.New("the snapshot is truncated at byte 1234")
}

func (failingBackend) Script(context.Context, catalog.Snapshot, *extract.Selection, extract.Mode, io.Writer) error {
	return nil
}

func TestPreviewErrorAndRetry(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	real := s.Backend
	s.Backend = failingBackend{real.(*StoreBackend)}
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	m.Update(previewLoad(t, m))
	if v := m.View(); !strings.Contains(v, "truncated at byte 1234") || !strings.Contains(v, "r retries") {
		t.Fatalf("the error is not shown with what to do:\n%s", v)
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Error("Enter moved on from a failed preview")
	}
	s.Backend = real
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if cmd == nil {
		t.Fatal("r did not retry")
	}
	m.Update(cmd())
	if v := m.View(); !strings.Contains(v, "public.orders: 55 rows") {
		t.Errorf("after the retry:\n%s", v)
	}
}

func TestPreviewDropsStaleResults(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	old := previewLoad(t, m) // job 1
	m.load()                 // job 2 starts; job 1's result arrives late
	m.Update(old)
	if m.loaded != "" {
		t.Error("a stale result was shown")
	}
}

func TestPreviewNext(t *testing.T) {
	defer func(f func(*Session) Screen) { nextAfterPreview = f }(nextAfterPreview)
	var next Screen = NewPreviewScreen(tablesSession(t))
	nextAfterPreview = func(*Session) Screen { return next }
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Error("Enter moved on before the preview was read")
	}
	m.Update(previewLoad(t, m))
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("Enter did not move on")
	}
	if msg, ok := cmd().(pushMsg); !ok || msg.screen != next {
		t.Errorf("Enter sent %v", msg)
	}
}

// previewTargetSession is tablesSession with a copy of the sample store
// (the plan's dry run writes an audit record) and a target database that
// holds public.orders with fewer rows and an extra nullable column.
func previewTargetSession(t *testing.T) *Session {
	t.Helper()
	s := tablesSession(t)
	s.Tables = previewOrders
	b := s.Backend.(*StoreBackend)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sample/store")); err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Store = st
	pg := testenv.StartPostgres(t)
	db, _ := pg.CreateProject(t) // its tables belong to the project's role
	file := filepath.Join(t.TempDir(), "orders.sql")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Script(context.Background(), s.Snapshot.Snapshot, s.TOC.Select(previewOrders), extract.SchemaAndData, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pg.LoadScriptAs(t, db, db, file)
	pg.Exec(t, db, "DELETE FROM public.orders WHERE id > 40; ALTER TABLE public.orders ADD COLUMN extra text")
	b.TargetTemplate = pg.URL(db)
	return s
}

func TestPreviewPlanAgainstTarget(t *testing.T) {
	s := previewTargetSession(t)
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(200, 1000)
	msg := previewLoad(t, m)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	m.Update(msg)
	v := m.View()
	target, _ := s.Backend.Targets("demo")
	t.Log(v[:strings.Index(v, "rows, the first")])
	for _, want := range []string{
		"Against " + target + ":",
		"public.orders: exists, rows 40 → 55",
		"drift extra: snapshot (none) vs target text",
		"compatible",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "no target configured") {
		t.Errorf("the no-target note is shown with a target:\n%s", v)
	}
	if strings.Index(v, "Against ") > strings.Index(v, "rows, the first") {
		t.Errorf("the plan is not above the rows:\n%s", v)
	}
	if strings.Contains(v, "password") {
		t.Errorf("a password is shown:\n%s", v)
	}
}

func TestPreviewNoTarget(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(100, 1000)
	m.Update(previewLoad(t, m))
	v := m.View()
	if !strings.Contains(v, "no target configured: start with --target to compare with the project") {
		t.Errorf("the no-target note is missing:\n%s", v)
	}
	if strings.Contains(v, "Against ") {
		t.Errorf("a plan is shown without a target:\n%s", v)
	}
}

// planFailingBackend is the sample store with a target it cannot reach.
type planFailingBackend struct{ *StoreBackend }

func (planFailingBackend) Targets(string) (string, string) { return "postgres://db.example/demo", "" }

func (planFailingBackend) Plan(context.Context, RestoreRequest) (*apply.Plan, error) {
	return nil, errors.New("connection refused")
}

func TestPreviewPlanError(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	s.Backend = planFailingBackend{s.Backend.(*StoreBackend)}
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(100, 1000)
	m.Update(previewLoad(t, m))
	v := m.View()
	for _, want := range []string{"Against postgres://db.example/demo:", "cannot compare with the target: connection refused", "public.orders: 55 rows"} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview lacks %q:\n%s", want, v)
		}
	}
}

func TestWritePlanRefused(t *testing.T) {
	plan := &apply.Plan{
		Tables: []apply.TablePlan{
			{Name: "public.orders", Exists: true, RowsNow: 40, RowsAfter: 55, Deleted: 40, Inserted: 55,
				Drift: []apply.Drift{{Column: "status", Snapshot: "text", Target: "integer", Reason: "type differs"}}},
			{Name: "public.notes", RowsAfter: 3, Inserted: 3},
		},
		Warnings: []string{"a warning"},
	}
	var b strings.Builder
	writePlan(&b, "postgres://db/demo", plan, &apply.RefusedError{Reasons: []string{"public.items references public.orders"}})
	got := b.String()
	for _, want := range []string{
		"Against postgres://db/demo:",
		"public.orders: exists, rows 40 → 55 (40 deleted, 55 inserted)",
		"drift status: snapshot text vs target integer, refused (type differs)",
		"public.notes: will be created, rows 0 → 3",
		"refused: public.items references public.orders",
		"warning: a warning",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
}
