package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/powabase/restorectl/internal/apply"
)

// planRecorder is the sample store with a target whose dry runs return a
// made-up plan of the mode asked for (merge: 5 missing, 47 identical, 3
// different; the 3 updated with UpdateChanged) and whose restores commit
// without touching anything. It records the requests it got. With block,
// a dry run waits until its context ends and reports why on ended.
type planRecorder struct {
	*StoreBackend
	block   bool
	started chan struct{}
	ended   chan error

	mu       sync.Mutex
	plans    []RestoreRequest
	restores []RestoreRequest
}

func newPlanRecorder(s *Session) *planRecorder {
	r := &planRecorder{StoreBackend: s.Backend.(*StoreBackend), started: make(chan struct{}, 8), ended: make(chan error, 8)}
	s.Backend = r
	return r
}

func (r *planRecorder) Plan(ctx context.Context, req RestoreRequest) (*apply.Plan, error) {
	r.mu.Lock()
	r.plans = append(r.plans, req)
	r.mu.Unlock()
	if r.block {
		r.started <- struct{}{}
		select {
		case <-ctx.Done():
			r.ended <- ctx.Err()
		case <-time.After(goldenTimeout):
			r.ended <- errors.New("the dry run was never cancelled")
		}
		return nil, ctx.Err()
	}
	target, _ := r.Targets(req.Project)
	t := apply.TablePlan{Name: "public.orders", Exists: true, RowsNow: 50, SnapshotRows: 55}
	switch req.Mode {
	case apply.Merge:
		t.Missing, t.Identical, t.Different = 5, 47, 3
		t.Inserted, t.RowsAfter = 5, 55
		if req.UpdateChanged {
			t.Updated = 3
		}
	default:
		t.Deleted, t.Inserted, t.RowsAfter = 50, 55, 55
	}
	return &apply.Plan{Mode: req.Mode, Snapshot: req.Snapshot.Key, Target: target, Role: "demo",
		Tables: []apply.TablePlan{t}}, nil
}

func (r *planRecorder) Restore(_ context.Context, req RestoreRequest, _ apply.Progress) (*apply.Result, error) {
	r.mu.Lock()
	r.restores = append(r.restores, req)
	r.mu.Unlock()
	return &apply.Result{Outcome: apply.Committed}, nil
}

func (r *planRecorder) planned() []RestoreRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RestoreRequest(nil), r.plans...)
}

// confirmPlanned runs the screen's dry run cmd and gives its result to m.
func confirmPlanned(t *testing.T, m *confirmScreen, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Fatal("no dry run started")
	}
	msg, ok := cmd().(confirmPlanMsg)
	if !ok {
		t.Fatal("the dry run returned no plan message")
	}
	m.Update(msg)
}

var ctrlT = tea.KeyMsg{Type: tea.KeyCtrlT}

// TestConfirmShowsPlanOfMode: the confirm screen shows the dry run of the
// mode chosen, merge with its missing/identical/different counts.
func TestConfirmShowsPlanOfMode(t *testing.T) {
	for _, tc := range []struct {
		mode apply.Mode
		want []string
		not  []string
	}{
		{apply.Merge, []string{"Plan: merge of demo/20261121T030000Z.sql.gz into u@db.example:5432/demo",
			"public.orders: 5 missing, 47 identical, 3 different by primary key",
			"Changed    rows the project has with other values: kept (ctrl+t updates them)"}, []string{"Plan: overwrite"}},
		{apply.Overwrite, []string{"Plan: overwrite of demo/20261121T030000Z.sql.gz"}, []string{"missing", "Plan: merge", "Changed"}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := confirmSession(t, tc.mode)
			s.UpdateChanged = true // left from an earlier merge: not an overwrite's
			if tc.mode == apply.Merge {
				s.UpdateChanged = false
			}
			rec := newPlanRecorder(s)
			m := NewConfirmScreen(s).(*confirmScreen)
			m.SetSize(120, 60)
			cmd := m.Init()
			if v := m.View(); !strings.Contains(v, "planning a dry run") {
				t.Errorf("no sign of the dry run running:\n%s", v)
			}
			confirmPlanned(t, m, cmd)
			v := m.View()
			for _, w := range tc.want {
				if !strings.Contains(v, w) {
					t.Errorf("no %q in:\n%s", w, v)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(v, w) {
					t.Errorf("%q in:\n%s", w, v)
				}
			}
			plans := rec.planned()
			if len(plans) != 1 || plans[0].Mode != tc.mode || plans[0].UpdateChanged || plans[0].Project != "demo" || len(plans[0].Tables) != len(modeTables) {
				t.Errorf("dry runs asked: %+v", plans)
			}
		})
	}
}

// TestConfirmMergeUpdateChanged: ctrl+t toggles --update-changed, which
// re-plans (an earlier plan's late result is dropped, confirming waits for
// the new one); the restore then runs with it and the summary says so.
func TestConfirmMergeUpdateChanged(t *testing.T) {
	s := confirmSession(t, apply.Merge)
	rec := newPlanRecorder(s)
	m := NewConfirmScreen(s).(*confirmScreen)
	m.SetSize(120, 60)
	first := m.Init()
	_, replan := m.Update(ctrlT)
	if !s.UpdateChanged {
		t.Fatal("ctrl+t did not turn update-changed on")
	}
	confirmPlanned(t, m, first) // the first plan arrives late: dropped
	if m.plan != "" || !m.planning {
		t.Fatalf("a stale plan was taken:\n%s", m.View())
	}
	// Confirming waits for the plan of what is confirmed.
	if _, cmd := tablesSend(m, append(tablesType("demo"), tablesKey("enter"))...); cmd != nil {
		t.Error("confirmed while the plan was being made")
	}
	if v := m.View(); !strings.Contains(v, "Wait for the dry run's plan") {
		t.Errorf("does not say why it waits:\n%s", v)
	}
	confirmPlanned(t, m, replan)
	v := m.View()
	for _, w := range []string{"Changed    rows the project has with other values: updated (--update-changed)",
		"overwrites the rows that differ", "public.orders: 5 missing, 47 identical, 3 different by primary key"} {
		if !strings.Contains(v, w) {
			t.Errorf("no %q in:\n%s", w, v)
		}
	}
	plans := rec.planned()
	if len(plans) != 2 || plans[0].UpdateChanged || !plans[1].UpdateChanged || plans[1].Mode != apply.Merge {
		t.Fatalf("dry runs asked: %+v", plans)
	}

	// Enter runs the restore (the real progress screen) with it.
	_, cmd := m.Update(tablesKey("enter"))
	push, ok := cmd().(pushMsg)
	if !ok {
		t.Fatalf("enter did not move on:\n%s", m.View())
	}
	p := push.screen.(*progressScreen)
	if !strings.Contains(p.View(), "merge --update-changed") {
		t.Errorf("the progress screen does not say --update-changed:\n%s", p.View())
	}
	batch, ok := p.Init()().(tea.BatchMsg)
	if !ok || len(batch) < 2 {
		t.Fatal("the progress screen did not start the restore")
	}
	batch[0]()
	if done, ok := batch[1]().(progressDoneMsg); !ok || done.err != nil {
		t.Fatalf("the restore ended with %+v", done)
	}
	s.Restores.Wait()
	if len(rec.restores) != 1 || rec.restores[0].Mode != apply.Merge || !rec.restores[0].UpdateChanged {
		t.Errorf("restores asked: %+v", rec.restores)
	}
	if sum := Summary(s); !strings.Contains(sum, "restore committed: merge --update-changed") {
		t.Errorf("the summary does not say --update-changed:\n%s", sum)
	}

	// Toggled off again: re-planned without it.
	_, cmd = m.Update(ctrlT)
	confirmPlanned(t, m, cmd)
	if plans := rec.planned(); s.UpdateChanged || len(plans) != 3 || plans[2].UpdateChanged {
		t.Errorf("toggled off: UpdateChanged %v, dry runs %+v", s.UpdateChanged, plans)
	}
}

// TestConfirmUpdateChangedMergeOnly: ctrl+t is merge's, shown in its help;
// an overwrite and a new project neither toggle nor offer it, and a new
// project makes no dry run.
func TestConfirmUpdateChangedMergeOnly(t *testing.T) {
	for _, mode := range []apply.Mode{apply.Merge, apply.Overwrite, apply.NewProject} {
		t.Run(string(mode), func(t *testing.T) {
			s := confirmSession(t, mode)
			rec := newPlanRecorder(s)
			a := New(s, NewConfirmScreen(s))
			a.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
			merge := mode == apply.Merge
			if got := strings.Contains(a.View(), "ctrl+t update changed"); got != merge {
				t.Errorf("help offers ctrl+t: %v, want %v:\n%s", got, merge, a.View())
			}
			a.Update(ctrlT)
			if s.UpdateChanged != merge {
				t.Errorf("ctrl+t: UpdateChanged %v", s.UpdateChanged)
			}
			if mode == apply.NewProject {
				if cmd := a.top().Init(); cmd != nil || len(rec.planned()) != 0 {
					t.Error("a new project made a dry run")
				}
			}
		})
	}
}

// TestConfirmLeaveCancelsPlan: the confirm screen's dry run against the
// project's database stops when the engineer leaves (Esc) or re-plans
// (ctrl+t), and the late result is dropped.
func TestConfirmLeaveCancelsPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(a *App) tea.Cmd
		left bool
	}{
		{"esc", func(a *App) tea.Cmd { tablesDrive(a, tablesKey("esc")); return nil }, true},
		{"replan", func(a *App) tea.Cmd { _, cmd := a.Update(ctrlT); return cmd }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := confirmSession(t, apply.Merge)
			rec := newPlanRecorder(s)
			rec.block = true
			a := New(s, &resultStub{title: "5 Mode"})
			confirm := NewConfirmScreen(s).(*confirmScreen)
			_, load := a.Update(pushMsg{confirm})
			loaded := make(chan tea.Msg, 1)
			go func() { loaded <- load() }()
			select {
			case <-rec.started:
			case <-time.After(goldenTimeout):
				t.Fatal("the confirm screen did not start its dry run")
			}
			replan := tc.act(a)
			if err := <-rec.ended; !errors.Is(err, context.Canceled) {
				t.Fatalf("the dry run ended with %v, want cancelled", err)
			}
			msg := <-loaded
			if tc.left != (len(a.stack) == 1) {
				t.Fatalf("%d screens after %s", len(a.stack), tc.name)
			}
			confirm.Update(msg)
			if confirm.plan != "" {
				t.Errorf("a cancelled dry run's plan was taken: %q", confirm.plan)
			}
			if replan != nil {
				go replan()
				<-rec.started
				confirm.Close()
				if err := <-rec.ended; !errors.Is(err, context.Canceled) {
					t.Errorf("the re-plan ended with %v, want cancelled on Close", err)
				}
			}
			waited := make(chan struct{})
			go func() { s.Restores.Wait(); close(waited) }()
			select {
			case <-waited:
			case <-time.After(goldenTimeout):
				t.Fatal("Restores still counts a cancelled dry run")
			}
		})
	}
}

// TestConfirmPlanScrolls: at 80×24 the merge counts are below the fold;
// pgdown brings them into view without leaving the input.
func TestConfirmPlanScrolls(t *testing.T) {
	s := confirmSession(t, apply.Merge)
	newPlanRecorder(s)
	a := New(s, NewConfirmScreen(s))
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m := a.top().(*confirmScreen)
	confirmPlanned(t, m, m.Init())
	counts := "public.orders: 5 missing, 47 identical, 3 different by primary key"
	if strings.Contains(a.View(), counts) {
		t.Skip("the counts fit without scrolling")
	}
	a.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	if v := a.View(); !strings.Contains(v, counts) || !strings.Contains(v, "Type the project ref") {
		t.Errorf("pgdown did not show the counts under the input:\n%s", v)
	}
}
