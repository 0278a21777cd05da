package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

func runRestore(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("restore", "SNAPSHOT (--table NAME... | --all) [--mode new-project|overwrite|merge] [--target URL] [--admin-url URL --new-project NAME] --ticket ID [--yes] [--dry-run]", e)
	snapFlags := addSnapshotFlags(fs)
	var tables tableList
	fs.Var(&tables, "table", "table to restore, as in SQL (public.orders, schema.*); repeat or separate with commas")
	all := fs.Bool("all", false, "restore every table of the snapshot")
	mode := fs.String("mode", string(apply.NewProject), "new-project (a fresh database, the safe default), overwrite (replace the tables' rows) or merge (insert the rows the target lacks)")
	project := fs.String("project", "", "project ref (default: from the snapshot's key)")
	intoOther := fs.Bool("into-other-project", false, "restore a snapshot of one project into another --project (refused without it)")
	adminURL := fs.String("admin-url", "", "new-project: connection to the cluster, with CREATEDB (env RESTORECTL_ADMIN_URL)")
	newProject := fs.String("new-project", "", "new-project: the new database's name (default REF-restore-YYYYMMDD)")
	owner := fs.String("owner", "", "new-project: role that owns the new database and that the snapshot is loaded as; never a superuser (default: the project ref, created NOLOGIN if missing)")
	parallel := fs.Int("parallel", apply.DefaultParallel, "new-project: connections loading tables at once (with an index)")
	cascade := fs.Bool("cascade", false, "overwrite: also restore the tables that reference the selection by foreign key")
	updateChanged := fs.Bool("update-changed", false, "merge: also bring back rows whose values changed")
	noIndex := noIndexFlag(fs)
	rf := addRunFlags(fs)
	specs, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	m, err := apply.ParseMode(*mode)
	if err != nil {
		return usagef("restore: %v", err)
	}
	switch {
	case len(tables) == 0 && !*all:
		return usagef("restore: name the tables with --table, or restore them all with --all")
	case len(tables) > 0 && *all:
		return usagef("restore: --table and --all exclude each other")
	case *cascade && m != apply.Overwrite:
		return usagef("restore: --cascade applies to --mode overwrite")
	case *updateChanged && m != apply.Merge:
		return usagef("restore: --update-changed applies to --mode merge")
	case *parallel < 1:
		return usagef("restore: --parallel must be at least 1")
	}
	if err := rf.check("restore", m.Destructive()); err != nil {
		return err
	}
	if err := checkTableNames("restore", tables); err != nil {
		return err
	}

	snap, err := snapFlags.resolve(ctx, specs[0], e)
	if err != nil {
		return err
	}
	if *project != "" {
		if err := checkProject("restore", *project); err != nil {
			return err
		}
	}
	// One restore touches one project: another project's snapshot is
	// refused before it is read (the restore checks it again).
	ref, err := ticket.Project(snap, *project, *intoOther)
	if err != nil {
		return serviceError("restore", err)
	}
	svc, err := rf.service(ctx, snap, snapFlags.store, e)
	if err != nil {
		return err
	}
	svc.AdminURL, svc.Owner = stringFlag(*adminURL, "RESTORECTL_ADMIN_URL", e), *owner
	// What the configuration cannot run is refused before the snapshot is read.
	switch {
	case m == apply.NewProject && svc.AdminURL == "" && !rf.dryRun:
		return serviceError("restore", ticket.ErrNoAdmin)
	case m.Destructive():
		if _, err := svc.Target(ref); err != nil {
			return serviceError("restore", err)
		}
	}
	src, err := openSnapshotSource(withStderr(ctx, e.stderr), snap, *noIndex)
	if err != nil {
		return err
	}
	r := ticket.Request{Snapshot: src, Mode: m, All: *all, Cascade: *cascade, UpdateChanged: *updateChanged,
		Project: ref, IntoOtherProject: *intoOther, Database: *newProject, Parallel: *parallel}
	rf.apply(&r)
	if !*all {
		if r.Tables, err = src.Tables(tables); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	res, err := svc.Restore(ctx, r, rf.events(ctx, e))
	return serviceError("restore", rf.report(svc, asked{dryRun: r.DryRun, project: ref, ticket: r.Ticket}, res, err, e))
}

// serviceError turns what the service refuses for want of a flag into a
// usage error naming the flag; other errors pass.
func serviceError(cmd string, err error) error {
	var other *apply.OtherProjectError
	switch {
	case errors.As(err, &other):
		return usagef("%s: snapshot %s belongs to project %s, not %s: nothing was changed; pass --into-other-project to restore it into %s",
			cmd, other.Snapshot, other.SnapshotProject, other.Project, other.Project)
	case errors.Is(err, ticket.ErrUnknownProject):
		return usagef("%s: %v: pass --project REF", cmd, err)
	case errors.Is(err, ticket.ErrNoTarget):
		return usagef("%s: no target database: pass --target URL, or set RESTORECTL_TARGET_URL_TEMPLATE (e.g. postgres://postgres@db-{ref}.internal:5432/postgres)", cmd)
	case errors.Is(err, ticket.ErrNoAdmin):
		return usagef("%s: --mode new-project needs --admin-url (a connection to the cluster that may CREATE DATABASE), or RESTORECTL_ADMIN_URL", cmd)
	case errors.Is(err, ticket.ErrNoStore):
		return usagef("%s: no store for the audit record and the safety snapshot: pass --store", cmd)
	}
	return err
}

// runFlags are the flags restore and undo share: who and why, how sure,
// and how to report.
type runFlags struct {
	targetURL, ticket, operatorName, pgDump string
	yes, dryRun, asJSON, progress           bool
	lockTimeout, timeout                    time.Duration
	rewindSequences                         bool
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	rf := &runFlags{}
	fs.StringVar(&rf.targetURL, "target", "", "overwrite/merge: the project's database, directly (not through PgBouncer); {ref} stands for the project's ref (env RESTORECTL_TARGET_URL_TEMPLATE)")
	fs.StringVar(&rf.ticket, "ticket", "", "support ticket the restore is for (recorded in the audit record)")
	fs.StringVar(&rf.operatorName, "operator", "", "who runs the restore (default: RESTORECTL_OPERATOR or USER)")
	fs.StringVar(&rf.pgDump, "pg-dump", "", "pg_dump binary for the safety snapshot (default: pg_dump from PATH)")
	fs.BoolVar(&rf.yes, "yes", false, "confirm a restore that changes an existing project")
	fs.BoolVar(&rf.dryRun, "dry-run", false, "print the plan and change nothing (still audited)")
	fs.BoolVar(&rf.asJSON, "json", false, "print the plan and result as JSON")
	fs.BoolVar(&rf.progress, "progress", false, "print progress lines on stderr (default when stderr is a terminal)")
	fs.DurationVar(&rf.lockTimeout, "lock-timeout", apply.DefaultLockTimeout, "overwrite/merge: give up (changing nothing) when a table stays locked by another session this long, for the restore and its safety snapshot")
	fs.DurationVar(&rf.timeout, "timeout", 0, "give up (rolling back) when the whole restore takes longer than this (0: no limit)")
	fs.BoolVar(&rf.rewindSequences, "rewind-sequences", false, "overwrite/merge: set sequences to the snapshot's values even when that moves them back (the application may then reuse keys); by default they only move forward")
	return rf
}

// apply copies the flags that shape a restore into r.
func (rf *runFlags) apply(r *ticket.Request) {
	r.DryRun, r.Ticket = rf.dryRun, rf.ticket
	r.LockTimeout, r.Timeout, r.RewindSequences = rf.lockTimeout, rf.timeout, rf.rewindSequences
}

// check refuses an unconfirmed change before any work.
func (rf *runFlags) check(cmd string, destructive bool) error {
	switch {
	case rf.lockTimeout <= 0:
		return usagef("%s: --lock-timeout must be positive (waiting for ever would stall the project's sessions queued behind the restore)", cmd)
	case rf.timeout < 0:
		return usagef("%s: --timeout must not be negative", cmd)
	case rf.dryRun:
		return nil
	}
	if rf.ticket == "" {
		return usagef("%s: --ticket is required (the support ticket the restore is for), or use --dry-run", cmd)
	}
	if destructive && !rf.yes {
		return usagef("%s: this changes an existing project: run it with --dry-run first, then add --yes", cmd)
	}
	return nil
}

func (rf *runFlags) operator(e env) string {
	for _, s := range []string{rf.operatorName, e.getenv("RESTORECTL_OPERATOR"), e.getenv("USER")} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return "unknown"
}

// service configures the restore service from the flags: the store that
// receives the audit record and the safety snapshot (--store or
// RESTORECTL_STORE, else the snapshot's own), and the target (--target or
// RESTORECTL_TARGET_URL_TEMPLATE, {ref} standing for the project's ref).
// snap is the zero Resolved for undo, which needs a store.
func (rf *runFlags) service(ctx context.Context, snap catalog.Resolved, storeFlag *string, e env) (*ticket.Service, error) {
	var store catalog.Store
	if stringFlag(*storeFlag, "RESTORECTL_STORE", e) != "" || snap.Store == nil {
		var err error
		if store, err = openStore(ctx, *storeFlag, e); err != nil {
			return nil, err
		}
	} else {
		store = snap.Store
	}
	return &ticket.Service{Store: store, TargetTemplate: stringFlag(rf.targetURL, "RESTORECTL_TARGET_URL_TEMPLATE", e),
		PgDump: rf.pgDump, Env: e.environ(), Operator: rf.operator(e),
		Origin: undoOrigin(ticket.Origin{Store: store.String()}, rf.targetURL, rf.pgDump, e)}, nil
}

// events is where a restore's events go: progress lines on stderr when
// asked for or when it is a terminal, and the test build's hooks.
func (rf *runFlags) events(ctx context.Context, e env) apply.Progress {
	var p apply.Progress = apply.NoProgress{}
	if rf.progress || isTerminal(e.stderr) {
		p = &restoreProgress{w: e.stderr}
	}
	// Only a test build has hooks (testhooks_on.go); the shipped binary
	// has none and reads no test variable.
	return testHooks(ctx, p, e)
}

// asked is what the printers need of the restore asked for.
type asked struct {
	dryRun          bool
	project, ticket string
}

// report prints the restore's plan and result, as text or JSON.
func (rf *runFlags) report(svc *ticket.Service, a asked, res *apply.Result, err error, e env) error {
	if rf.asJSON {
		if jerr := printRestoreJSON(e.stdout, a, res, err); jerr != nil {
			return jerr
		}
	} else if res != nil {
		printRestore(e.stdout, a, res, err, svc)
	}
	return err
}

// printRestore prints the plan and what the restore did, with the line
// that undoes it.
func printRestore(w io.Writer, a asked, res *apply.Result, err error, svc *ticket.Service) {
	if p := res.Plan; p != nil {
		ticket.WritePlan(w, p)
	}
	var refused *apply.RefusedError
	switch {
	case errors.As(err, &refused) && res.Outcome != apply.Committed:
		return // main prints the reasons
	case a.dryRun && err == nil:
		fmt.Fprintf(w, "\nDry run: nothing was changed. Audit record %s.\n", res.AuditID)
		return
	}
	if len(res.Checks) > 0 {
		fmt.Fprintln(w, "\nVerification:")
		for _, c := range res.Checks {
			mark := "ok"
			if !c.OK {
				mark = "MISMATCH"
			}
			// Exact, and grouped: this is where one row missing shows.
			fmt.Fprintf(w, "  %-40s %s of %s  %s\n", termsafe.String(c.Table.String()), catalog.FormatExact(c.Got), catalog.PluralExact(c.Want, "row", "rows"), mark)
		}
	}
	fmt.Fprintln(w)
	switch res.Outcome {
	case apply.Committed:
		fmt.Fprintf(w, "Restored in %s. Audit record %s (%s).\n", res.Duration.Round(time.Millisecond), res.AuditID, termsafe.String(res.AuditKey))
		if err != nil {
			fmt.Fprintf(w, "The restore is committed: the target has changed, whatever the error below says about what came after.\n")
		}
	case apply.Unknown:
		fmt.Fprintf(w, "The restore's COMMIT was sent, but its acknowledgement was lost: the target may or may not have changed. Audit record %s.\n", res.AuditID)
		fmt.Fprintf(w, "Ask the target: SELECT pg_catalog.txid_status(%d);\n  committed: the restore is done; undo it with the command below if needed\n  aborted:   nothing was changed\n", res.XID)
	case apply.RolledBack:
		fmt.Fprintf(w, "The restore %s and was rolled back: the target is as it was. Audit record %s.\n", failedOrStopped(err), res.AuditID)
		return
	default:
		fmt.Fprintf(w, "The restore %s before changing anything: the target is as it was. Audit record %s.\n", failedOrStopped(err), res.AuditID)
		return
	}
	if len(res.Created) > 0 {
		fmt.Fprintf(w, "Created on the target: %s\n", termsafe.String(extract.JoinNames(res.Created, ", ")))
	}
	if res.SafetyKey != "" {
		line, notes := svc.UndoCommand(res.AuditID, a.project, a.ticket)
		fmt.Fprintf(w, "Safety snapshot: %s\nUndo with: %s\n", termsafe.String(res.SafetyKey), termsafe.String(line))
		for _, n := range notes {
			fmt.Fprintf(w, "  (%s)\n", termsafe.String(n))
		}
	}
	if db := res.Database; db != nil {
		fmt.Fprintf(w, "New project database %s is ready. Connect with:\n  psql %s\n", termsafe.String(db.Name), termsafe.String(ticket.ShellQuote(db.Connect)))
	}
}

// failedOrStopped says how a restore that changed nothing ended.
func failedOrStopped(err error) string {
	var busy *apply.BusyError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "was cancelled"
	case errors.As(err, &busy):
		return "found a table busy"
	}
	return "failed"
}

func printRestoreJSON(w io.Writer, a asked, res *apply.Result, err error) error {
	type check struct {
		Table string `json:"table"`
		Want  int64  `json:"want"`
		Got   int64  `json:"got"`
		OK    bool   `json:"ok"`
	}
	out := struct {
		// Outcome is what happened to the target (apply.Outcome); XID
		// its transaction, to ask the target about when it is unknown.
		Outcome   apply.Outcome   `json:"outcome"`
		XID       uint64          `json:"xid,omitempty"`
		AuditID   string          `json:"audit_id,omitempty"`
		AuditKey  string          `json:"audit_key,omitempty"`
		DryRun    bool            `json:"dry_run"`
		Plan      *apply.Plan     `json:"plan,omitempty"`
		Safety    string          `json:"safety_snapshot,omitempty"`
		Created   []string        `json:"created,omitempty"`
		Checks    []check         `json:"checks,omitempty"`
		Verified  bool            `json:"verified"`
		Database  *apply.Database `json:"database,omitempty"`
		Duration  int64           `json:"duration_ms"`
		Error     string          `json:"error,omitempty"`
		Refused   []string        `json:"refused,omitempty"`
		Succeeded bool            `json:"ok"`
	}{DryRun: a.dryRun, Succeeded: err == nil, Outcome: apply.NotStarted}
	if res != nil {
		out.Outcome, out.XID = res.Outcome, res.XID
		out.AuditID, out.AuditKey, out.Plan, out.Safety, out.Database = res.AuditID, res.AuditKey, res.Plan, res.SafetyKey, res.Database
		out.Verified, out.Duration = res.Verified(), res.Duration.Milliseconds()
		for _, n := range res.Created {
			out.Created = append(out.Created, n.String())
		}
		for _, c := range res.Checks {
			out.Checks = append(out.Checks, check{c.Table.String(), c.Want, c.Got, c.OK})
		}
	}
	var refused *apply.RefusedError
	if errors.As(err, &refused) {
		out.Refused = refused.Reasons
	}
	if err != nil {
		out.Error = err.Error()
	}
	return writeJSON(w, out)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// restoreProgress prints a restore's progress on stderr: a line per phase,
// and per table loaded.
type restoreProgress struct {
	mu    sync.Mutex
	w     io.Writer
	phase string
}

func (p *restoreProgress) Event(ev apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Phase != p.phase && ev.Message == "" {
		fmt.Fprintf(p.w, "restore: %s\n", termsafe.String(ev.Phase))
	}
	p.phase = ev.Phase
	if ev.Message == "" {
		return
	}
	line := "restore: " + ev.Phase + ": " + ev.Message
	if ev.TotalBytes > 0 {
		line += fmt.Sprintf(" [%s of %s, %.0f%%]", catalog.FormatSize(ev.DoneBytes), catalog.FormatSize(ev.TotalBytes), 100*float64(ev.DoneBytes)/float64(ev.TotalBytes))
	}
	fmt.Fprintln(p.w, termsafe.String(line))
}
