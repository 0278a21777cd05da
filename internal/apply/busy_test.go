package apply

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// busyWait bounds how long a busy-target test may take: a restore that
// waits without bound on a lock fails the test instead of hanging it.
const busyWait = 60 * time.Second

// waitForLockWaiter waits until a session of db is waiting for a lock
// while running a statement that contains query.
func (s *tgtScenario) waitForLockWaiter(t *testing.T, query string) {
	t.Helper()
	deadline := time.Now().Add(busyWait)
	for time.Now().Before(deadline) {
		n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '"+s.target+"' AND query LIKE '%"+query+"%'")
		if n != "0" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no session of %s waits for a lock running %q", s.target, query)
}

// assertNoLockWaiters fails when a session of the target still waits for
// a lock.
func (s *tgtScenario) assertNoLockWaiters(t *testing.T) {
	t.Helper()
	if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '"+s.target+"'"); n != "0" {
		t.Errorf("%s sessions of the target still wait for a lock", n)
	}
	if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'restorectl\\_load\\_%'"); n != "0" {
		t.Errorf("%s load roles left behind", n)
	}
}

// TestOverwriteSafetyDumpLockCycle: the restore holds its lock on
// products; an application's ACCESS EXCLUSIVE request queues behind it;
// the safety pg_dump's ACCESS SHARE queues behind the application's. The
// cycle runs through restorectl, so PostgreSQL's deadlock detector cannot
// break it: the restore must, within its lock timeout, with the target
// unchanged and the application's statement let through.
func TestOverwriteSafetyDumpLockCycle(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
	app := tgtConnect(t, s.targetURL)
	appDone := make(chan error, 1)
	progress := ProgressFunc(func(e Event) {
		if e.Phase != PhaseSafety || !strings.HasPrefix(e.Message, "writing the safety snapshot") {
			return
		}
		// pg_dump starts when this returns: queue the application first.
		go func() {
			tx, err := app.Begin(context.Background())
			if err == nil {
				_, err = tx.Exec(context.Background(), "LOCK TABLE public.products IN ACCESS EXCLUSIVE MODE")
				tx.Rollback(context.Background())
			}
			appDone <- err
		}()
		s.waitForLockWaiter(t, "ACCESS EXCLUSIVE")
	})
	ctx, cancel := context.WithTimeout(t.Context(), busyWait)
	defer cancel()
	req := s.request(Overwrite, "public.products")
	req.LockTimeout = time.Second
	res, err := s.run(ctx, req, progress)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "table public.products is busy: the safety snapshot (pg_dump) got no lock") {
		t.Fatalf("err = %v, want a BusyError of the safety snapshot on public.products", err)
	}
	if res.Outcome != NotStarted {
		t.Errorf("outcome = %s, want %s", res.Outcome, NotStarted)
	}
	select {
	case err := <-appDone:
		if err != nil {
			t.Errorf("the application's LOCK: %v", err)
		}
	case <-time.After(busyWait):
		t.Fatal("the application's LOCK is still waiting")
	}
	s.assertUnchanged(t)
	s.assertNoLockWaiters(t)
}

// TestOverwriteReplayedLockTimeoutZero: the dump's own "SET lock_timeout
// = 0", replayed during the load, must not lift the restore's bound: a
// REFRESH of a materialized view that a reader holds gives up within the
// lock timeout and changes nothing.
func TestOverwriteReplayedLockTimeoutZero(t *testing.T) {
	s := newTgtScenario(t, tgtShop+`CREATE MATERIALIZED VIEW public.product_names AS SELECT id, name FROM public.products;`,
		"DELETE FROM public.products WHERE id > 45")
	if dump, err := os.ReadFile(s.dump); err != nil || !strings.Contains(string(dump), "SET lock_timeout = 0;") {
		t.Fatal("the dump has no SET lock_timeout = 0: the test tests nothing")
	}
	tx := s.hold(t, "SELECT count(*) FROM public.product_names")
	ctx, cancel := context.WithTimeout(t.Context(), busyWait)
	defer cancel()
	req := s.request(Overwrite, "public.products", "public.product_names")
	req.LockTimeout = time.Second
	res, err := s.run(ctx, req, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "public.product_names is busy") {
		t.Fatalf("err = %v, want a BusyError on public.product_names", err)
	}
	if res.Outcome != RolledBack {
		t.Errorf("outcome = %s, want %s", res.Outcome, RolledBack)
	}
	tx.Rollback(t.Context())
	s.assertUnchanged(t)
	s.assertNoLockWaiters(t)
}

// TestDryRunLockFree: a dry run (overwrite's plan, merge's comparison)
// succeeds while another session holds an open write transaction on the
// table, and never blocks the project's writers: an INSERT made while the
// dry run stages the snapshot's rows goes through at once. It changes
// nothing.
func TestDryRunLockFree(t *testing.T) {
	for _, mode := range []Mode{Overwrite, Merge} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
			tx := s.hold(t, "INSERT INTO public.products (id, name) VALUES (1000, 'in flight')")
			writer := tgtConnect(t, s.targetURL)
			if _, err := writer.Exec(t.Context(), "SET lock_timeout = '500ms'"); err != nil {
				t.Fatal(err)
			}
			var writes int
			var writeErr error
			progress := ProgressFunc(func(e Event) {
				if e.Phase != PhaseCopy && e.Phase != PhasePlan || writeErr != nil {
					return
				}
				writes++
				_, writeErr = writer.Exec(context.Background(), "INSERT INTO public.products (id, name) VALUES ($1, 'written during the dry run')", 2000+writes)
			})
			ctx, cancel := context.WithTimeout(t.Context(), busyWait)
			defer cancel()
			req := s.request(mode, "public.products")
			req.DryRun, req.LockTimeout = true, time.Second
			res, err := s.run(ctx, req, progress)
			if err != nil {
				t.Fatalf("dry run: %v", err)
			}
			if writeErr != nil || writes == 0 {
				t.Fatalf("a writer during the dry run: %d writes, err %v", writes, writeErr)
			}
			if res.Outcome != NotStarted {
				t.Errorf("outcome = %s, want %s", res.Outcome, NotStarted)
			}
			if mode == Merge {
				if tp := res.Plan.Tables[0]; tp.Missing != 5 {
					t.Errorf("plan = %+v, want 5 missing rows", tp)
				}
			}
			tx.Rollback(t.Context())
			// The writes (and what their trigger logged) were the application's.
			s.pg.Exec(t, s.target, "DELETE FROM public.products WHERE id > 2000; DELETE FROM public.audit_log WHERE msg ~ '^products INSERT 20[0-9][0-9]$'")
			s.assertUnchanged(t)
			s.assertNoLockWaiters(t)
		})
	}
}

// TestRestoreTimeout: Timeout bounds the whole restore, whatever it waits
// for: it stops, changes nothing, and is recorded as cancelled.
func TestRestoreTimeout(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
	tx := s.hold(t, "LOCK TABLE public.products IN ROW EXCLUSIVE MODE")
	req := s.request(Overwrite, "public.products")
	req.LockTimeout, req.Timeout = busyWait, time.Second
	res, err := s.run(t.Context(), req, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ran longer than its time limit of 1s") {
		t.Fatalf("err = %v, want the time limit", err)
	}
	rec, ferr := FindRecord(t.Context(), s.store, "abcd1234", res.AuditID)
	if ferr != nil {
		t.Fatal(ferr)
	}
	if rec.Outcome != OutcomeCancelled || rec.Transaction != NotStarted {
		t.Errorf("record: outcome %s, transaction %s; want cancelled, not-started", rec.Outcome, rec.Transaction)
	}
	tx.Rollback(t.Context())
	s.assertUnchanged(t)
	s.assertNoLockWaiters(t)
}
