package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/powabase/restorectl/internal/catalog"
)

// command is one subcommand: its name, a line for the overview, and the
// function that parses its own flags and runs it.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, e env) error
}

func commands() []command {
	return []command{
		{"console", "the support console: a ticket, step by step, on a terminal", runConsole},
		{"demo", "the console on the sample store built into restorectl (no S3, no Postgres)", runDemo},
		{"projects", "list the store's projects with their newest snapshot; --stale alarms on missed backups", runProjects},
		{"snapshots", "list a project's snapshots, nearest to a time first", runSnapshots},
		{"tables", "list a snapshot's tables with exact row counts and data sizes", runTables},
		{"preview", "show the first rows of one table of a snapshot", runPreview},
		{"extract", "write a psql script that restores chosen tables of a snapshot", runExtract},
		{"restore", "restore tables of a snapshot: into a new project, or overwrite or merge into the project", runRestore},
		{"undo", "put back what a restore replaced, from its safety snapshot", runUndo},
		{"audit", "list a project's restores: who, when, why, what, and how it went", runAudit},
		{"index", "build and store the sidecar index of an existing snapshot", runIndex},
		{"backup", "dump projects with pg_dump and stream them into the snapshot store", runBackup},
		{"prune", "delete a project's snapshots older than the retention window", runPrune},
		{"version", "print the version", runVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		if e.terminal {
			return runConsole(ctx, nil, e)
		}
		printOverview(e.stdout)
		return errNoTerminal
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, e)
		}
		printOverview(e.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], e)
			if errors.Is(err, errHelpShown) {
				return nil
			}
			return err
		}
	}
	return usagef("unknown command %q", args[0])
}

func printOverview(w io.Writer) {
	fmt.Fprintln(w, "restorectl: restore Postgres projects from daily snapshots, and make them.")
	fmt.Fprintln(w, "\nUsage: restorectl <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'restorectl <command> -h' for a command's flags.")
}

func runVersion(_ context.Context, args []string, e env) error {
	fs := newFlagSet("version", "", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "restorectl", version)
	return nil
}

// newFlagSet returns a flag set that prints its usage to stderr and leaves
// error handling to parse.
func newFlagSet(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: restorectl %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into usage errors; -h is not an
// error. Positional arguments are refused (see parseArgs for commands that
// take some).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseError turns a flag error into a usage error; -h is not an error.
func parseError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	}
	return usageError{err.Error()}
}

// errHelpShown ends a command after -h printed its usage; exit status 0.
var errHelpShown = errors.New("help shown")

// stringFlag returns a flag's value, or the environment variable's when the
// flag was not set on the command line.
func stringFlag(value, envName string, e env) string {
	if value != "" {
		return value
	}
	return strings.TrimSpace(e.getenv(envName))
}

// checkProject refuses a missing or malformed --project before any work.
func checkProject(cmd, ref string) error {
	if ref == "" {
		return usagef("%s: --project is required", cmd)
	}
	if err := catalog.ValidateRef(ref); err != nil {
		return usagef("%s: %v", cmd, err)
	}
	return nil
}
