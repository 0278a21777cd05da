package main

// Shell completion for bash, zsh and fish.
//
// Cobra is used here, and only here, as a completion engine: it writes
// well-kept completion scripts for the three shells and answers their
// hidden `restorectl __complete ARGS...` requests. The commands themselves
// do not run through cobra: they keep parsing their flags with the
// standard flag package, with our GNU-style help, usage errors and
// suggestions (cli.go), which cobra would change. So the cobra tree below
// is built only for `restorectl completion SHELL` and `__complete`, from
// commands(): each command is run with -h in collect mode (env.collectFlags),
// which hands over its *flag.FlagSet before it does anything, and its flags
// are added to a cobra command that is never executed.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/ticket"
)

// completionShells are the shells `restorectl completion` writes scripts for.
var completionShells = []string{"bash", "zsh", "fish"}

// completionHelp is the completion command's help below its flags.
const completionHelp = `Load the script in the shell's startup (bash needs the bash-completion
package; zsh loads it after compinit):
  bash:  echo 'source <(restorectl completion bash)' >> ~/.bashrc
  zsh:   echo 'source <(restorectl completion zsh)' >> ~/.zshrc
  fish:  restorectl completion fish > ~/.config/fish/completions/restorectl.fish`

// completeTimeout bounds what a completion may spend reading the store: a
// shell waits for it.
const completeTimeout = 5 * time.Second

// commonZones are what --tz offers: UTC and a few common zones.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago",
	"America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
}

// fileFlags take a file or program path: the shell's own file completion.
var fileFlags = map[string]bool{"o": true, "projects": true, "pg-dump": true}

func runCompletion(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("completion", "bash|zsh|fish", e)
	if e.collectFlags == nil {
		usage := fs.Usage
		fs.Usage = func() {
			usage()
			fmt.Fprintf(e.stderr, "\n%s\n", completionHelp)
		}
	}
	shells, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	root := completionTree(ctx, e)
	switch shells[0] {
	case "bash":
		return root.GenBashCompletionV2(e.stdout, true)
	case "zsh":
		return root.GenZshCompletion(e.stdout)
	case "fish":
		return root.GenFishCompletion(e.stdout, true)
	}
	return usagef("completion: unknown shell %q: want bash, zsh or fish%s", shells[0],
		didYouMean(shells[0], completionShells, func(s string) string { return s }))
}

// runCompleteRequest answers a completion script's request, `restorectl
// __complete ARGS...` (or __completeNoDesc): the candidates on stdout, one
// a line, then cobra's directive.
//
// A one-letter flag (-o) is offered as itself only: pflag also names it
// --o, which the flag package takes but help never shows.
func runCompleteRequest(ctx context.Context, args []string, e env) error {
	var out strings.Builder
	root := completionTree(ctx, e)
	root.SetOut(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		name, _, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if len(name) == 3 && strings.HasPrefix(name, "--") {
			continue
		}
		if _, werr := io.WriteString(e.stdout, line); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// collectedFlags is what a command run with -h in collect mode handed over.
type collectedFlags struct {
	fs       *flag.FlagSet
	synopsis string
}

// collectFlags returns c's flags and synopsis without running c: it runs c
// with -h in collect mode, where newFlagSet's Usage hands them over and
// parse returns errHelpShown. The context is cancelled and the environment
// empty, so that a command that did any work before parsing its flags
// would fail at once instead (TestCollectFlagsRunsNothing checks none does).
func collectFlags(c command) (collectedFlags, error) {
	var got collectedFlags
	e := env{stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, environ: func() []string { return nil },
		collectFlags: func(fs *flag.FlagSet, synopsis string) { got = collectedFlags{fs, synopsis} }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.run(ctx, []string{"-h"}, e)
	if !errors.Is(err, errHelpShown) || got.fs == nil {
		return collectedFlags{}, fmt.Errorf("%s -h did not hand over its flags: %v", c.name, err)
	}
	return got, nil
}

// completionTree is the cobra command tree that completes restorectl's
// command line: one subcommand per command, with its flags and what
// completes their values and its arguments.
func completionTree(ctx context.Context, e env) *cobra.Command {
	root := &cobra.Command{
		Use:               "restorectl",
		Short:             "restore Postgres projects from daily snapshots, and make them",
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetContext(ctx)
	for _, c := range commands() {
		// Run is never called (commands run through run, not cobra), but
		// cobra offers only runnable commands as completions.
		sub := &cobra.Command{Use: c.name, Short: c.summary, Run: func(*cobra.Command, []string) {}}
		sub.ValidArgsFunction = noCompletion
		got, err := collectFlags(c)
		if err == nil {
			sub.Flags().AddGoFlagSet(got.fs)
			comp := completer{e: e, fs: got.fs}
			switch {
			case c.name == "completion":
				sub.ValidArgs = completionShells
				sub.ValidArgsFunction = nil
			case strings.HasPrefix(got.synopsis, "SNAPSHOT"):
				sub.ValidArgsFunction = comp.snapshotArg
			}
			got.fs.VisitAll(func(f *flag.Flag) { comp.register(sub, f) })
		}
		root.AddCommand(sub)
	}
	return root
}

// completer completes one command's arguments and flag values; fs holds
// the flags typed on the line once cobra has parsed them.
type completer struct {
	e  env
	fs *flag.FlagSet
}

// register sets what completes f's value.
func (c completer) register(cmd *cobra.Command, f *flag.Flag) {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return
	}
	var fn cobra.CompletionFunc
	switch {
	case fileFlags[f.Name]:
		return // the shell's file completion
	case f.Name == "store":
		fn = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
	case f.Name == "project":
		fn = c.projectFlag
	case f.Name == "table":
		fn = c.tableFlag
	case f.Name == "mode":
		fn = fixedCompletions("new-project", "overwrite", "merge")
	case f.Name == "tz":
		fn = fixedCompletions(commonZones...)
	default:
		fn = noCompletion
	}
	// Errors only for a name registered twice, which VisitAll cannot give.
	_ = cmd.RegisterFlagCompletionFunc(f.Name, fn)
}

func noCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func fixedCompletions(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func withPrefix(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// flagValue is the value of the flag named on the line, "" if the
// command has no such flag.
func (c completer) flagValue(name string) string {
	if f := c.fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// projects lists the refs in the store that --store on the line, else
// RESTORECTL_STORE, names; nil when there is none or it cannot be read.
func (c completer) projects(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	store, err := openStore(ctx, c.flagValue("store"), c.e)
	if err != nil {
		return nil
	}
	refs, err := catalog.ListProjects(ctx, store)
	if err != nil {
		return nil
	}
	return refs
}

func (c completer) projectFlag(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(c.projects(cmd.Context()), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// snapshotArg completes a SNAPSHOT argument: REF@ for the store's
// projects; a path, the shell's file completion.
func (c completer) snapshotArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch {
	case len(args) > 0, strings.Contains(toComplete, "@"), strings.Contains(toComplete, "://"):
		return nil, cobra.ShellCompDirectiveNoFileComp
	case strings.ContainsAny(toComplete, "/~") || strings.HasPrefix(toComplete, "."):
		return nil, cobra.ShellCompDirectiveDefault
	}
	var out []string
	for _, ref := range withPrefix(c.projects(cmd.Context()), toComplete) {
		out = append(out, ref+"@")
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// tableFlag completes --table from the table of contents in the index of
// the snapshot the line names. It never scans a snapshot: without a usable
// index (or a snapshot that resolves) it offers nothing. Names are written
// as SQL needs them (quoted when they must be); after a comma (--table
// a,b,pu) the last name completes, among those not typed yet.
func (c completer) tableFlag(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completeTimeout)
	defer cancel()
	store, tz := c.flagValue("store"), c.flagValue("tz")
	if tz == "" {
		tz = "UTC"
	}
	snap, err := snapshotFlags{store: &store, tz: &tz}.resolve(ctx, args[0], c.e)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s, err := ticket.Open(ctx, snap, ticket.OpenOptions{Lazy: true})
	if err != nil || s.TOC() == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	typed := strings.Split(done, ",")
	var out []string
	for _, t := range s.TOC().Tables {
		name := t.Name.String()
		if strings.HasPrefix(name, last) && !slices.Contains(typed, name) && !slices.Contains(out, done+name) {
			out = append(out, done+name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
