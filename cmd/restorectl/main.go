package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

// Exit statuses, one per kind of error. Scripts and the CronJob rely on
// them.
const (
	exitOK      = 0
	exitFailure = 1 // the work failed (a backup, a prune, ...)
	exitUsage   = 2 // bad flags or arguments; nothing was done
	// exitStore: the snapshot store cannot be used (a URL that cannot be
	// read, no such directory or bucket, access denied); nothing was done.
	exitStore = 3
	// exitNotFound: the store holds no snapshot of the project named.
	exitNotFound = 4
	// Interrupted runs exit 128+signal, as shells report them.
	exitSIGINT  = 130
	exitSIGTERM = 143
)

func main() {
	ctx, sigs := newSignalContext(context.Background())
	err := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ,
		terminal: isTerminal(os.Stdin) && isTerminal(os.Stdout)})
	os.Exit(exitCode(os.Stderr, err, sigs.received()))
}

// env is what a command may take from the process: streams and environment.
// Tests pass their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	environ        func() []string
	// terminal: stdin and stdout are a terminal, so the console can run.
	terminal bool
	// collectFlags, when set, makes a command run with -h hand its flag
	// set and synopsis here instead of printing its usage (newFlagSet), so
	// shell completion learns every command's flags without running any
	// (completion.go).
	collectFlags func(fs *flag.FlagSet, synopsis string)
}

// usageError is a mistake on the command line: exit status 2, and the
// message is printed with a hint to --help.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// failedError means the command already reported its failure (for instance
// the backup summary); main only sets the exit status.
type failedError struct{ msg string }

func (e failedError) Error() string { return e.msg }

// exitCode reports err on stderr (unless the command already did) and maps
// it, and the signal that stopped the run if any, to an exit status. Every
// error a command returns is printed here, with its control characters
// escaped (termsafe.Text): errors quote table names and values from
// snapshots, which a customer chose.
func exitCode(stderr io.Writer, err error, sig os.Signal) int {
	var ue usageError
	var fe failedError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "restorectl: %s\nRun 'restorectl help' for usage.\n", termsafe.Text(ue.msg))
		return exitUsage
	case errors.As(err, &fe):
	default:
		fmt.Fprintf(stderr, "restorectl: %s\n", termsafe.Text(err.Error()))
	}
	switch {
	case sig == syscall.SIGTERM:
		return exitSIGTERM
	case sig == os.Interrupt:
		return exitSIGINT
	case err != nil:
		return errorStatus(err)
	}
	return exitOK
}

// errorStatus is the exit status of a command's error (not a usage error).
func errorStatus(err error) int {
	var se *catalog.StoreError
	var ns *catalog.NoSnapshotsError
	switch {
	case errors.As(err, &se):
		return exitStore
	case errors.As(err, &ns):
		return exitNotFound
	}
	return exitFailure
}

// signalStop cancels a context on SIGINT or SIGTERM and remembers which
// signal arrived, so the exit status can tell an eviction from a failure.
type signalStop struct {
	ch  chan os.Signal
	got chan os.Signal
}

func newSignalContext(parent context.Context) (context.Context, *signalStop) {
	ctx, cancel := context.WithCancel(parent)
	s := &signalStop{ch: make(chan os.Signal, 2), got: make(chan os.Signal, 1)}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-s.ch
		s.got <- sig
		cancel()
		// A second signal means "now": restore default handling.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
	}()
	return ctx, s
}

func (s *signalStop) received() os.Signal {
	select {
	case sig := <-s.got:
		return sig
	default:
		return nil
	}
}
