//go:build torture

package torture

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

// Bounds of the build: fetching the source (23 MB), and running the
// schedule (about a minute and a half on two cores).
const (
	fetchTimeout   = 5 * time.Minute
	regressTimeout = 10 * time.Minute
)

// regressSource returns PostgreSQL's src/test/regress for the cluster's
// major version, fetched on first use into the repository's .tools/.
func regressSource(t *testing.T, pg *testenv.Postgres) string {
	t.Helper()
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(t.Context(), fetchTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "pg-regress-source.sh"), pg.BinDir, filepath.Join(root, ".tools"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fetch PostgreSQL's regression tests: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// repoRoot is the directory of go.mod, where scripts/ and .tools/ are.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for !fileExists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	return dir
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// regressRun is what running the schedule did.
type regressRun struct {
	Tests   int               // tests run
	Differ  []string          // tests whose output differs from the expected
	Skipped map[string]string // tests left out, and why
	Took    time.Duration
}

// buildRegression runs the regression schedule (skip left out) with the
// installed pg_regress against the cluster, as `make installcheck` does:
// it drops and creates database "regression" and leaves it with whatever
// the tests did not drop. That tests differ from their expected output is
// expected (no regress.so, other platform): only what remains matters.
func buildRegression(t *testing.T, pg *testenv.Postgres, src string, skip map[string]string) regressRun {
	t.Helper()
	start := time.Now()
	// The server (the "postgres" system user when the tests run as root)
	// writes COPY ... TO files into results/ and reads data/ from src.
	out, err := os.MkdirTemp("", "restorectl-torture-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	results := filepath.Join(out, "results")
	if err := os.Mkdir(results, 0o777); err != nil {
		t.Fatal(err)
	}
	for dir, mode := range map[string]os.FileMode{out: 0o755, results: 0o777} {
		if err := os.Chmod(dir, mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	schedule := filepath.Join(out, "schedule")
	run := regressRun{Skipped: skip}
	if run.Tests, err = writeSchedule(filepath.Join(src, "parallel_schedule"), schedule, skip); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), regressTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgRegress(t, pg),
		"--host="+pg.Host, fmt.Sprintf("--port=%d", pg.Port), "--user="+pg.User, "--bindir="+pg.BinDir,
		"--inputdir="+src, "--outputdir="+out, "--schedule="+schedule, "--dbname=regression",
		// PG_LIBDIR of the tests: regress.so is not there, so the
		// CREATE FUNCTION ... AS 'regress.so' statements fail.
		"--dlpath="+out)
	cmd.Dir = out
	cmd.WaitDelay = 10 * time.Second
	output, err := cmd.CombinedOutput()
	summary, rerr := os.ReadFile(filepath.Join(out, "regression.out"))
	if ctx.Err() != nil || rerr != nil {
		// pg_regress exits 1 when a test differs; without its summary it
		// did not get through the schedule.
		t.Fatalf("pg_regress did not finish the schedule within %s: %v\n%s", regressTimeout, err, tail(string(output), 30))
	}
	failed := regexp.MustCompile(`(?m)^(?:test|\s+)\s*(\S+)\s+\.\.\. FAILED`)
	for _, m := range failed.FindAllStringSubmatch(string(summary), -1) {
		run.Differ = append(run.Differ, m[1])
	}
	run.Took = time.Since(start)
	return run
}

// writeSchedule copies pg_regress's schedule without the tests in skip,
// and returns how many tests it holds.
func writeSchedule(from, to string, skip map[string]string) (int, error) {
	b, err := os.ReadFile(from)
	if err != nil {
		return 0, err
	}
	var out strings.Builder
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "test:")
		if !ok {
			out.WriteString(line + "\n")
			continue
		}
		tests := slices.DeleteFunc(strings.Fields(rest), func(name string) bool { _, ok := skip[name]; return ok })
		if len(tests) > 0 {
			out.WriteString("test: " + strings.Join(tests, " ") + "\n")
			n += len(tests)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return n, os.WriteFile(to, []byte(out.String()), 0o644)
}

// pgRegress is the installed pg_regress of the cluster's version, beside
// PGXS (postgresql-client-NN on Debian).
func pgRegress(t *testing.T, pg *testenv.Postgres) string {
	t.Helper()
	out, err := exec.Command(pg.Bin("pg_config"), "--pgxs").Output()
	if err != nil {
		t.Fatalf("pg_config --pgxs: %v", err)
	}
	// .../lib/pgxs/src/makefiles/pgxs.mk
	src := filepath.Dir(filepath.Dir(strings.TrimSpace(string(out))))
	path := filepath.Join(src, "test", "regress", "pg_regress")
	if !fileExists(path) {
		t.Fatalf("no pg_regress at %s (Debian ships it in postgresql-client-NN)", path)
	}
	return path
}

// platformSQL drops from a copy of the regression database what only a
// superuser may create.
//
//go:embed platform.sql
var platformSQL string

// platformVariant creates database "regression_platform" from
// "regression" and runs platform.sql in it; it returns what was dropped.
func platformVariant(t *testing.T, pg *testenv.Postgres) []string {
	t.Helper()
	pg.Exec(t, "postgres", "CREATE DATABASE regression_platform TEMPLATE regression")
	cfg, err := pgx.ParseConfig(pg.URL("regression_platform"))
	if err != nil {
		t.Fatal(err)
	}
	var dropped []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if what, ok := strings.CutPrefix(n.Message, "dropped "); ok && !strings.HasSuffix(what, " objects") {
			dropped = append(dropped, what)
		} else if what, ok := strings.CutPrefix(n.Message, "made "); ok {
			dropped = append(dropped, what)
		}
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), platformSQL); err != nil {
		t.Fatalf("platform.sql: %v", err)
	}
	return dropped
}

// snapshot is a database's snapshot, taken as the backup job takes them
// and opened as a ticket opens them.
type snapshot struct {
	Ref, Database string // the project ref it is filed under; its source database
	Path          string // the .sql.gz in the local store
	Snap          *ticket.Snapshot
	// Err is why it could not be opened (then Snap is nil): a snapshot
	// restorectl refuses fails every check that reads it.
	Err error
}

// takeSnapshot dumps database db into store (at dir) as project ref's
// snapshot, with the backup job's code, and opens it with its index.
func takeSnapshot(t *testing.T, pg *testenv.Postgres, store catalog.Store, dir, ref, db string) *snapshot {
	t.Helper()
	now := time.Now()
	key := catalog.SnapshotKey(ref, now)
	res, err := dump.Write(t.Context(), dump.Config{PgDump: pg.Bin("pg_dump"), Time: now},
		dump.Source{Ref: ref, DatabaseURL: pg.URL(db)}, store, key)
	if err != nil {
		t.Fatalf("snapshot of database %s: %v", db, err)
	}
	s := &snapshot{Ref: ref, Database: db, Path: filepath.Join(dir, filepath.FromSlash(key))}
	if res.IndexErr != nil {
		t.Logf("snapshot of %s: no index (%v): it is scanned", db, res.IndexErr)
	}
	snaps, err := catalog.ListSnapshots(t.Context(), store, ref)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("list the snapshots of %s: %v (%d)", ref, err, len(snaps))
	}
	s.Snap, s.Err = ticket.Open(t.Context(), catalog.Listed(store, snaps[0]), ticket.OpenOptions{})
	return s
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
