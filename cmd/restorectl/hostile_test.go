package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/termsafe/termsafetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// A hostile customer's names and values: escape sequences that retitle
// the window (OSC), clear the screen and colour text (CSI, also as the C1
// control U+009B), and a bidi override.
const (
	hostileTable  = "evil\x1b]0;pwned\x07"
	hostileColumn = "col\x1b[31m"
	hostileFK     = "fk\u009b2J"
)

// hostileValues are the hostile table's values of hostileColumn.
var hostileValues = []string{"\x1b[2Jcleared", "csi \u009b31m red", "bidi \u202eeulav"}

// hostileSQL creates public.parent and the hostile table, which references
// it by a foreign key with a hostile name.
const hostileSQL = `
CREATE TABLE public.parent (id int PRIMARY KEY);
INSERT INTO public.parent VALUES (1);
CREATE TABLE public.U&"evil\001B]0;pwned\0007" (
  id int PRIMARY KEY,
  U&"col\001B[31m" text,
  parent_id int CONSTRAINT U&"fk\009B2J" REFERENCES public.parent (id)
);
INSERT INTO public.U&"evil\001B]0;pwned\0007" VALUES
  (1, E'\x1b[2Jcleared', 1), (2, E'csi \u009b31m red', 1), (3, E'bidi \u202eeulav', NULL);
`

// hostileSnapshot backs up a database holding the hostile table as
// project "evil" into a new store, and returns the store and the
// snapshot's file.
func hostileSnapshot(t *testing.T) (store, file string) {
	t.Helper()
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, hostileSQL)
	store = t.TempDir()
	if _, stderr, code := runCLI(t, nil, "backup", "--project", "evil", "--database-url", url, "--store", store, "--pg-dump", pg.Bin("pg_dump")); code != exitOK {
		t.Fatalf("backup: %s", stderr)
	}
	snaps, _ := filepath.Glob(filepath.Join(store, "evil", "*.sql.gz"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots in the store: %v", snaps)
	}
	return store, snaps[0]
}

// jsonHolds reports whether the JSON value v holds the string s exactly
// (as a value or a key, at any depth).
func jsonHolds(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, e := range v {
			if jsonHolds(e, s) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if k == s || jsonHolds(e, s) {
				return true
			}
		}
	}
	return false
}

// TestHostileNamesEscaped: names and values with escape sequences reach
// the terminal escaped, in tables, previews, extract's notes and dry runs,
// plans, the audit listing and errors; JSON decodes to them exactly.
func TestHostileNamesEscaped(t *testing.T) {
	store, file := hostileSnapshot(t)
	table := `public."` + hostileTable + `"`
	escTable := `public."evil\x1b]0;pwned\x07"`
	escFK := `"fk\u009b2J"`
	tests := []struct {
		name string
		args []string
		code int
		// script: stdout is extract's script, data written exactly; only
		// stderr is for the terminal.
		script bool
		// want are escaped forms the output shows; wantJSON are strings
		// the JSON on stdout holds exactly.
		want     []string
		wantJSON []string
	}{
		{name: "tables", args: []string{"tables", file}, want: []string{escTable}},
		{name: "tables --json", args: []string{"tables", file, "--json"}, wantJSON: []string{hostileTable}},
		{name: "preview", args: []string{"preview", file, "--table", table},
			want: []string{`col\x1b[31m`, `\x1b[2Jcleared`, `csi \u009b31m red`, `bidi \u202eeulav`}},
		{name: "preview --json", args: []string{"preview", file, "--table", table, "--json"},
			wantJSON: append([]string{hostileColumn}, hostileValues...)},
		{name: "preview without an index", args: []string{"preview", file, "--table", table, "--no-index"},
			want: []string{`col\x1b[31m`, `\x1b[2Jcleared`}},
		{name: "preview error", args: []string{"preview", file, "--table", `public."nope` + hostileTable + `"`}, code: exitFailure,
			want: []string{`nope` + `evil\x1b]0;pwned\x07`}},
		{name: "extract notes", args: []string{"extract", file, "--table", table}, script: true,
			want: []string{"left out: FOREIGN KEY " + escFK + " on " + escTable}},
		{name: "extract dry run", args: []string{"extract", file, "--table", table, "--dry-run"},
			want: []string{escTable, "left out: FOREIGN KEY " + escFK}},
		{name: "extract dry run --json", args: []string{"extract", file, "--table", table, "--dry-run", "--json"},
			wantJSON: []string{hostileTable, hostileFK}},
		{name: "restore plan", args: []string{"restore", file, "--project", "evil", "--all", "--dry-run", "--store", store},
			want: []string{escTable}},
		{name: "restore plan --json", args: []string{"restore", file, "--project", "evil", "--all", "--dry-run", "--store", store, "--json"},
			wantJSON: []string{table}},
		{name: "audit", args: []string{"audit", "--project", "evil", "--store", store}, want: []string{`public."evil\x1b]0;pwned\x07"`}},
		{name: "audit --json", args: []string{"audit", "--project", "evil", "--store", store, "--json"}, wantJSON: []string{table}},
		{name: "unknown table in a restore", args: []string{"restore", file, "--project", "evil", "--table", `"` + hostileTable + `x"`, "--dry-run", "--store", store},
			code: exitFailure, want: []string{`evil\x1b]0;pwned\x07x`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", code, tt.code, stdout, stderr)
			}
			shown := stderr
			if !tt.script {
				shown = stdout + stderr
			}
			if raw := termsafetest.RawControls(shown); len(raw) > 0 {
				t.Errorf("the output holds raw controls %v:\n%q", raw, shown)
			}
			for _, want := range tt.want {
				if !strings.Contains(shown, want) {
					t.Errorf("the output lacks %s:\n%s", want, shown)
				}
			}
			if len(tt.wantJSON) > 0 {
				var v any
				if err := json.Unmarshal([]byte(stdout), &v); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, stdout)
				}
				for _, want := range tt.wantJSON {
					if !jsonHolds(v, want) {
						t.Errorf("the JSON lacks %q exactly:\n%s", want, stdout)
					}
				}
			}
			if tt.script && !strings.Contains(stdout, `COPY public."`+hostileTable+`"`) {
				t.Errorf("the script lost the table's real name:\n%s", stdout)
			}
		})
	}
}

// The errors main prints are escaped, their lines kept.
func TestExitCodeEscapesErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("restore %s: boom\n  - second line\twith a tab", hostileTable), "restorectl: restore evil\\x1b]0;pwned\\x07: boom\n  - second line\twith a tab\n"},
		{usagef("table %s \u009b2J\u202e", hostileTable), "restorectl: table evil\\x1b]0;pwned\\x07 \\u009b2J\\u202e\nRun 'restorectl help' for usage.\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		exitCode(&b, tt.err, nil)
		if b.String() != tt.want {
			t.Errorf("exitCode printed %q, want %q", b.String(), tt.want)
		}
	}
}
