package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
	"github.com/powabase/restorectl/internal/extract"
)

// safety writes the safety snapshot of tables, read in the exported
// snapshot snapshotID (pg_export_snapshot of the restore's transaction,
// which holds locks that keep writers off them), and returns its key. With
// no tables it writes nothing and returns "".
//
// It is the backup job's own pipeline (dump.Write: pg_dump, verified,
// indexed, no temporary file, the password kept out of arguments and
// errors) limited to the tables, so that the safety snapshot is restorable
// like any snapshot: what it holds is exactly what the restore's
// transaction saw before changing anything.
func (r *run) safety(ctx context.Context, snapshotID string, tables []extract.Name) (key string, err error) {
	if len(tables) == 0 {
		// Nothing to keep; and pg_dump without --table would dump it all.
		return "", nil
	}
	now := r.now()
	key = catalog.SafetyKey(r.req.Project, now, r.rec.ID)
	what := describeTables(tables)
	r.progress(Event{Phase: PhaseSafety, Message: "writing the safety snapshot of " + what + " to " + key})
	stageMsg := func(stage string, raw, stored int64) {
		r.progress(Event{Phase: PhaseSafety, Bytes: raw, Message: fmt.Sprintf("safety snapshot: %s (%s dumped, %s stored)", stage, catalog.FormatSize(raw), catalog.FormatSize(stored))})
	}
	cfg := dump.Config{
		PgDump: r.cfg.PgDump,
		Env:    r.cfg.Env,
		Time:   now,
		// pg_dump's ACCESS SHARE can queue behind another session's
		// ACCESS EXCLUSIVE request, itself queued behind the restore's
		// lock: a cycle through restorectl that PostgreSQL cannot see.
		LockWaitTimeout: r.lockTimeout(),
		Progress:        dump.ProgressFunc(func(e dump.Event) { stageMsg(e.Stage, e.RawBytes, e.CompressedBytes) }),
	}
	res, err := dump.Write(ctx, cfg, dump.Source{
		Ref:         r.req.Project,
		DatabaseURL: r.req.Target,
		Tables:      tables,
		Snapshot:    snapshotID,
	}, r.cfg.Store, key)
	if err != nil {
		stage := dump.StageDump
		var de *dump.Error
		if errors.As(err, &de) {
			stage = de.Stage
		}
		stageMsg(stage, res.RawBytes, res.CompressedBytes)
	}
	if errors.Is(err, dump.ErrLockWait) {
		return "", &BusyError{Tables: tables, Wait: r.lockTimeout(), Who: "the safety snapshot (pg_dump)"}
	}
	if err != nil {
		// err never holds a password (dump scrubs it).
		return "", fmt.Errorf("write the safety snapshot of %s to %s: %w; nothing was changed", what, r.cfg.Store, err)
	}
	r.progress(Event{Phase: PhaseSafety, Bytes: res.RawBytes, Message: fmt.Sprintf("safety snapshot written to %s (%s)", key, catalog.FormatSize(res.CompressedBytes))})
	// A missing index (res.IndexErr) leaves a valid snapshot: undo scans it.
	return res.Key, nil
}

// describeTables names tables for a message, the first few only.
func describeTables(tables []extract.Name) string {
	const show = 5
	names := sqlNameList(tables[:min(len(tables), show)])
	s := strings.Join(names, ", ")
	if len(tables) > show {
		s = fmt.Sprintf("%d tables (%s, ...)", len(tables), s)
	}
	return s
}

// safetySnapshot has the affected tables the target holds dumped as they
// are, in this transaction's snapshot, before anything changes.
func (t *targetRun) safetySnapshot(ctx context.Context) error {
	ex := t.existing()
	if len(ex) == 0 {
		return nil
	}
	t.r.progress(Event{Phase: PhaseSafety, Message: "safety snapshot of " + extract.JoinNames(ex, ", ")})
	var snap string
	if err := t.tx.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&snap); err != nil {
		return fmt.Errorf("safety snapshot failed, nothing was changed: export the transaction's snapshot: %w", err)
	}
	stop := t.keepAlive(ctx)
	key, err := t.r.safety(ctx, snap, ex)
	stop()
	var busy *BusyError
	if errors.As(err, &busy) {
		return err
	}
	if err != nil {
		return fmt.Errorf("safety snapshot failed, nothing was changed: %w", err)
	}
	t.r.res.SafetyKey = key
	return nil
}

// keepAlive pings the restore's transaction until stop is called, so that
// idle_in_transaction_session_timeout does not end it while pg_dump, in
// another session, reads the tables under its locks.
func (t *targetRun) keepAlive(ctx context.Context) (stop func()) {
	// Not a cancelled context: pgx closes a connection whose query is
	// cancelled, and this one carries the restore.
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(idleTimeout / 4)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				// A failed ping shows again at the next statement.
				_, _ = t.tx.Exec(ctx, "SELECT 1")
			}
		}
	}()
	return func() { close(quit); <-done }
}
