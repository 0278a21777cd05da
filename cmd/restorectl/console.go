package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/ui"
)

func runConsole(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("console", "[--project REF] [--at TIME] [--ticket ID] [--store URL]", e)
	cf := addConsoleFlags(fs)
	storeURL := storeFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !e.terminal {
		return errNoTerminal
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	return cf.run(ctx, store, e)
}

func runDemo(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("demo", "[--at TIME] [--ticket ID]", e)
	cf := addConsoleFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !e.terminal {
		return errNoTerminal
	}
	if *cf.project == "" {
		*cf.project = sample.Project
	}
	if *cf.at == "" {
		*cf.at = "2026-11-21 14:05"
	}
	// The sample store ships inside the binary; it is unpacked for the
	// session (restores record themselves in their store).
	dir, err := sample.Unpack("")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := catalog.NewLocal(dir)
	if err != nil {
		return err
	}
	return cf.run(ctx, store, e)
}

// errNoTerminal: the console draws on a terminal; scripts use the
// subcommands.
var errNoTerminal = usageError{"the console needs a terminal (stdin and stdout); without one use the subcommands: snapshots, tables, preview, extract, restore (restorectl help)"}

type consoleFlags struct {
	project, at, ticket, tz            *string
	target, adminURL, pgDump, operator *string
}

func addConsoleFlags(fs *flag.FlagSet) consoleFlags {
	return consoleFlags{
		project:  fs.String("project", "", "project ref of the ticket"),
		at:       fs.String("at", "", "time the ticket is about (as snapshots --near takes it)"),
		ticket:   fs.String("ticket", "", "ticket id"),
		tz:       fs.String("tz", "UTC", "time zone of times typed without one"),
		target:   fs.String("target", "", "the project's database for overwrite and merge, {ref} for the ref (env RESTORECTL_TARGET_URL_TEMPLATE)"),
		adminURL: fs.String("admin-url", "", "cluster connection that may CREATE DATABASE, for new projects (env RESTORECTL_ADMIN_URL)"),
		pgDump:   fs.String("pg-dump", "", "pg_dump binary for safety snapshots (default: pg_dump from PATH)"),
		operator: fs.String("operator", "", "who restores (default: RESTORECTL_OPERATOR or USER)"),
	}
}

// run opens the console on store with the ticket as far as the flags give it.
func (cf consoleFlags) run(ctx context.Context, store catalog.Store, e env) error {
	loc, err := time.LoadLocation(*cf.tz)
	if err != nil {
		return usagef("unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *cf.tz)
	}
	rf := runFlags{operatorName: *cf.operator}
	backend := &ui.StoreBackend{Store: store, Location: loc,
		TargetTemplate: stringFlag(*cf.target, "RESTORECTL_TARGET_URL_TEMPLATE", e), AdminURL: stringFlag(*cf.adminURL, "RESTORECTL_ADMIN_URL", e),
		PgDump: *cf.pgDump, Env: e.environ(), Operator: rf.operator(e)}
	s := &ui.Session{Backend: backend, Styles: ui.NewStyles(e.getenv("NO_COLOR") != ""), Keys: ui.NewKeyMap(), Now: time.Now,
		Ticket: ui.Ticket{Project: *cf.project, AtText: *cf.at, ID: *cf.ticket}}
	if t := strings.TrimSpace(*cf.at); t != "" {
		if s.Ticket.At, err = backend.ParseTime(t); err != nil {
			return usagef("console: --at: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.Context = ctx
	p := tea.NewProgram(ui.New(s, ui.NewTicketScreen(s)), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err = p.Run()
	// A restore still running when the console quits (Ctrl-C) is
	// cancelled: rolled back, and recorded so, before the process ends.
	cancel()
	s.Restores.Wait()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil // a signal: main reports it
	}
	return err
}
