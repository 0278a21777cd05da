package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
)

// TestCLIMessages: the command line's errors and notes, each with its
// exit status: suggestions for typos (commands, flags, tables), a hint
// for an unquoted time, one status per kind of error.
func TestCLIMessages(t *testing.T) {
	store := sampleCopy(t)
	file := filepath.Join(store, "demo", "20261121T030000Z.sql.gz")
	indexed := filepath.Join(store, "demo", "20261122T030000Z.sql.gz")
	if _, stderr, code := runCLI(t, nil, "index", indexed); code != exitOK {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	withStore := map[string]string{"RESTORECTL_STORE": store}
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		code    int
		want    []string // in stderr
		notWant []string
	}{
		{"command typo", nil, []string{"snapshot"}, exitUsage,
			[]string{`unknown command "snapshot"; did you mean snapshots?`}, nil},
		{"command swap", nil, []string{"tabels"}, exitUsage, []string{"did you mean tables?"}, nil},
		{"command prefix", nil, []string{"extr"}, exitUsage, []string{"did you mean extract?"}, nil},
		{"command far off", nil, []string{"frobnicate"}, exitUsage, []string{`unknown command "frobnicate"`}, []string{"did you mean"}},
		{"flag typo", nil, []string{"preview", file, "--tabel", "public.orders"}, exitUsage,
			[]string{"preview: unknown flag --tabel; did you mean --table?"}, []string{"flag provided but not defined"}},
		{"flag typo, one dash", nil, []string{"prune", "-keep-day", "3"}, exitUsage, []string{"unknown flag --keep-day; did you mean --keep-days?"}, nil},
		{"flag value", nil, []string{"preview", file, "--table", "public.orders", "--limit", "many"}, exitUsage,
			[]string{`preview: invalid value "many" for flag --limit`}, nil},
		{"flag without value", nil, []string{"extract", file, "--table", "public.orders", "-o"}, exitUsage,
			[]string{"extract: flag needs an argument: -o"}, nil},

		{"unquoted time", withStore, []string{"tables", "demo@2026-11-21", "14:05"}, exitUsage,
			[]string{`tables: want 1 argument, got 2: ["demo@2026-11-21" "14:05"]; a time with spaces is one argument: quote it: restorectl tables "demo@2026-11-21 14:05"`}, nil},
		{"unquoted time ago", withStore, []string{"preview", "--table", "orders", "demo@3", "hours", "ago"}, exitUsage,
			[]string{`quote it: restorectl preview "demo@3 hours ago"`}, nil},
		{"two snapshots", nil, []string{"tables", file, indexed}, exitUsage,
			[]string{"tables: want 1 argument, got 2"}, []string{"quote it", "argument(s)"}},
		{"no snapshot", nil, []string{"tables"}, exitUsage, []string{"tables: want 1 argument, got 0"}, nil},

		{"bad time in REF@TIME", withStore, []string{"tables", "demo@whenever"}, exitUsage, []string{`cannot read time "whenever"`}, nil},
		{"bad time in --near", withStore, []string{"snapshots", "--project", "demo", "--near", "whenever"}, exitUsage, []string{`cannot read time "whenever"`}, nil},
		{"bad zone", withStore, []string{"tables", "demo@yesterday", "--tz", "Mars/Olympus"}, exitUsage, []string{`unknown --tz "Mars/Olympus"`}, nil},
		{"no snapshot before", withStore, []string{"tables", "demo@2020-01-01"}, exitFailure, []string{"no snapshot at or before"}, nil},
		{"bad table name", nil, []string{"extract", file, "--table", `"public`}, exitUsage, []string{"extract: --table \"public:", "unterminated"}, nil},
		{"bad table name in restore", nil, []string{"restore", file, "--table", `"public`, "--dry-run"}, exitUsage, []string{"restore: --table \"public:", "unterminated"}, nil},
		{"bad table name in preview", nil, []string{"preview", file, "--table", `"public`}, exitUsage, []string{"unterminated"}, nil},

		{"preview typo, schema-qualified", nil, []string{"preview", file, "--table", "public.order"}, exitFailure,
			[]string{`no table public."order" in the snapshot; did you mean public.orders`}, nil},
		{"preview typo, indexed", nil, []string{"preview", indexed, "--table", "public.order"}, exitFailure,
			[]string{`did you mean public.orders`}, nil},
		{"preview typo, scanned", nil, []string{"preview", indexed, "--table", "public.order", "--no-index"}, exitFailure,
			[]string{`did you mean public.orders`}, nil},
		{"preview typo, REF@TIME", withStore, []string{"preview", "demo@2026-11-21 14:05", "--table", "public.order"}, exitFailure,
			[]string{"snapshot: demo/20261121T030000Z.sql.gz (", `did you mean public.orders`}, nil},
		{"preview typo, unqualified", nil, []string{"preview", file, "--table", "ordrs"}, exitFailure, []string{"did you mean public.orders"}, nil},

		{"tables says what it picked", withStore, []string{"tables", "demo@2026-11-21 14:05"}, exitOK,
			[]string{"snapshot: demo/20261121T030000Z.sql.gz (2026-11-21 03:00 UTC, 11h05m before the time asked)\n"}, nil},
		{"in the zone asked", withStore, []string{"tables", "demo@2026-11-21 14:05", "--tz", "Europe/Berlin"}, exitOK,
			[]string{"snapshot: demo/20261121T030000Z.sql.gz (2026-11-21 04:00 CET, 10h05m before the time asked)\n"}, nil},
		{"at the time asked", withStore, []string{"preview", "demo@2026-11-21T03:00:00Z", "--table", "orders", "--limit", "1"}, exitOK,
			[]string{"snapshot: demo/20261121T030000Z.sql.gz (2026-11-21 03:00 UTC, the time asked)\n"}, nil},
		{"a file named is not picked", nil, []string{"tables", file}, exitOK, nil, []string{"snapshot:"}},

		{"stats", nil, []string{"extract", file, "--table", "public.orders", "--stats"}, exitOK,
			[]string{"in 2 requests, scan (", " KiB of "}, []string{"request(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.environ, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr holds %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestPlurals: counts of one read as one, in what extract writes.
func TestPlurals(t *testing.T) {
	file := filepath.Join(sampleStore, "demo", "20261121T030000Z.sql.gz")
	stdout, stderr, code := runCLI(t, nil, "extract", file, "--table", "public.orders", "--dry-run")
	if code != exitOK || !regexp.MustCompile(`(?m)^\d+ statements, 1 COPY block, 55 rows, [\d.]+ KiB of data$`).MatchString(stdout) {
		t.Errorf("dry run: exit %d, stdout:\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "orders.sql")
	_, stderr, code = runCLI(t, nil, "extract", file, "--table", "public.orders", "-o", out)
	if code != exitOK || !regexp.MustCompile(`(?m)^wrote .*orders\.sql: \d+ statements, 55 rows of 1 table \([\d.]+ KiB of data\)$`).MatchString(stderr) {
		t.Errorf("extract -o: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestExtractRefusesExistingFile: -o never replaces a file unless --force
// asks to; what was there stays as it was.
func TestExtractRefusesExistingFile(t *testing.T) {
	file := filepath.Join(sampleStore, "demo", "20261121T030000Z.sql.gz")
	dir := t.TempDir()
	out := filepath.Join(dir, "orders.sql")
	if err := os.WriteFile(out, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
		file string // what out holds after, "" for a script
	}{
		{"refused", []string{"-o", out}, exitFailure, "orders.sql exists: nothing was written; pass --force to replace it", "mine"},
		{"refused, flags in another order", []string{"-o=" + out, "--data-only"}, exitFailure, "pass --force", "mine"},
		{"--force alone", []string{"--force"}, exitUsage, "--force applies to -o FILE only", "mine"},
		{"replaced with --force", []string{"-o", out, "--force"}, exitOK, "wrote ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, append([]string{"extract", file, "--table", "public.orders"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			b, err := os.ReadFile(out)
			switch {
			case err != nil:
				t.Fatal(err)
			case tt.file != "" && string(b) != tt.file:
				t.Errorf("%s holds %q, want %q", out, b, tt.file)
			case tt.file == "" && !bytes.Contains(b, []byte("COPY public.orders")):
				t.Errorf("%s holds no script: %q", out, b)
			}
			assertFiles(t, dir, "orders.sql")
		})
	}
}

// TestHelpGNUStyle: every command's help lists its flags as --flag VALUE
// (-o for a one-letter flag), and the overview lists the exit statuses.
func TestHelpGNUStyle(t *testing.T) {
	goStyle := regexp.MustCompile(`(?m)^\s+-[a-z][a-z-]+\b`) // -limit
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, c.name, "--help")
			if code != exitOK || !strings.HasPrefix(stderr, "Usage: restorectl "+c.name) {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if m := goStyle.FindString(stderr); m != "" {
				t.Errorf("Go-style flag %q in:\n%s", m, stderr)
			}
		})
	}
	_, stderr, _ := runCLI(t, nil, "preview", "-h")
	for _, want := range []string{
		"\nFlags:\n", "\n  --json\n      print JSON\n", "\n  --limit N\n      how many rows to show (default: 10)\n",
		"\n  --store URL\n", "\n  --tz ZONE\n", "(default: UTC)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("preview -h lacks %q:\n%s", want, stderr)
		}
	}
	_, stderr, _ = runCLI(t, nil, "extract", "-h")
	if !strings.Contains(stderr, "\n  -o FILE\n      write the script to FILE") || !strings.Contains(stderr, "\n  --force\n") {
		t.Errorf("extract -h:\n%s", stderr)
	}
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "  ") && len(line) > 80 {
			t.Errorf("help line longer than 80 columns: %q", line)
		}
	}

	stdout, _, code := runCLI(t, nil, "-h")
	for _, want := range []string{"\nExit status:\n", "\n  0    done\n", "\n  1    failed", "\n  2    bad flags, arguments or input", "\n  130  interrupted", "\n  143  stopped"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("restorectl -h: exit %d, lacks %q:\n%s", code, want, stdout)
		}
	}
}

// TestAuditTimeZone: audit shows times in --tz, and names it.
func TestAuditTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	var b bytes.Buffer
	printRecords(&b, []apply.Record{{ID: "r1", StartedAt: time.Date(2026, 11, 21, 13, 5, 0, 0, time.UTC), Mode: apply.Overwrite, Outcome: apply.OutcomeOK}}, berlin)
	if !regexp.MustCompile(`(?m)^ID +STARTED \(Europe/Berlin\) +MODE`).MatchString(b.String()) || !strings.Contains(b.String(), "2026-11-21 14:05:00") {
		t.Errorf("audit in Berlin:\n%s", b.String())
	}
	_, stderr, code := runCLI(t, nil, "audit", "--project", "demo", "--tz", "Nowhere/Else", "--store", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, `unknown --tz "Nowhere/Else"`) {
		t.Errorf("audit --tz Nowhere/Else: exit %d, %q", code, stderr)
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"snapshots", "tables", "table", "preview", "extract", "restore", "keep-days", "keep-min", "tz"}
	tests := []struct {
		typed string
		want  []string
	}{
		{"snapshot", []string{"snapshots"}},
		{"tabel", []string{"table", "tables"}},
		{"restor", []string{"restore"}},
		{"extr", []string{"extract"}},
		{"keep-day", []string{"keep-days"}},
		{"tzz", []string{"tz"}},
		{"x", nil},
		{"frobnicate", nil},
	}
	for _, tt := range tests {
		if got := closest(tt.typed, cands); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("closest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"tabel", "table", 1}, {"snapshot", "snapshots", 1}, {"kitten", "sitting", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestSnapshotsOne: one snapshot is "1 snapshot".
func TestSnapshotsOne(t *testing.T) {
	dir := t.TempDir()
	s, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, s, catalog.SnapshotKey("p", time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)), make([]byte, 2048))
	stdout, stderr, code := runCLI(t, nil, "snapshots", "--store", dir, "--project", "p")
	if code != exitOK || !strings.HasPrefix(stdout, "1 snapshot of project p in ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
