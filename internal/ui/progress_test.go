package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/jackc/pgx/v5"
	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

var progressOrders = extract.Name{Schema: "public", Name: "orders"}

// progressRestoreSession is tablesSession on a writable copy of the sample
// store, restoring public.orders into a new project on pg.
func progressRestoreSession(t *testing.T, pg *testenv.Postgres) *Session {
	t.Helper()
	s := tablesSession(t)
	dir, err := sample.Unpack(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Backend = NewStoreBackend(&ticket.Service{Store: st, Now: s.Now, AdminURL: pg.URL("postgres")})
	s.Mode = apply.NewProject
	s.Tables = []extract.Name{progressOrders}
	s.Database = fmt.Sprintf("sup42_%d", time.Now().UnixNano())
	return s
}

// progressDrive runs the screen's commands (concurrently, as tea does) and
// gives their messages to the screen until it pushes a screen, which it
// returns.
func progressDrive(t *testing.T, scr Screen, cmd tea.Cmd, before func(Screen)) Screen {
	return progressDriveEach(t, scr, cmd, before, nil)
}

// progressDriveEach is progressDrive calling each, when not nil, before
// every message of the screen's own.
func progressDriveEach(t *testing.T, scr Screen, cmd tea.Cmd, before func(Screen), each func(Screen, tea.Msg)) Screen {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	run := func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() { msgs <- c() }()
	}
	run(cmd)
	if before != nil {
		before(scr)
	}
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case <-deadline:
			t.Fatal("the progress screen pushed no screen in 2 minutes")
		case msg := <-msgs:
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			case pushMsg:
				return msg.screen
			default:
				if each != nil {
					each(scr, msg)
				}
				var c tea.Cmd
				scr, c = scr.Update(msg)
				run(c)
			}
		}
	}
}

// progressDatabases counts the databases named name on pg.
func progressDatabases(t *testing.T, pg *testenv.Postgres, name string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProgressRestoreNewProject(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := progressRestoreSession(t, pg)
	scr := NewProgressScreen(s)
	scr.SetSize(80, 20)
	next := progressDrive(t, scr, scr.Init(), nil)
	if _, ok := next.(*resultScreen); !ok {
		t.Fatalf("pushed %T, want the result screen", next)
	}
	if s.Result == nil || !s.Result.Verified() {
		t.Fatalf("result %+v, want verified", s.Result)
	}
	// Dropped before the test's context ends (Exec runs in it).
	defer pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL(s.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM public.orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 55 {
		t.Errorf("public.orders has %d rows, want 55", n)
	}
	next.SetSize(80, 20)
	v := next.View()
	for _, want := range []string{"Restored and verified.", "public.orders", "connect with:", "psql postgresql://", s.Result.AuditID} {
		if !strings.Contains(v, want) {
			t.Errorf("result view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "undo") {
		t.Errorf("a new project's result offers an undo:\n%s", v)
	}
	// What the command line prints as the console ends.
	sum := Summary(s)
	for _, want := range []string{"restorectl: restore committed: new project of public.orders", "database         " + s.Database,
		"audit record     " + s.Result.AuditID, "Connect with:\n    psql "} {
		if !strings.Contains(sum, want) {
			t.Errorf("exit summary lacks %q:\n%s", want, sum)
		}
	}
}

// TestProgressQuitSummary quits the console while a restore runs: the
// progress screen never hears how it ended, but the exit summary does.
func TestProgressQuitSummary(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := progressRestoreSession(t, pg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Context = ctx
	scr := NewProgressScreen(s)
	batch, ok := scr.Init()().(tea.BatchMsg)
	if !ok || len(batch) == 0 {
		t.Fatalf("Init returned %T, want a batch starting the restore", batch)
	}
	batch[0]() // starts the restore; the screen is never updated again
	// As the command line does when the console has quit.
	cancel()
	s.Restores.Wait()
	if s.Result != nil {
		t.Fatalf("the session has a result the screen never saw: %+v", s.Result)
	}
	sum := Summary(s)
	for _, want := range []string{"restorectl: restore cancelled", "nothing was changed: new project of public.orders", "context canceled"} {
		if !strings.Contains(sum, want) {
			t.Errorf("exit summary lacks %q:\n%s", want, sum)
		}
	}
	if strings.Contains(sum, "Connect with") {
		t.Errorf("the exit summary of a cancelled restore offers a database:\n%s", sum)
	}
	if n := progressDatabases(t, pg, s.Database); n != 0 {
		t.Errorf("%d databases named %s after cancelling, want none", n, s.Database)
		pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
	}
}

func TestProgressCancel(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := progressRestoreSession(t, pg)
	scr := NewProgressScreen(s)
	scr.SetSize(80, 20)
	var askView, cancelView string
	next := progressDrive(t, scr, scr.Init(), func(scr Screen) {
		if !scr.Typing() {
			t.Error("Typing is false while the restore runs: Esc would go back, not cancel")
		}
		scr.Update(tea.KeyMsg{Type: tea.KeyEsc})
		askView = scr.View()
		scr.Update(tablesKey("y"))
		cancelView = scr.View()
	})
	if !strings.Contains(askView, "Cancel the restore? y/n") {
		t.Errorf("Esc does not ask before cancelling:\n%s", askView)
	}
	if !strings.Contains(cancelView, "cancelling… rolling back (the result says what happened to the target)") {
		t.Errorf("after Esc the screen does not say it is cancelling:\n%s", cancelView)
	}
	next.SetSize(80, 20)
	v := next.View()
	for _, want := range []string{"The restore was cancelled", "Nothing was changed"} {
		if !strings.Contains(v, want) {
			t.Errorf("result view lacks %q:\n%s", want, v)
		}
	}
	for _, not := range []string{"failed", "closed network connection", "reachable"} {
		if strings.Contains(v, not) {
			t.Errorf("the cancelled restore's result says %q:\n%s", not, v)
		}
	}
	if !strings.Contains(v, "start it again") {
		t.Errorf("the cancelled restore's result does not say what next:\n%s", v)
	}
	if n := progressDatabases(t, pg, s.Database); n != 0 {
		t.Errorf("%d databases named %s after cancelling, want none", n, s.Database)
		pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
	}
}

// TestProgressCancelRunning cancels a restore that is running: at its
// first event, once the audit record is written and the database is
// being created.
func TestProgressCancelRunning(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := progressRestoreSession(t, pg)
	scr := NewProgressScreen(s)
	scr.SetSize(80, 20)
	sent := false
	next := progressDriveEach(t, scr, scr.Init(), nil, func(scr Screen, msg tea.Msg) {
		if _, ok := msg.(progressEventMsg); ok && !sent {
			sent = true
			scr.Update(tea.KeyMsg{Type: tea.KeyEsc})
			scr.Update(tablesKey("y"))
		}
	})
	if !sent {
		t.Fatal("the restore sent no event")
	}
	r := next.(*resultScreen)
	if r.err == nil {
		// The restore ended before it saw the cancel: nothing to check
		// but that it is whole.
		defer pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
		if !s.Result.Verified() {
			t.Errorf("a restore that was not cancelled is not verified: %+v", s.Result)
		}
		t.Skip("the restore finished before the cancel reached it")
	}
	if s.Result == nil || s.Result.AuditID == "" {
		t.Errorf("a cancelled restore's result has no audit record: %+v", s.Result)
	}
	next.SetSize(80, 20)
	if v := next.View(); !strings.Contains(v, "Nothing was changed") || !strings.Contains(v, "audit record") {
		t.Errorf("result view:\n%s", v)
	}
	if n := progressDatabases(t, pg, s.Database); n != 0 {
		t.Errorf("%d databases named %s after cancelling, want none", n, s.Database)
		pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
	}
	rec, err := apply.FindRecord(context.Background(), s.Backend.(*StoreBackend).Store, "demo", s.Result.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != apply.OutcomeCancelled {
		t.Errorf("audit record outcome %q, want %q", rec.Outcome, apply.OutcomeCancelled)
	}
}

// progressModel is a progress screen with a job running (no goroutine),
// for model tests.
func progressModel(t *testing.T) (*progressScreen, *bool) {
	s := tablesSession(t)
	s.Mode = apply.Overwrite
	s.Tables = []extract.Name{progressOrders}
	p := NewProgressScreen(s).(*progressScreen)
	cancelled := false
	p.job, p.running, p.cancel = 1, true, func() { cancelled = true }
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	p.start = start
	p.now = func() time.Time { return start.Add(10 * time.Second) }
	p.phase = apply.PhasePlan
	return p, &cancelled
}

func TestProgressModel(t *testing.T) {
	events := []apply.Event{
		{Phase: apply.PhasePlan, Message: "inspecting the target"},
		{Phase: apply.PhaseCopy, Table: progressOrders, TableBytes: 4000, DoneBytes: 0, TotalBytes: 8000, Message: "loading public.orders"},
		{Phase: apply.PhaseCopy, Table: progressOrders, Rows: 55, Bytes: 4000, TableBytes: 4000, DoneBytes: 4000, TotalBytes: 8000, Message: "loaded public.orders: 55 rows"},
	}
	for _, size := range []struct{ w, h int }{{80, 20}, {120, 36}, {40, 10}, {30, 4}} {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			p, _ := progressModel(t)
			p.SetSize(size.w, size.h)
			for _, e := range events {
				scr, cmd := p.Update(progressEventMsg{job: 1, ev: e})
				if scr != p || cmd == nil {
					t.Fatalf("an event returned %v, %v: want the screen and the next wait", scr, cmd)
				}
			}
			v := p.View()
			for _, want := range []string{"phase    copy", "loaded public.orders: 55 rows", "█", "░", " 50%", "public.orders  55 rows", "elapsed  10s", "about 10s left"} {
				if size.w >= 80 && !strings.Contains(v, want) {
					t.Errorf("view lacks %q:\n%s", want, v)
				}
			}
			lines := strings.Split(v, "\n")
			if len(lines) > size.h {
				t.Errorf("%d lines, more than %d:\n%s", len(lines), size.h, v)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size.w {
					t.Errorf("line %d is %d wide, more than %d: %q", i+1, w, size.w, l)
				}
			}
		})
	}
}

func TestProgressStaleDropped(t *testing.T) {
	p, _ := progressModel(t)
	for _, msg := range []tea.Msg{
		progressEventMsg{job: 0, ev: apply.Event{Phase: apply.PhaseCopy, Message: "stale"}},
		progressDoneMsg{job: 0, err: context.Canceled},
		progressTickMsg{job: 0},
	} {
		if _, cmd := p.Update(msg); cmd != nil {
			t.Errorf("stale %T returned a command", msg)
		}
	}
	if p.phase != apply.PhasePlan || !p.running || p.s.Result != nil {
		t.Errorf("a stale message changed the screen: phase %q running %v", p.phase, p.running)
	}
}

func TestProgressKeys(t *testing.T) {
	t.Run("esc asks, y cancels", func(t *testing.T) {
		p, cancelled := progressModel(t)
		if !p.Typing() {
			t.Fatal("Typing false while running")
		}
		p.Update(tea.KeyMsg{Type: tea.KeyEsc})
		if *cancelled || !strings.Contains(p.View(), "Cancel the restore? y/n") {
			t.Fatalf("Esc: cancelled %v, view:\n%s", *cancelled, p.View())
		}
		if h := help.New().View(p.KeyMap()); !strings.Contains(h, "y cancel it") || !strings.Contains(h, "n/esc go on") {
			t.Errorf("help while asking: %q", h)
		}
		p.Update(tablesKey("y"))
		if !*cancelled || !strings.Contains(p.View(), "cancelling… rolling back (the result says what happened to the target)") {
			t.Errorf("y: cancelled %v, view:\n%s", *cancelled, p.View())
		}
		if strings.Contains(p.View(), "y/n") {
			t.Errorf("still asking after y:\n%s", p.View())
		}
		if !p.running {
			t.Error("y stopped waiting for the restore's return")
		}
	})
	for _, answer := range []string{"n", "esc"} {
		t.Run("esc asks, "+answer+" goes on", func(t *testing.T) {
			p, cancelled := progressModel(t)
			p.Update(tea.KeyMsg{Type: tea.KeyEsc})
			p.Update(tablesKey(answer))
			if *cancelled || p.cancelling || strings.Contains(p.View(), "y/n") || strings.Contains(p.View(), "cancelling") {
				t.Errorf("%s: cancelled %v, view:\n%s", answer, *cancelled, p.View())
			}
			// Other keys do not answer; the question comes back with Esc.
			p.Update(tablesKey("q"))
			p.Update(tea.KeyMsg{Type: tea.KeyEsc})
			p.Update(tablesKey("x"))
			if *cancelled || !strings.Contains(p.View(), "Cancel the restore? y/n") {
				t.Errorf("asked again: cancelled %v, view:\n%s", *cancelled, p.View())
			}
		})
	}
	t.Run("done pushes the result", func(t *testing.T) {
		p, _ := progressModel(t)
		res := &apply.Result{AuditID: "a1"}
		_, cmd := p.Update(progressDoneMsg{job: 1, res: res})
		if cmd == nil {
			t.Fatal("no command")
		}
		push, ok := cmd().(pushMsg)
		if !ok {
			t.Fatalf("done returned %T, want a push", cmd())
		}
		if r, ok := push.screen.(*resultScreen); !ok || r.err != nil {
			t.Errorf("pushed %#v, want the result screen of a success", push.screen)
		}
		if p.s.Result != res || p.Typing() {
			t.Errorf("Result %v, Typing %v after the end", p.s.Result, p.Typing())
		}
	})
	t.Run("error pushes the failure", func(t *testing.T) {
		p, _ := progressModel(t)
		_, cmd := p.Update(progressDoneMsg{job: 1, err: context.Canceled})
		push := cmd().(pushMsg)
		if r := push.screen.(*resultScreen); r.err == nil {
			t.Error("the failure's result screen has no error")
		}
	})
}

// TestProgressQuitCancels: when the console quits (Ctrl-C) during a
// restore, the command line cancels the session's context and waits on
// Restores: the restore ends cancelled and leaves no database.
func TestProgressQuitCancels(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := progressRestoreSession(t, pg)
	ctx, cancel := context.WithCancel(t.Context())
	s.Context = ctx
	scr := NewProgressScreen(s)
	scr.SetSize(80, 20)
	for _, c := range []tea.Cmd{scr.Init()} {
		// Start the restore (the batch's first command launches it), then
		// quit as App would, without waiting for the screen.
		if b, ok := c().(tea.BatchMsg); ok {
			b[0]()
		}
	}
	// Quit once the restore is under way (its audit record written).
	select {
	case <-scr.(*progressScreen).events:
	case <-time.After(time.Minute):
		t.Fatal("no progress event within a minute")
	}
	cancel()
	waited := make(chan struct{})
	go func() { s.Restores.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(time.Minute):
		t.Fatal("the restore did not end within a minute of the cancel")
	}
	recs, err := apply.ListRecords(t.Context(), s.Backend.(*StoreBackend).Store, s.Ticket.Project)
	if err != nil || len(recs) != 1 || recs[0].Outcome != apply.OutcomeCancelled {
		t.Errorf("audit records once the restore ended: %+v (%v), want one, cancelled", recs, err)
	}
	if n := progressDatabases(t, pg, s.Database); n != 0 {
		t.Errorf("%d databases named %s after quitting, want none", n, s.Database)
		pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{s.Database}.Sanitize()+" WITH (FORCE)")
	}
}

// progressGoldenEvents are a restore half done: one table loaded.
var progressGoldenEvents = []apply.Event{
	{Phase: apply.PhaseSafety, Message: "writing the safety snapshot of public.orders"},
	{Phase: apply.PhaseCopy, Table: progressOrders, Rows: 55, Bytes: 4000, TableBytes: 4000, DoneBytes: 4000, TotalBytes: 8000, Message: "loaded public.orders: 55 rows"},
}

// TestProgressGolden draws the progress screen mid-restore, through App,
// at a fixed time: half the rows loaded, one table done.
func TestProgressGolden(t *testing.T) {
	events := progressGoldenEvents
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(goldenSize(size.w, size.h), func(t *testing.T) {
			p, _ := progressModel(t)
			a := New(p.s, p)
			a.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
			for _, e := range events {
				a.Update(progressEventMsg{job: 1, ev: e})
			}
			teatest.RequireEqualOutput(t, []byte(a.View()))
		})
	}
}
