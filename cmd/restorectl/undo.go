package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

func runUndo(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("undo", "AUDIT-ID --project REF [--target URL] --ticket ID --yes [--dry-run] [--store URL]", e)
	project := fs.String("project", "", "project ref of the restore to undo")
	storeURL := storeFlag(fs)
	rf := addRunFlags(fs)
	ids, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := checkProject("undo", *project); err != nil {
		return err
	}
	if err := rf.check("undo", true); err != nil {
		return err
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	rec, err := apply.FindRecord(ctx, store, *project, ids[0])
	if err != nil {
		return err
	}
	target, err := rf.target(*project, e)
	if err != nil {
		return err
	}
	if rec.Target != "" && apply.Redact(target) != rec.Target {
		return fmt.Errorf("undo %s: the restore changed %s, but the target is %s: pass the same database with --target", rec.ID, rec.Target, apply.Redact(target))
	}
	// Only what committed: undoing anything else would discard the
	// project's writes since for nothing.
	if err := apply.Undoable(ctx, rec, target); err != nil {
		return err
	}
	snap := catalog.Resolved{Store: store, Key: rec.SafetySnapshot, Name: strings.TrimSuffix(store.String(), "/") + "/" + rec.SafetySnapshot}
	// The safety snapshot is the project's own (<ref>/pre-restore/...):
	// undo never writes another project's snapshot into this one, whatever
	// a record says (apply.Run checks it again).
	snapRef := snap.Project()
	if snapRef != *project {
		return fmt.Errorf("undo %s: its safety snapshot %s is not one of project %s's: refusing to put it back into %s",
			rec.ID, rec.SafetySnapshot, *project, *project)
	}
	src, err := openSnapshotSource(withStderr(ctx, e.stderr), snap, false)
	if err != nil {
		return err
	}
	if len(rec.Created) > 0 {
		fmt.Fprintf(e.stderr, "note: restore %s created %s; undo leaves them in place (drop them by hand if they are not wanted)\n", rec.ID, termsafe.String(strings.Join(rec.Created, ", ")))
	}
	// The safety snapshot holds exactly the tables the restore replaced.
	req := apply.Request{Mode: apply.Overwrite, Source: src.Source(), All: true,
		Project: *project, SnapshotProject: snapRef, Target: target, Operator: rf.operator(e), UndoOf: &rec}
	rf.apply(&req)
	return rf.run(ctx, rf.config(store, e), req, src, e)
}
