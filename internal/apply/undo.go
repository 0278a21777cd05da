package apply

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Undoable refuses (*RefusedError) to undo a restore that did not commit:
// putting its safety snapshot back would only overwrite what the project
// wrote since with the pre-restore copy. A record that still says running
// (the restore was killed, or recording its end failed) or unknown is
// settled by asking target whether the restore's transaction committed.
func Undoable(ctx context.Context, rec Record, target string) error {
	refuse := func(format string, args ...any) error {
		return &RefusedError{Reasons: []string{fmt.Sprintf("undo of restore %s: ", rec.ID) + fmt.Sprintf(format, args...)}}
	}
	if rec.SafetySnapshot == "" {
		return refuse("it wrote no safety snapshot (%s, %s): there is nothing to put back", rec.Mode, rec.Outcome)
	}
	switch rec.Transaction {
	case Committed:
		return nil
	case NotStarted, RolledBack:
		return refuse("it did not change the target (it %s): there is nothing to undo, and putting its safety snapshot back would discard what was written since", rec.Transaction)
	}
	if rec.XID == 0 {
		// A record from before restorectl recorded transactions.
		if rec.Outcome == OutcomeOK {
			return nil
		}
		return refuse("its outcome is %s, not ok: there is nothing to undo", rec.Outcome)
	}
	cfg, err := targetConfig(target)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("ask the target %s whether restore %s committed: %w", Redact(target), rec.ID, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	switch o, inProgress := XactStatus(ctx, conn, rec.XID); {
	case o == Committed:
		return nil
	case o == RolledBack:
		return refuse("its record says %s, and the target says its transaction %d was rolled back: there is nothing to undo", rec.Outcome, rec.XID)
	case inProgress:
		return refuse("its record says %s, and its transaction %d is still in progress on the target: wait for it to end, then undo again", rec.Outcome, rec.XID)
	}
	return refuse("its record says %s, and the target cannot tell whether its transaction %d committed (SELECT pg_catalog.txid_status(%d) is not 'committed'): "+
		"if it is still running, wait for it; otherwise compare the tables with its safety snapshot %s by hand", rec.Outcome, rec.XID, rec.XID, rec.SafetySnapshot)
}
