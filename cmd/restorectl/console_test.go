package main

import (
	"strings"
	"testing"
)

// Without a terminal the console says so, points to the subcommands, and
// exits 2.
func TestConsoleNeedsTerminal(t *testing.T) {
	for _, args := range [][]string{nil, {"console", "--store", t.TempDir()}, {"demo"}} {
		stdout, stderr, code := runCLI(t, nil, args...)
		if code != exitUsage || !strings.Contains(stderr, "needs a terminal") || !strings.Contains(stderr, "restore") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if args == nil && !strings.Contains(stdout, "Commands:") {
			t.Errorf("no arguments, no terminal: the overview is missing: %q", stdout)
		}
	}
}
