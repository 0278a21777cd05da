package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionStore is a local store with two projects, demo and shop, each
// with a snapshot of the sample store; demo's is indexed, shop's is not.
func completionStore(t *testing.T) string {
	t.Helper()
	store := t.TempDir()
	for ref, name := range map[string]string{"demo": "20261122T030000Z.sql.gz", "shop": "20261121T030000Z.sql.gz"} {
		b, err := os.ReadFile(filepath.Join(sampleStore, "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(store, ref), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(store, ref, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := runCLI(t, nil, "index", "demo@2026-11-22T12:00:00Z", "--store", store); code != exitOK {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	return store
}

// complete runs `restorectl __complete args...` and returns its candidates
// (descriptions cut off) and its directive line.
func complete(t *testing.T, environ map[string]string, args ...string) (candidates []string, directive string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, environ, append([]string{"__complete"}, args...)...)
	if code != exitOK {
		t.Fatalf("__complete %q: exit %d: %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		candidates = append(candidates, name)
	}
	return candidates, lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	store := completionStore(t)
	withStore := map[string]string{"RESTORECTL_STORE": store}
	const snap = "demo@2026-11-22T12:00:00Z"
	tests := []struct {
		name      string
		environ   map[string]string
		args      []string
		want      []string
		directive string
	}{
		{"command prefix", nil, []string{"snap"}, []string{"snapshots"}, ":4"},
		{"flag prefix", nil, []string{"restore", "x", "--mo"}, []string{"--mode"}, ":4"},
		{"one-letter flag", nil, []string{"extract", "x", "-"}, []string{"--data-only", "--dry-run", "--force", "--help", "-h", "--json", "--no-index", "-o", "--schema-only", "--stats", "--store", "--table", "--tz"}, ":4"},
		{"long flags", nil, []string{"extract", "x", "--f"}, []string{"--force"}, ":4"},
		{"mode values", nil, []string{"restore", "x", "--mode", ""}, []string{"new-project", "overwrite", "merge"}, ":4"},
		{"mode prefix", nil, []string{"restore", "x", "--mode", "ov"}, []string{"overwrite"}, ":4"},
		{"tz", nil, []string{"snapshots", "--tz", "Europe/Be"}, []string{"Europe/Berlin"}, ":4"},
		{"completion shells", nil, []string{"completion", ""}, []string{"bash", "zsh", "fish"}, ":4"},
		{"project from --store", nil, []string{"snapshots", "--store", store, "--project", ""}, []string{"demo", "shop"}, ":4"},
		{"project from env", withStore, []string{"audit", "--project", "s"}, []string{"shop"}, ":4"},
		{"project without store", nil, []string{"audit", "--project", ""}, nil, ":4"},
		{"project from bad store", nil, []string{"audit", "--store", filepath.Join(store, "nope"), "--project", ""}, nil, ":4"},
		{"snapshot arg", withStore, []string{"tables", ""}, []string{"demo@", "shop@"}, ":6"},
		{"snapshot arg prefix", nil, []string{"preview", "--store", store, "de"}, []string{"demo@"}, ":6"},
		{"snapshot path", withStore, []string{"tables", "./"}, nil, ":0"},
		{"table prefix", nil, []string{"extract", snap, "--store", store, "--table", "public.o"}, []string{"public.orders"}, ":4"},
		{"table prefix, store from env", withStore, []string{"preview", snap, "--table", "pu"}, []string{"public.customers", "public.orders"}, ":4"},
		{"table after comma", withStore, []string{"restore", snap, "--table", "public.orders,pu"}, []string{"public.orders,public.customers"}, ":4"},
		{"table of an unindexed snapshot", withStore, []string{"extract", "shop@2026-11-22T12:00:00Z", "--table", "pu"}, nil, ":4"},
		{"table without snapshot", withStore, []string{"extract", "--table", "pu"}, nil, ":4"},
		{"table of a missing project", withStore, []string{"extract", "gone@2026-11-22T12:00:00Z", "--table", "pu"}, nil, ":4"},
		{"output file", nil, []string{"extract", snap, "-o", ""}, nil, ":0"},
		{"ticket", nil, []string{"restore", snap, "--ticket", ""}, nil, ":4"},
		{"no arguments", nil, []string{"projects", ""}, nil, ":4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.environ, tt.args...)
			if !slices.Equal(got, tt.want) || directive != tt.directive {
				t.Errorf("__complete %q = %q %s, want %q %s", tt.args, got, directive, tt.want, tt.directive)
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, "completion", shell)
			if code != exitOK || !strings.Contains(stdout, "restorectl") || !strings.Contains(stdout, "__complete") {
				t.Errorf("exit %d, stderr %q, script:\n%.400s", code, stderr, stdout)
			}
		})
	}
	_, stderr, code := runCLI(t, nil, "completion", "bsh")
	if code != exitUsage || !strings.Contains(stderr, `unknown shell "bsh"`) || !strings.Contains(stderr, "bash") {
		t.Errorf("completion bsh: exit %d: %s", code, stderr)
	}
	_, stderr, code = runCLI(t, nil, "completion", "-h")
	if code != exitOK || !strings.Contains(stderr, "~/.bashrc") {
		t.Errorf("completion -h: exit %d: %s", code, stderr)
	}
}

// TestCollectFlagsRunsNothing: collecting a command's flags hands them over
// from its -h without running it: every command stops at its flags, and
// nothing is opened or written, even with a store and an output file on
// the line (collect mode ignores them: only -h is passed).
func TestCollectFlagsRunsNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	newStore := filepath.Join(dir, "store")
	for _, c := range commands() {
		got, err := collectFlags(c)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.fs.Name() != c.name {
			t.Errorf("%s: collected the flags of %q", c.name, got.fs.Name())
		}
	}
	// A completion request with a store that does not exist and -o on the
	// line: the store is not created, the file not written.
	complete(t, map[string]string{"RESTORECTL_STORE": newStore}, "backup", "--store", newStore, "--project", "")
	complete(t, nil, "extract", "x@now", "--store", newStore, "-o", filepath.Join(dir, "out.sql"), "--table", "")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("collecting flags left %v (%v)", entries, err)
	}
	// Each command's flags are there: backup's --pg-dump, extract's -o.
	for name, flag := range map[string]string{"backup": "pg-dump", "extract": "o", "restore": "mode", "demo": "at"} {
		for _, c := range commands() {
			if got, err := collectFlags(c); c.name == name && (err != nil || got.fs.Lookup(flag) == nil) {
				t.Errorf("%s: no flag %s collected (%v)", name, flag, err)
			}
		}
	}
}
