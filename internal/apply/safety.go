package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/powabase/restorectl/internal/backupjob"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// safety writes the safety snapshot of tables, read in the exported
// snapshot snapshotID (pg_export_snapshot of the restore's transaction,
// which holds locks that keep writers off them), and returns its key. With
// no tables it writes nothing and returns "".
//
// It is the backup job's own pipeline (pg_dump, verified, indexed, no
// temporary file, the password kept out of arguments and errors) limited
// to the tables, so that the safety snapshot is restorable like any
// snapshot: what it holds is exactly what the restore's transaction saw
// before changing anything.
func (r *run) safety(ctx context.Context, snapshotID string, tables []extract.Name) (key string, err error) {
	if len(tables) == 0 {
		// Nothing to keep; and pg_dump without --table would dump it all.
		return "", nil
	}
	now := r.now()
	key = catalog.SafetyKey(r.req.Project, now, r.rec.ID)
	what := describeTables(tables)
	r.progress(Event{Phase: PhaseSafety, Message: "writing the safety snapshot of " + what + " to " + key})
	cfg := backupjob.Config{
		Store:  r.cfg.Store,
		PgDump: r.cfg.PgDump,
		Env:    r.cfg.Env,
		Now:    func() time.Time { return now },
		// pg_dump's ACCESS SHARE can queue behind another session's
		// ACCESS EXCLUSIVE request, itself queued behind the restore's
		// lock: a cycle through restorectl that PostgreSQL cannot see.
		LockWaitTimeout: r.lockTimeout(),
		Progress: backupjob.ProgressFunc(func(e backupjob.Event) {
			msg := fmt.Sprintf("safety snapshot: %s (%d bytes dumped, %d stored)", e.Stage, e.RawBytes, e.CompressedBytes)
			if e.Done && e.Err == nil {
				msg = fmt.Sprintf("safety snapshot written to %s (%d bytes)", key, e.CompressedBytes)
			}
			r.progress(Event{Phase: PhaseSafety, Bytes: e.RawBytes, Message: msg})
		}),
	}
	res := backupjob.BackupProject(ctx, cfg, backupjob.Project{
		Ref:         r.req.Project,
		DatabaseURL: r.req.Target,
		Key:         key,
		Tables:      tables,
		Snapshot:    snapshotID,
	})
	if errors.Is(res.Err, backupjob.ErrLockWait) {
		return "", &BusyError{Tables: tables, Wait: r.lockTimeout(), Who: "the safety snapshot (pg_dump)"}
	}
	if !res.OK() {
		// res.Err never holds a password (backupjob scrubs it).
		return "", fmt.Errorf("write the safety snapshot of %s to %s: %w; nothing was changed", what, r.cfg.Store, res.Err)
	}
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
