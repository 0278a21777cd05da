package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/ticket"
	"github.com/powabase/restorectl/internal/ui"
)

func runConsole(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("console", "[--project REF] [--at TIME] [--ticket ID] [--store URL]", e)
	cf := addConsoleFlags(fs)
	storeURL := storeFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	// The store first: one that cannot be used is refused before the
	// console opens, rather than shown as a project without snapshots.
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	if !e.terminal {
		return errNoTerminal
	}
	return cf.run(ctx, store, ticket.Origin{Store: store.String()}, "", e)
}

// demoHelp is the demo's help below its flags: its database, and where
// its store is kept.
const demoHelp = `The demo runs the console on the sample store built into restorectl (project
"demo", three daily snapshots) and on a throwaway PostgreSQL of its own: it
finds the machine's PostgreSQL (initdb and pg_ctl on PATH, or where
PostgreSQL's packages install them), starts a cluster in a temporary
directory, creates project demo in it from the snapshot before the ticket's
time, deletes and changes some of its public.orders rows, and opens the
console with every mode available: restore them. The cluster is stopped and
removed when the demo ends. --target or --admin-url use those databases
instead. Without PostgreSQL the console previews and exports, but restores
nothing.

The store is kept in restorectl/demo-store under the user's cache directory
($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS), with the
audit records and safety snapshots of the demo's restores, so that
restorectl audit --project demo still lists them afterwards, and with
--target the undo command a demo prints on exit still works; delete that
directory to start afresh. Without a usable cache directory the store is a
temporary directory, removed when the demo ends, and the demo says so.`

func runDemo(ctx context.Context, args []string, e env) (err error) {
	fs := newFlagSet("demo", "[--at TIME] [--ticket ID]", e)
	if e.collectFlags == nil { // collecting flags for completion prints nothing
		usage := fs.Usage
		fs.Usage = func() {
			usage()
			fmt.Fprintf(e.stderr, "\n%s\n", demoHelp)
		}
	}
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
	dir, temporary, err := demoStore()
	if err != nil {
		return err
	}
	if temporary {
		defer os.RemoveAll(dir)
	}
	store, err := catalog.NewLocal(dir)
	if err != nil {
		return err
	}
	// A closed terminal ends the demo as Ctrl-C does: its PostgreSQL is
	// stopped and removed on the way out.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	origin := ticket.Origin{Store: store.String(), TemporaryStore: temporary}
	pg, noDatabase, err := cf.demoDatabase(ctx, store, "", e)
	if err != nil {
		return nil // a signal: main reports it
	}
	if pg != nil {
		origin.TemporaryTarget = true
		defer func() {
			if stopErr := pg.Stop(); stopErr != nil {
				err = errors.Join(err, fmt.Errorf("stop the demo's PostgreSQL: %w", stopErr))
				return
			}
			fmt.Fprintf(e.stderr, "restorectl demo: the throwaway PostgreSQL is stopped and removed (%s).\n", pg.Dir)
		}()
	}
	if noDatabase == "" && *cf.project == sample.Project {
		// A newcomer gets a ticket to work, not an empty form.
		if *cf.ticket == "" {
			*cf.ticket = "SUP-42"
		}
		cf.about = demoTicket
	}
	return cf.run(ctx, store, origin, noDatabase, e)
}

// demoStore is the directory of the demo's sample store, which ships
// inside the binary. Restores record themselves in their store (audit
// records, safety snapshots), and the undo command a demo prints must
// still find them once it has ended: the store is kept under the user's
// cache directory (demoHelp), installed there or brought up to date.
// Without a usable cache directory it is unpacked into a temporary
// directory that the caller removes (temporary).
func demoStore() (dir string, temporary bool, err error) {
	if cache, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(cache, "restorectl", "demo-store")
		if err := sample.Install(dir); err == nil {
			return dir, false, nil
		}
	}
	dir, err = sample.Unpack("")
	return dir, true, err
}

// errNoTerminal: the console draws on a terminal; scripts use the
// subcommands.
var errNoTerminal = usageError{"the console needs a terminal (stdin and stdout); without one use the subcommands: snapshots, tables, preview, extract, restore (restorectl help)"}

type consoleFlags struct {
	project, at, ticket, tz            *string
	target, adminURL, pgDump, operator *string
	// about is what the ticket says, shown on the ticket screen (the demo's).
	about string
}

// origin completes o with the console's flags an undo line repeats.
func (cf consoleFlags) origin(o ticket.Origin, e env) ticket.Origin {
	return undoOrigin(o, *cf.target, *cf.pgDump, e)
}

// undoOrigin completes o with the flags an undo command needs to repeat
// (ticket.Origin): --target unless it holds a password, which is never
// printed (dump.Redact masks it for the note that says so), and
// --pg-dump.
func undoOrigin(o ticket.Origin, target, pgDump string, e env) ticket.Origin {
	switch t := strings.TrimSpace(target); {
	case t != "" && dump.Redact(t) != t:
		o.TargetRedacted = dump.Redact(t)
	case t != "":
		o.Target = t
	default:
		o.TargetEnv = strings.TrimSpace(e.getenv("RESTORECTL_TARGET_URL_TEMPLATE")) != ""
	}
	o.PgDump = pgDump
	return o
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

// run opens the console on store with the ticket as far as the flags give
// it, and once it has ended prints what it did (ui.Summary) on stdout:
// the console's own screen is gone by then, and the audit id, the connect
// string and the undo command must stay in the terminal's scrollback.
// origin says where store came from; noDatabase, when the console has no
// database to restore into, why (ui.Session.NoDatabase).
func (cf consoleFlags) run(ctx context.Context, store catalog.Store, origin ticket.Origin, noDatabase string, e env) error {
	loc, err := time.LoadLocation(*cf.tz)
	if err != nil {
		return usagef("unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *cf.tz)
	}
	rf := runFlags{operatorName: *cf.operator}
	svc := &ticket.Service{Store: store, Location: loc,
		TargetTemplate: stringFlag(*cf.target, "RESTORECTL_TARGET_URL_TEMPLATE", e), AdminURL: stringFlag(*cf.adminURL, "RESTORECTL_ADMIN_URL", e),
		PgDump: *cf.pgDump, Env: e.environ(), Operator: rf.operator(e), Origin: cf.origin(origin, e)}
	s := &ui.Session{Backend: ui.NewStoreBackend(svc), Location: loc, Styles: ui.NewStyles(e.getenv("NO_COLOR") != ""), Keys: ui.NewKeyMap(), Now: time.Now,
		Ticket: ui.Ticket{Project: *cf.project, AtText: *cf.at, ID: *cf.ticket, About: cf.about}, Origin: svc.Origin, NoDatabase: noDatabase}
	if t := strings.TrimSpace(*cf.at); t != "" {
		if s.Ticket.At, err = svc.ParseTime(t); err != nil {
			return usagef("console: --at: %v", err)
		}
	}
	if e.getenv("NO_COLOR") != "" {
		// NO_COLOR asks for no colour, not no emphasis: termenv reads it
		// as a terminal of no attributes at all, which would leave the
		// text cursor (drawn reversed) invisible. The styles hold no
		// colour then (NewStyles), so ANSI draws bold and reverse only.
		lipgloss.SetColorProfile(termenv.ANSI)
	}
	signalled := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.Context = ctx
	// Signals are main's, which cancels ctx: Bubble Tea's own handler
	// races that cancellation and can block its shutdown for good.
	p := tea.NewProgram(ui.New(s, ui.NewTicketScreen(s)), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithoutSignalHandler())
	_, err = p.Run()
	// A restore still running when the console quits (Ctrl-C) is
	// cancelled: rolled back, and recorded so, before the process ends.
	cancel()
	s.Restores.Wait()
	fmt.Fprint(e.stdout, ui.Summary(s))
	// Killed by a signal, Run says so wrapping the context's error.
	if errors.Is(err, tea.ErrProgramKilled) && errors.Is(err, context.Canceled) && signalled.Err() != nil {
		return nil // a signal: main reports it
	}
	return err
}
