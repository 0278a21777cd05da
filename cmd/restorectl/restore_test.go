package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

func TestRestoreUsageErrors(t *testing.T) {
	snap := filepath.Join(sampleStore, "demo", "20261120T030000Z.sql.gz")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no tables", []string{"restore", snap}, "--table, or restore them all with --all"},
		{"tables and all", []string{"restore", snap, "--all", "--table", "a"}, "exclude each other"},
		{"unknown mode", []string{"restore", snap, "--all", "--mode", "replace"}, `unknown mode "replace"`},
		{"no ticket", []string{"restore", snap, "--all", "--mode", "overwrite"}, "--ticket is required"},
		{"no yes", []string{"restore", snap, "--all", "--mode", "merge", "--ticket", "T-1"}, "add --yes"},
		{"cascade with merge", []string{"restore", snap, "--all", "--mode", "merge", "--cascade"}, "--cascade applies to --mode overwrite"},
		{"update-changed with overwrite", []string{"restore", snap, "--all", "--mode", "overwrite", "--update-changed"}, "--update-changed applies to --mode merge"},
		{"no target", []string{"restore", snap, "--project", "demo", "--all", "--mode", "overwrite", "--dry-run", "--store", t.TempDir()}, "no target database"},
		{"no admin url", []string{"restore", snap, "--project", "demo", "--all", "--ticket", "T-1", "--store", t.TempDir()}, "needs --admin-url"},
		{"no project", []string{"restore", snap, "--all", "--dry-run", "--store", t.TempDir()}, "pass --project REF"},
		{"no lock timeout", []string{"restore", snap, "--all", "--mode", "overwrite", "--dry-run", "--lock-timeout", "0s"}, "--lock-timeout must be positive"},
		{"negative timeout", []string{"restore", snap, "--all", "--mode", "overwrite", "--dry-run", "--timeout", "-1s"}, "--timeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestPrintRestoreOutcome: what the command line says of a restore comes
// from its outcome: a committed restore whose recording failed is not
// "rolled back", a lost COMMIT acknowledgement says how to ask the target,
// a cancelled restore is not "failed".
func TestPrintRestoreOutcome(t *testing.T) {
	a := asked{project: "demo", ticket: "T-1"}
	for _, tc := range []struct {
		name    string
		res     apply.Result
		err     error
		want    []string
		notWant []string
	}{
		{"committed, recording failed", apply.Result{Outcome: apply.Committed, AuditID: "a1", SafetyKey: "demo/pre-restore/x.sql.gz"},
			errors.New("the restore was committed; recording it in audit record k failed"),
			[]string{"Restored in", "The restore is committed", "Undo with: restorectl undo a1 --project demo --store s3://b/daily --pg-dump /pg_dump --ticket T-1 --yes"}, []string{"rolled back", "as it was"}},
		{"unknown", apply.Result{Outcome: apply.Unknown, AuditID: "a2", XID: 4242, SafetyKey: "demo/pre-restore/y.sql.gz"}, errors.New("commit: connection reset"),
			[]string{"may or may not have changed", "SELECT pg_catalog.txid_status(4242);", "Undo with: restorectl undo a2"}, []string{"rolled back"}},
		{"rolled back", apply.Result{Outcome: apply.RolledBack, AuditID: "a3"}, errors.New("copy: boom"),
			[]string{"The restore failed and was rolled back: the target is as it was"}, []string{"Undo with"}},
		{"cancelled", apply.Result{Outcome: apply.RolledBack, AuditID: "a4"}, fmt.Errorf("the restore was stopped (%w): read: use of closed network connection", context.Canceled),
			[]string{"The restore was cancelled and was rolled back"}, []string{"failed"}},
		{"busy", apply.Result{Outcome: apply.NotStarted, AuditID: "a5"}, &apply.BusyError{Who: "the restore"},
			[]string{"found a table busy before changing anything"}, []string{"Undo with"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			printRestore(&b, a, &tc.res, tc.err, &ticket.Service{Origin: ticket.Origin{Store: "s3://b/daily", PgDump: "/pg_dump"}})
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("output has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// restoreFixture is a project's database with a snapshot of it in a local
// store, and a target database that started as a copy and has since lost
// rows: the ticket "we deleted rows, please restore".
type restoreFixture struct {
	pg                  *testenv.Postgres
	store, snap         string
	target, targetURL   string
	bigSum, smallSum    string // the target's checksums before any restore
	snapRows, nowRows   int64  // public.big's rows in the snapshot and on the target
	environ             map[string]string
	ref                 string
	sourceDB, sourceURL string
}

const restoreFixtureSQL = `
CREATE TABLE public.big (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, pad text NOT NULL);
CREATE TABLE public.small (id integer PRIMARY KEY, big_id bigint REFERENCES public.big (id), note text);
CREATE TABLE public.audit_log (id serial PRIMARY KEY, what text);
CREATE FUNCTION public.log_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.audit_log (what) VALUES (TG_TABLE_NAME); RETURN NEW; END $$;
CREATE TRIGGER big_log AFTER INSERT ON public.big FOR EACH ROW EXECUTE FUNCTION public.log_insert();
INSERT INTO public.big (pad) SELECT repeat(md5(g::text), 2) FROM generate_series(1, 150000) g;
INSERT INTO public.small SELECT g, g, 'note ' || g FROM generate_series(1, 50) g;
TRUNCATE public.audit_log;
`

func newRestoreFixture(t *testing.T, bigRows int) *restoreFixture {
	t.Helper()
	pg := testenv.StartPostgres(t)
	f := &restoreFixture{pg: pg, store: t.TempDir(), ref: "proj"}
	sql := strings.Replace(restoreFixtureSQL, "150000", fmt.Sprint(bigRows), 1)
	f.sourceDB, f.sourceURL = pg.CreateDatabase(t)
	pg.Exec(t, f.sourceDB, sql)
	f.environ = map[string]string{"PATH": filepath.Dir(pg.Bin("pg_dump")) + ":" + os.Getenv("PATH")}
	if _, stderr, code := runCLI(t, f.environ, "backup", "--project", f.ref, "--database-url", f.sourceURL, "--store", f.store, "--pg-dump", pg.Bin("pg_dump")); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	snaps, _ := filepath.Glob(filepath.Join(f.store, f.ref, "*.sql.gz"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots in the store: %v", snaps)
	}
	// Named REF@TIME, as support engineers do: read from the store, through its index.
	_, at, ok := catalog.ParseSnapshotKey(f.ref + "/" + filepath.Base(snaps[0]))
	if !ok {
		t.Fatalf("not a snapshot key: %s", snaps[0])
	}
	f.snap = f.ref + "@" + at.Format(time.RFC3339)
	f.target, f.targetURL = pg.CreateProject(t) // its tables belong to the project's role
	pg.ExecAs(t, f.target, f.target, sql+"DELETE FROM public.small WHERE id > 40; DELETE FROM public.big WHERE id % 3 = 0 AND id > 50;")
	f.bigSum, f.smallSum = pg.TableChecksum(t, f.target, "public.big"), pg.TableChecksum(t, f.target, "public.small")
	f.snapRows = int64(bigRows)
	f.nowRows = f.count(t, f.target, "public.big")
	return f
}

func (f *restoreFixture) count(t *testing.T, db, table string) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), f.pg.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runningRecords counts the audit records of restores that never finished.
func (f *restoreFixture) runningRecords(t *testing.T) int {
	t.Helper()
	store, err := catalog.NewLocal(f.store)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := apply.ListRecords(t.Context(), store, f.ref)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Outcome == apply.OutcomeRunning {
			n++
		}
	}
	return n
}

// args are a restore of the fixture's snapshot into its target.
func (f *restoreFixture) args(extra ...string) []string {
	return append([]string{"restore", f.snap, "--store", f.store, "--project", f.ref, "--target", f.targetURL,
		"--pg-dump", f.pg.Bin("pg_dump"), "--operator", "tester"}, extra...)
}

func (f *restoreFixture) assertTargetUnchanged(t *testing.T) {
	t.Helper()
	if got := f.pg.TableChecksum(t, f.target, "public.big"); got != f.bigSum {
		t.Errorf("public.big changed: checksum %s, was %s", got, f.bigSum)
	}
	if got := f.pg.TableChecksum(t, f.target, "public.small"); got != f.smallSum {
		t.Errorf("public.small changed: checksum %s, was %s", got, f.smallSum)
	}
}

func TestRestoreOverwriteCommand(t *testing.T) {
	f := newRestoreFixture(t, 2000)
	// A dry run prints the plan, changes nothing, and is audited.
	stdout, stderr, code := runCLI(t, f.environ, f.args("--table", "public.big", "--mode", "overwrite", "--dry-run", "--cascade")...)
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"public.big", "public.small", "TRUNCATE", "Dry run: nothing was changed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	f.assertTargetUnchanged(t)
	// A dry run has nothing to undo.
	dryID := regexp.MustCompile(`Audit record ([0-9a-f]{8})`).FindStringSubmatch(stdout)
	if dryID == nil {
		t.Fatalf("no audit record id in the dry run's output:\n%s", stdout)
	}
	_, stderr, code = runCLI(t, f.environ, "undo", dryID[1], "--project", f.ref, "--store", f.store, "--target", f.targetURL, "--ticket", "T-1", "--yes")
	if code != exitFailure || !strings.Contains(stderr, "no safety snapshot") {
		t.Errorf("undo of a dry run: exit %d, stderr %q", code, stderr)
	}

	// Without --cascade, public.small's foreign key refuses the restore.
	_, stderr, code = runCLI(t, f.environ, f.args("--table", "public.big", "--mode", "overwrite", "--ticket", "T-1", "--yes")...)
	if code != exitFailure || !strings.Contains(stderr, "public.small") || !strings.Contains(stderr, "--cascade") {
		t.Errorf("restore referenced by a foreign key: exit %d, stderr %q", code, stderr)
	}
	f.assertTargetUnchanged(t)

	stdout, stderr, code = runCLI(t, f.environ, f.args("--table", "public.big", "--mode", "overwrite", "--cascade", "--ticket", "T-1", "--yes", "--json")...)
	if code != 0 {
		t.Fatalf("overwrite: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res struct {
		AuditID  string `json:"audit_id"`
		Safety   string `json:"safety_snapshot"`
		Verified bool   `json:"verified"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if !res.Verified || res.AuditID == "" || !strings.HasPrefix(res.Safety, f.ref+"/pre-restore/") {
		t.Errorf("result %+v", res)
	}
	for _, table := range []string{"public.big", "public.small"} {
		if got, want := f.pg.TableChecksum(t, f.target, table), f.pg.TableChecksum(t, f.sourceDB, table); got != want {
			t.Errorf("%s after overwrite: checksum %s, snapshot's %s", table, got, want)
		}
	}
	if n := f.count(t, f.target, "public.audit_log"); n != 0 {
		t.Errorf("the insert trigger fired %d times during the restore", n)
	}

	// Undo refuses another database than the one the restore changed.
	_, stderr, code = runCLI(t, f.environ, "undo", res.AuditID, "--project", f.ref, "--store", f.store, "--target", f.pg.URL(f.sourceDB),
		"--pg-dump", f.pg.Bin("pg_dump"), "--ticket", "T-1", "--yes")
	if code != exitFailure || !strings.Contains(stderr, "pass the same database") {
		t.Errorf("undo on another database: exit %d, stderr %q", code, stderr)
	}
	// Undo puts the target back as it was before the restore.
	_, stderr, code = runCLI(t, f.environ, "undo", res.AuditID, "--project", f.ref, "--store", f.store, "--target", f.targetURL,
		"--pg-dump", f.pg.Bin("pg_dump"), "--ticket", "T-1", "--yes")
	if code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, stderr)
	}
	f.assertTargetUnchanged(t)

	stdout, stderr, code = runCLI(t, f.environ, "audit", "--project", f.ref, "--store", f.store)
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{res.AuditID, "overwrite", "dry-run", "refused", "ok", "T-1", "tester"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("audit listing lacks %q:\n%s", want, stdout)
		}
	}
}

// startStalled starts the test binary bin with args, parked at phase
// (RESTORECTL_TEST_STALL_AT), and returns once it is there; its stdout
// goes to stdout (nil: discarded).
func startStalled(t *testing.T, bin, phase string, stdout io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RESTORECTL_TEST_STALL_AT="+phase)
	cmd.Stdout = stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stalled := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "stalled at "+phase) {
				stalled <- ""
				io.Copy(io.Discard, stderr) // the rest, so that it never blocks
				return
			}
		}
		stalled <- all.String()
	}()
	select {
	case out := <-stalled:
		if out != "" {
			t.Fatalf("restorectl ended before reaching %s:\n%s", phase, out)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("restorectl did not reach %s within 2 minutes", phase)
	}
	return cmd
}

// TestRestoreKilled kills the real binary with SIGKILL at several points of
// a restore: the target must be exactly as it was, and for a new project no
// database may remain under its name (the temporary one is swept up by the
// next restore).
func TestRestoreKilled(t *testing.T) {
	bin := buildBinary(t, testHooksTag)
	f := newRestoreFixture(t, 200000) // a COPY of some 13 MB: killed mid-stream
	running := 0
	for _, tt := range []struct {
		name, phase string
		args        []string
	}{
		{"overwrite killed mid-COPY", "copy", f.args("--table", "public.big", "--mode", "overwrite", "--cascade", "--ticket", "T-9", "--yes")},
		{"overwrite killed before COMMIT", "commit", f.args("--table", "public.big", "--mode", "overwrite", "--cascade", "--ticket", "T-9", "--yes")},
		{"merge killed before COMMIT", "commit", f.args("--table", "public.small", "--mode", "merge", "--ticket", "T-9", "--yes")},
		{"new project killed building indexes", "index", []string{"restore", f.snap, "--store", f.store, "--all", "--admin-url", f.pg.URL("postgres"), "--new-project", "killed_np", "--ticket", "T-9"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := startStalled(t, bin, tt.phase, nil, tt.args...)
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			f.assertTargetUnchanged(t)
			// The killed restore left its trace: a record still "running".
			if got, want := f.runningRecords(t), running+1; got != want {
				t.Errorf("%d audit records say running, want %d", got, want)
			}
			running++
			if tt.phase == "index" {
				if n := f.count(t, "postgres", "pg_database WHERE datname LIKE 'killed_np%'"); n != 1 {
					t.Errorf("%d databases named killed_np*, want only the abandoned temporary one", n)
				}
			}
		})
	}
	// The next new-project restore sweeps the abandoned database up.
	if _, stderr, code := runCLI(t, f.environ, "restore", f.snap, "--store", f.store, "--table", "public.small",
		"--admin-url", f.pg.URL("postgres"), "--new-project", "killed_np", "--ticket", "T-9"); code != 0 {
		t.Fatalf("new-project restore after the kill: %s", stderr)
	}
	if n := f.count(t, "postgres", "pg_database WHERE datname LIKE 'killed_np%'"); n != 1 {
		t.Errorf("%d databases named killed_np*, want 1 (the new project)", n)
	}
	f.pg.Exec(t, "postgres", `DROP DATABASE killed_np WITH (FORCE)`)
}

// TestRestoreTerminated: SIGTERM mid-COPY (a pod evicted, Ctrl-C) rolls
// the restore back, says it was cancelled, and records it as cancelled
// with the transaction rolled back, not as failed.
func TestRestoreTerminated(t *testing.T) {
	bin := buildBinary(t, testHooksTag)
	f := newRestoreFixture(t, 200000)
	var stdout strings.Builder
	cmd := startStalled(t, bin, "copy", &stdout, f.args("--table", "public.big", "--mode", "overwrite", "--cascade", "--ticket", "T-9", "--yes")...)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitSIGTERM {
		t.Errorf("exit status %d, want %d", code, exitSIGTERM)
	}
	if !strings.Contains(stdout.String(), "The restore was cancelled and was rolled back") {
		t.Errorf("stdout does not say the restore was cancelled and rolled back:\n%s", stdout.String())
	}
	f.assertTargetUnchanged(t)
	store, err := catalog.NewLocal(f.store)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := apply.ListRecords(t.Context(), store, f.ref)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %+v, %v; want one", recs, err)
	}
	if r := recs[0]; r.Outcome != apply.OutcomeCancelled || r.Transaction != apply.RolledBack {
		t.Errorf("record: outcome %s, transaction %s; want cancelled, rolled-back", r.Outcome, r.Transaction)
	}
}

// TestRestoreNeverShowsPassword: the target's password appears nowhere a
// restore writes, whether it succeeds, is refused or cannot connect.
func TestRestoreNeverShowsPassword(t *testing.T) {
	f := newRestoreFixture(t, 100)
	const secret = "hunter2-s3cret"
	withPassword := strings.Replace(f.targetURL, "postgres://postgres@", "postgres://postgres:"+secret+"@", 1)
	if withPassword == f.targetURL {
		t.Fatalf("no password put into %s", f.targetURL)
	}
	unreachable := strings.Replace(withPassword, fmt.Sprintf(":%d/", f.pg.Port), ":1/", 1)
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"dry run", []string{"--table", "public.big", "--mode", "overwrite", "--cascade", "--dry-run", "--target", withPassword}, 0},
		{"refused", []string{"--table", "public.big", "--mode", "overwrite", "--ticket", "T", "--yes", "--target", withPassword}, exitFailure},
		{"restored", []string{"--table", "public.small", "--mode", "merge", "--ticket", "T", "--yes", "--json", "--target", withPassword}, 0},
		{"unreachable", []string{"--table", "public.small", "--mode", "merge", "--ticket", "T", "--yes", "--target", unreachable}, exitFailure},
		{"from the template", []string{"--table", "public.small", "--mode", "merge", "--dry-run"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"restore", f.snap, "--store", f.store, "--pg-dump", f.pg.Bin("pg_dump")}, tt.args...)
			environ := map[string]string{"RESTORECTL_TARGET_URL_TEMPLATE": withPassword + "&application_name=restorectl-{ref}"}
			stdout, stderr, code := runCLI(t, environ, args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d\n%s", code, tt.code, stderr)
			}
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("the password shows:\n%s\n%s", stdout, stderr)
			}
		})
	}
	err := filepath.WalkDir(f.store, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		if strings.Contains(readFile(t, path), secret) {
			t.Errorf("the password is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
