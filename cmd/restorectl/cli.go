package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

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
		{"completion", "print the shell completion script for bash, zsh or fish", runCompletion},
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
	if args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd {
		return runCompleteRequest(ctx, args, e)
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
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return usagef("unknown command %q%s", args[0], didYouMean(args[0], names, func(s string) string { return s }))
}

func printOverview(w io.Writer) {
	fmt.Fprintln(w, "restorectl: restore Postgres projects from daily snapshots, and make them.")
	fmt.Fprintln(w, "\nUsage: restorectl <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'restorectl <command> --help' for a command's flags.")
	fmt.Fprintf(w, `
Exit status:
  %-3d  done
  %-3d  failed: the work was refused or went wrong (a restore, a backup, a
       snapshot or table that is not there); the message says what to try
  %-3d  bad flags, arguments or input (an unknown flag, a time or zone that
       cannot be read); nothing was done
  %-3d  the snapshot store cannot be used (a URL that cannot be read, a
       directory or bucket that does not exist or cannot be read)
  %-3d  the store holds no snapshot of the project named (the message names
       the refs it holds that come closest)
  %-3d  interrupted (SIGINT, Ctrl-C)
  %-3d  stopped (SIGTERM)
`, exitOK, exitFailure, exitUsage, exitStore, exitNotFound, exitSIGINT, exitSIGTERM)
}

func runVersion(_ context.Context, args []string, e env) error {
	fs := newFlagSet("version", "", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "restorectl", version)
	return nil
}

// newFlagSet returns a flag set that prints its usage, flags GNU-style,
// to stderr and leaves error handling to parse.
func newFlagSet(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package's own error line is dropped: parse's usage error
	// says it better (GNU names, a suggestion).
	fs.SetOutput(io.Discard)
	if e.collectFlags != nil {
		// Collect mode: flag.Parse calls Usage for -h once every flag is
		// defined; parse then returns errHelpShown as it does after help.
		fs.Usage = func() { e.collectFlags(fs, synopsis) }
		return fs
	}
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: restorectl %s %s\n", name, synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(e.stderr, "\nFlags:\n")
			printFlags(e.stderr, fs)
		}
	}
	return fs
}

// printFlags lists fs's flags as GNU tools do, replacing the flag
// package's PrintDefaults ("-limit int"): "--limit N" (one dash for a
// one-letter flag), its description below, wrapped. A flag's VALUE is the
// word in backquotes in its description, else the flag's usual one
// (valueName).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		line := "  " + flagName(f.Name)
		if value != "" { // "" for a boolean flag
			line += " " + valueName(f, value)
		}
		if !isZeroDefault(f) {
			usage += " (default: " + f.DefValue + ")"
		}
		fmt.Fprintln(w, line)
		for _, l := range wrap(usage, 72) {
			fmt.Fprintln(w, "      "+l)
		}
	})
}

// flagName writes a flag as typed GNU-style: -o, --store.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// valueName is the VALUE help shows after f; fromUsage is what
// flag.UnquoteUsage found: the backquoted word, else the type's name.
func valueName(f *flag.Flag, fromUsage string) string {
	if strings.Contains(f.Usage, "`") {
		return fromUsage
	}
	// The same flag has the same VALUE in every command.
	switch f.Name {
	case "project":
		return "REF"
	case "store", "target", "admin-url", "database-url", "alert-webhook":
		return "URL"
	case "tz":
		return "ZONE"
	case "at", "near":
		return "TIME"
	case "ticket":
		return "ID"
	case "pg-dump":
		return "PATH"
	case "table", "operator", "new-project":
		return "NAME"
	case "owner":
		return "ROLE"
	case "projects":
		return "FILE"
	case "shard":
		return "I/N"
	}
	switch fromUsage {
	case "int", "uint":
		return "N"
	case "duration":
		return "DURATION"
	case "float":
		return "NUMBER"
	}
	return strings.ToUpper(f.Name)
}

// isZeroDefault says whether f's default is its type's zero value, which
// help does not show (as PrintDefaults).
func isZeroDefault(f *flag.Flag) bool {
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	zero, ok := z.Interface().(flag.Value)
	return f.DefValue == "" || ok && f.DefValue == zero.String()
}

// wrap cuts s into lines of at most width bytes at spaces (a longer word
// stays whole).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// parse parses args, turning flag errors into usage errors; -h is not an
// error. Positional arguments are refused (see parseArgs for commands that
// take some).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return parseError(fs, err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseError turns a flag error into a usage error, with flags written
// GNU-style and the closest flag to an unknown one; -h is not an error.
func parseError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		return usagef("%s: unknown flag %s%s", fs.Name(), flagName(name), didYouMean(name, names, flagName))
	}
	// "invalid value "x" for flag -limit: ...", "flag needs an argument: -o"
	msg = regexp.MustCompile(`(for flag |for |argument: )-([^\s:=]+)`).ReplaceAllStringFunc(msg, func(m string) string {
		i := strings.LastIndex(m, " -")
		return m[:i+1] + flagName(m[i+2:])
	})
	return usageError{fs.Name() + ": " + msg}
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
