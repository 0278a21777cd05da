package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
		r.progress(Event{Phase: PhaseSafety, Bytes: raw, Message: fmt.Sprintf("safety snapshot: %s (%d bytes dumped, %d stored)", stage, raw, stored)})
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
	r.progress(Event{Phase: PhaseSafety, Bytes: res.RawBytes, Message: fmt.Sprintf("safety snapshot written to %s (%d bytes)", key, res.CompressedBytes)})
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
