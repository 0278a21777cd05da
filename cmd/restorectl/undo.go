package main

import (
	"context"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/ticket"
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
	svc, err := rf.service(ctx, catalog.Resolved{}, storeURL, e)
	if err != nil {
		return err
	}
	if _, err := svc.Target(*project); err != nil {
		return serviceError("undo", err)
	}
	u := ticket.UndoRequest{ID: ids[0], Project: *project, Ticket: rf.ticket, DryRun: rf.dryRun,
		LockTimeout: rf.lockTimeout, Timeout: rf.timeout, RewindSequences: rf.rewindSequences}
	res, err := svc.Undo(ctx, u, openOptions(withStderr(ctx, e.stderr), false), rf.events(ctx, e))
	return rf.report(svc, asked{dryRun: u.DryRun, project: u.Project, ticket: u.Ticket}, res, err, e)
}
