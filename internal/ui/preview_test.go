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
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
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

func (failingBackend) Script(context.Context, catalog.Snapshot, []extract.Name, extract.Mode, io.Writer) error {
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
// holds public.orders with fewer rows, an extra nullable column and its
// sequence behind the snapshot's.
func previewTargetSession(t *testing.T) *Session {
	t.Helper()
	s := tablesSession(t)
	s.Tables = previewOrders
	b := s.Backend.(*StoreBackend)
	dir, err := sample.Unpack(t.TempDir())
	if err != nil {
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
	if err := b.Script(context.Background(), s.Snapshot.Snapshot, previewOrders, extract.SchemaAndData, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pg.LoadScriptAs(t, db, db, file)
	pg.Exec(t, db, "DELETE FROM public.orders WHERE id > 40; ALTER TABLE public.orders ADD COLUMN extra text; SELECT pg_catalog.setval('public.orders_id_seq', 40)")
	b.TargetTemplate = pg.URL(db)
	return s
}

// TestPreviewLeavesTheProjectAlone: with a target configured, the
// preview reads the snapshot only. It used to run an overwrite's dry run,
// which planned the wrong mode before one was chosen, connected to a busy
// production database for nothing, and left an audit record per preview.
func TestPreviewLeavesTheProjectAlone(t *testing.T) {
	s := previewTargetSession(t)
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(200, 1000)
	msg := previewLoad(t, m)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	m.Update(msg)
	v := m.View()
	for _, want := range []string{"public.orders: 55 rows, the first 10", "What a restore creates (schema only)"} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview lacks %q:\n%s", want, v)
		}
	}
	for _, bad := range []string{"Plan: ", "Against ", "TRUNCATE"} {
		if strings.Contains(v, bad) {
			t.Errorf("the preview plans a restore (%q):\n%s", bad, v)
		}
	}
	recs, err := apply.ListRecords(context.Background(), s.Backend.(*StoreBackend).Store, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("the preview left %d audit records: it ran a dry run", len(recs))
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
	writePlanText(&b, plan, &apply.RefusedError{Reasons: []string{"public.items references public.orders"}})
	got := b.String()
	// The console draws the plan as the command line prints it, then the
	// refusal's reasons.
	var cli strings.Builder
	if err := ticket.WritePlan(&cli, plan); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, cli.String()) {
		t.Errorf("the console's plan is not the command line's:\n%s\nwant:\n%s", got, cli.String())
	}
	for _, want := range []string{
		"public.orders  exists     40        0         55     40      55      0\n",
		"drift public.orders.status: snapshot text, target integer (refused: type differs)",
		"public.notes   created    0         0         3      0       3       0\n",
		"refused: public.items references public.orders",
		"warning: a warning",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, "warning: a warning"), strings.Index(got, "\nrefused: "); j < i {
		t.Errorf("the refusal is not after the plan:\n%s", got)
	}
}

// TestWritePlanSequences: the console draws each sequence as the command
// line prints it (ticket.WritePlan, whose tests hold the wording), after
// the tables and before the warnings, names escaped.
func TestWritePlanSequences(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  apply.SequencePlan
		want string
	}{
		{"set", apply.SequencePlan{Name: "public.x_id_seq", Exists: true, Now: 11, Snapshot: 31, After: 31, Action: apply.SeqSet},
			"  public.x_id_seq  11 → 31  set: the snapshot's 31 is ahead\n"},
		{"created", apply.SequencePlan{Name: "public.new_id_seq", Snapshot: 4, After: 4, Action: apply.SeqSet},
			"  public.new_id_seq  new → 4  created, set as the snapshot has it\n"},
		{"created, value unknown", apply.SequencePlan{Name: "public.new_id_seq", Action: apply.SeqSet},
			"  public.new_id_seq  new → ?  created, set as the snapshot has it (its value is read during the restore)\n"},
		{"kept", apply.SequencePlan{Name: "public.x_id_seq", Exists: true, Now: 160, Snapshot: 60, After: 160, Action: apply.SeqKept},
			"  public.x_id_seq  160 → 160  kept: the snapshot's 60 is not ahead; sequences move back only when asked (--rewind-sequences)\n"},
		{"not owned", apply.SequencePlan{Name: "public.shared_seq", Exists: true, Now: 9, Snapshot: 20, After: 9, Action: apply.SeqNotOwned},
			"  public.shared_seq  9 → 9  not owned by a restored table: left as it is (the snapshot's: 20)\n"},
		{"set if ahead", apply.SequencePlan{Name: "public.x_id_seq", Exists: true, Now: 9, After: 9, Action: apply.SeqIfAhead},
			"  public.x_id_seq  9 → 9  set if the snapshot's is ahead (its value is read during the restore)\n"},
		{"rewound", apply.SequencePlan{Name: "public.x_id_seq", Exists: true, Now: 160, Snapshot: 60, After: 60, Action: apply.SeqRewound},
			"  public.x_id_seq  160 → 60  rewound to the snapshot's 60, as asked (--rewind-sequences)\n"},
		{"hostile name", apply.SequencePlan{Name: hostileName.String(), Exists: true, Now: 1, Snapshot: 2, After: 2, Action: apply.SeqSet},
			"  " + hostileEscaped + "  1 → 2  set: the snapshot's 2 is ahead\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := &apply.Plan{Tables: []apply.TablePlan{{Name: "public.x", Exists: true}},
				Sequences: []apply.SequencePlan{tc.seq}, Warnings: []string{"a warning"}}
			var b, cli strings.Builder
			writePlanText(&b, plan, nil)
			got := b.String()
			if !strings.Contains(got, tc.want) {
				t.Errorf("lacks %q:\n%s", tc.want, got)
			}
			if err := ticket.WritePlan(&cli, plan); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, cli.String()) {
				t.Errorf("the console's plan is not the command line's:\n%s\nwant:\n%s", got, cli.String())
			}
			// Sequences come after the tables, before the warnings.
			if i, j, k := strings.Index(got, "public.x  exists"), strings.Index(got, "Sequences ("), strings.Index(got, "warning: a warning"); i < 0 || j < i || k < j {
				t.Errorf("out of order:\n%s", got)
			}
		})
	}
}

// previewBlockingBackend is the sample store whose preview blocks until
// its context ends (a snapshot read from a slow store), and reports why it
// ended.
type previewBlockingBackend struct {
	*StoreBackend
	started chan struct{}
	ended   chan error
}

func (b previewBlockingBackend) Preview(ctx context.Context, _ catalog.Snapshot, _ extract.Name, _ int) (*extract.RowSet, error) {
	close(b.started)
	select {
	case <-ctx.Done():
		b.ended <- ctx.Err()
	case <-time.After(goldenTimeout):
		b.ended <- errors.New("the read was never cancelled")
	}
	return nil, ctx.Err()
}

// TestPreviewLeaveCancelsLoad: the preview's read of the snapshot stops
// when the engineer leaves the screen (Esc, Back) or the console quits,
// and its late result is dropped, also by a preview of the same tables
// shown again.
func TestPreviewLeaveCancelsLoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(a *App, quit context.CancelFunc)
		left  bool // the preview is off the stack
	}{
		{"esc", func(a *App, _ context.CancelFunc) { a.Update(tea.KeyMsg{Type: tea.KeyEsc}) }, true},
		{"back", func(a *App, _ context.CancelFunc) { a.Update(Back()()) }, true},
		{"quit", func(a *App, quit context.CancelFunc) {
			// q quits the program; the command line then cancels the
			// session's context.
			if _, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd == nil {
				t.Fatal("q does not quit")
			}
			quit()
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tablesSession(t)
			s.Tables = previewOrders
			b := previewBlockingBackend{StoreBackend: s.Backend.(*StoreBackend), started: make(chan struct{}), ended: make(chan error, 1)}
			s.Backend = b
			ctx, quit := context.WithCancel(t.Context())
			defer quit()
			s.Context = ctx
			a := New(s, &resultStub{title: "3 Tables"})
			preview := NewPreviewScreen(s).(*previewScreen)
			_, load := a.Update(pushMsg{preview})
			loaded := make(chan tea.Msg, 1)
			go func() { loaded <- load() }()
			select {
			case <-b.started:
			case <-time.After(goldenTimeout):
				t.Fatal("the preview did not start reading")
			}

			tc.leave(a, quit)
			if err := <-b.ended; !errors.Is(err, context.Canceled) {
				t.Fatalf("the read ended with %v, want cancelled", err)
			}
			var msg tea.Msg
			select {
			case msg = <-loaded:
			case <-time.After(goldenTimeout):
				t.Fatal("the load did not end once cancelled")
			}
			if tc.left != (len(a.stack) == 1) {
				t.Fatalf("%d screens after leaving", len(a.stack))
			}

			// The late result is dropped by the screen it was for, once
			// left (after quitting nothing draws), and by a new preview
			// (its first job has the same number).
			again := NewPreviewScreen(s).(*previewScreen)
			again.load()
			again.Update(msg)
			check := []*previewScreen{again}
			if tc.left {
				preview.Update(msg)
				check = append(check, preview)
			}
			for _, m := range check {
				if m.loaded != "" || m.err != nil {
					t.Errorf("a cancelled load's result was taken: loaded %q, err %v", m.loaded, m.err)
				}
			}
			again.Close()
		})
	}
}

// TestPreviewRowsUseTheWidth: columns are cut only when the terminal has
// no room: a UUID keeps its 36 characters at 120 columns, and at 40 the
// widest column gives way first.
func TestPreviewRowsUseTheWidth(t *testing.T) {
	const id = "6f1c2a8e-4b7d-4e0a-9c3f-2d5b8a7e1f90"
	rs := &extract.RowSet{Table: extract.Name{Schema: "public", Name: "users"}, Columns: []string{"id", "email", "created_at", "note"},
		Rows: [][]extract.Field{{{Value: id}, {Value: "someone@example.com"}, {Value: "2026-11-19 08:17:00+00"}, {Value: "x"}}}}
	for _, tc := range []struct {
		width  int
		whole  bool
		within int
	}{{120, true, 120}, {60, false, 60}} {
		var b strings.Builder
		writeRows(&b, rs, nil, tc.width)
		if got := strings.Contains(b.String(), id); got != tc.whole {
			t.Errorf("width %d: the whole UUID shown %v, want %v:\n%s", tc.width, got, tc.whole, b.String())
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if w := ansi.StringWidth(l); w > tc.within {
				t.Errorf("width %d: a line of %d columns: %q", tc.width, w, l)
			}
		}
	}
}
