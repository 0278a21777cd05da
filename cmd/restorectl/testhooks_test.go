package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testHooksTag builds the test hooks into a binary (testhooks_on.go):
// only the tests do.
const testHooksTag = "restorectl_testhooks"

// TestTestHooksOnlyInTestBuilds: RESTORECTL_TEST_STALL_AT parks a restore
// in a binary built with testHooksTag, and does nothing in one built as
// shipped (go build, no tags).
func TestTestHooksOnlyInTestBuilds(t *testing.T) {
	snap, err := filepath.Abs(filepath.Join(sampleStore, "demo", "20261120T030000Z.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tags   []string
		stalls bool
	}{
		{"as shipped", nil, false},
		{"test build", []string{testHooksTag}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := buildBinary(t, tt.tags...)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			// A dry run into a new project needs no database; "done" is
			// the last event of every restore.
			cmd := exec.CommandContext(ctx, bin, "restore", snap, "--project", "demo", "--all", "--dry-run", "--store", t.TempDir())
			cmd.Env = append(os.Environ(), "RESTORECTL_TEST_STALL_AT=done")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var lines []string
			stalled := false
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if strings.Contains(sc.Text(), "stalled at done") {
					stalled = true
					cmd.Process.Kill()
				}
			}
			io.Copy(io.Discard, stderr)
			err = cmd.Wait()
			if stalled != tt.stalls {
				t.Errorf("stalled: %v, want %v; stderr:\n%s", stalled, tt.stalls, strings.Join(lines, "\n"))
			}
			if !tt.stalls && (err != nil || !strings.Contains(stdout.String(), "Dry run: nothing was changed")) {
				t.Errorf("the dry run did not finish: %v\n%s\n%s", err, stdout.String(), strings.Join(lines, "\n"))
			}
		})
	}
}

// In the test binary itself (built without the tag unless asked), the hook
// is not there: the restore's progress is left as it is.
func TestTestHooksOffByDefault(t *testing.T) {
	if testHooksBuilt {
		t.Skip("this test binary was built with " + testHooksTag)
	}
	e := env{stderr: io.Discard, getenv: func(k string) string {
		if k == "RESTORECTL_TEST_STALL_AT" {
			return "plan"
		}
		return ""
	}}
	if p := testHooks(t.Context(), nil, e); p != nil {
		t.Errorf("testHooks = %#v, want the progress unchanged (nil)", p)
	}
}
