package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
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

// tmuxSession runs the real binary in a detached tmux session of the given
// size, for driving the console with keys and reading its screen.
type tmuxSession struct {
	t    *testing.T
	name string
}

func startTmux(t *testing.T, width, height int, dir string, argv ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for the console's end-to-end test (.ci/run installs it)")
	}
	s := &tmuxSession{t: t, name: fmt.Sprintf("restorectl-test-%d", time.Now().UnixNano())}
	args := []string{"new-session", "-d", "-s", s.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), "-c", dir,
		"env", "TERM=xterm-256color", "NO_COLOR=1"}
	if out, err := exec.Command("tmux", append(args, argv...)...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	exec.Command("tmux", "set-option", "-t", s.name, "remain-on-exit", "on").Run()
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	return s
}

// keys sends tmux key names ("Enter", "Escape", "q", "Space"), one at a
// time as a person types: keys that arrive together reach the program as
// one paste.
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if out, err := exec.Command("tmux", "send-keys", "-t", s.name, k).CombinedOutput(); err != nil {
			s.t.Fatalf("tmux send-keys %s: %v\n%s", k, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", s.name).Output()
	return string(out)
}

// waitExit waits for the program to end and returns what it left on the
// terminal, scrollback included, wrapped lines joined (as a person copies
// them).
func (s *tmuxSession) waitExit() string {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !s.exited() {
		if time.Now().After(deadline) {
			s.t.Fatalf("restorectl did not end:\n%s", s.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := exec.Command("tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", s.name).Output()
	if err != nil {
		s.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitFor waits until the screen shows every one of want.
func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	return s.waitForWithin(20*time.Second, want...)
}

// waitForWithin is waitFor for at most d.
func (s *tmuxSession) waitForWithin(d time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		screen := s.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(screen, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen does not show %q after %s:\n%s", missing, d, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exited reports whether the program in the session has ended.
func (s *tmuxSession) exited() bool {
	out, _ := exec.Command("tmux", "display-message", "-p", "-t", s.name, "#{pane_dead}").Output()
	return strings.TrimSpace(string(out)) == "1"
}

// TestDemoEndToEnd drives `restorectl demo` in tmux through a whole
// ticket, as the README's quick start has a newcomer do: the demo's
// throwaway PostgreSQL holds project demo with public.orders damaged; the
// console goes from the ticket to the preview of public.orders in the
// snapshot before the ticket's time, back (Esc clearing the filter first;
// a burst of keys handled key by key), forth again, and overwrites the
// table. The rows are back on the demo's cluster. SIGTERM then ends the
// demo, which leaves the terminal's normal screen with its summary, and
// its cluster stopped and removed.
func TestDemoEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	// The cluster's directory goes under TMPDIR, where the test finds it.
	tmp := sharedTempDir(t)
	// Anywhere: the sample store is built into the binary (and kept under
	// the cache directory, the test's own). Through sh, which shows the
	// demo's exit status once it has ended.
	start := time.Now()
	s := startTmux(t, 100, 30, t.TempDir(), "sh", "-c", `"$@"; echo "exit status $?"`, "sh",
		"env", "XDG_CACHE_HOME="+t.TempDir(), "TMPDIR="+tmp, bin, "demo", "--ticket", "SUP-42")
	s.waitForWithin(time.Minute, "1 Ticket", "demo", "SUP-42")
	t.Logf("the console opened after %s (the demo's PostgreSQL started)", time.Since(start).Round(time.Millisecond))
	clusters, _ := filepath.Glob(filepath.Join(tmp, "restorectl-pg-*"))
	if len(clusters) != 1 {
		t.Fatalf("want the demo's one cluster under TMPDIR, found %v", clusters)
	}
	cluster := clusters[0]
	orders := func() (rows, damaged int, owner string) {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), "host="+filepath.Join(cluster, "run")+" port=5432 user=postgres dbname=demo")
		if err != nil {
			t.Fatalf("connect to the demo's project: %v", err)
		}
		defer conn.Close(context.Background())
		err = conn.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE note = 'oops'),
			(SELECT tableowner FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND tablename = 'orders')::text FROM public.orders`).Scan(&rows, &damaged, &owner)
		if err != nil {
			t.Fatalf("public.orders of the demo's project: %v", err)
		}
		return rows, damaged, owner
	}
	if rows, damaged, owner := orders(); rows != 37 || damaged != 3 || owner != "demo" {
		t.Errorf("the demo's public.orders before the restore: %d rows, %d changed, owned by %q; want 37, 3, demo", rows, damaged, owner)
	}

	// NO_COLOR (set for every tmux test) means no colour, not no
	// emphasis: the text cursor, drawn reversed, stays visible.
	if styled, _ := exec.Command("tmux", "capture-pane", "-p", "-e", "-t", s.name).Output(); !strings.Contains(string(styled), "\x1b[7m") {
		t.Errorf("under NO_COLOR the ticket screen draws nothing reversed (no text cursor):\n%q", styled)
	}
	// Esc does nothing on the first screen (q and Ctrl-C quit).
	s.keys("Escape")
	time.Sleep(200 * time.Millisecond)
	if s.exited() || !strings.Contains(s.screen(), "1 Ticket") {
		t.Fatalf("Esc on the first screen left it:\n%s", s.screen())
	}
	s.keys("Enter")
	s.waitFor("2 Snapshots", "2026-11-21 03:00")
	s.keys("Enter")
	s.waitFor("3 Tables", "public.orders", "auth.users")
	s.keys("/", "o", "r", "d", "Enter", "Space")
	s.waitFor("selected: 1 table · 55 rows")
	s.keys("Enter")
	s.waitFor("4 Preview", "public.orders: 55 rows, the first 10")
	s.keys("Escape")
	s.waitFor("3 Tables", `filter "ord"`)
	// Esc clears the filter first, keeping the selection; keys arriving
	// in one read (tmux writes "gjj" at once) are each handled.
	s.keys("Escape")
	s.waitFor("auth.users", "4 of 5 tables")
	s.keys("gjj", "Space")
	s.waitFor("3 of 5 tables", "selected: 2 tables")
	s.keys("Space")
	s.waitFor("3 Tables", "selected: 1 table")
	s.keys("Enter")
	s.waitFor("4 Preview", "public.orders: 55 rows")
	s.keys("Enter")
	s.waitFor("5 Mode", "Overwrite the tables on the project")
	if screen := s.screen(); strings.Contains(screen, "not available") {
		t.Errorf("the demo's console lacks a mode:\n%s", screen)
	}
	s.keys("Down", "Enter")
	s.waitFor("6 Confirm", "Plan: overwrite")
	s.keys("d", "e", "m", "o", "Enter")
	s.waitFor("8 Result", "Restored and verified.", "works only until then")
	if rows, damaged, _ := orders(); rows != 55 || damaged != 0 {
		t.Errorf("the demo's public.orders after the restore: %d rows, %d changed; want 55, 0", rows, damaged)
	}

	// The cluster's directory names its owner: the demo.
	owner, _ := os.ReadFile(filepath.Join(cluster, "owner.pid"))
	pid, err := strconv.Atoi(strings.TrimSpace(string(owner)))
	if err != nil {
		t.Fatalf("the demo's pid: %q: %v", owner, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	terminal := s.waitExit()
	if screen := s.screen(); strings.Contains(screen, "8 Result") {
		t.Errorf("the console's screen is still shown after it ended (alt screen not left):\n%s", screen)
	}
	for _, want := range []string{"exit status 143", "restorectl demo: starting a throwaway PostgreSQL",
		"restorectl: restore committed: overwrite of public.orders from snapshot demo/20261121T030000Z.sql.gz",
		"there is nothing to undo", "restorectl demo: the throwaway PostgreSQL is stopped and removed (" + cluster + ")"} {
		if !strings.Contains(terminal, want) {
			t.Errorf("the terminal after the demo lacks %q:\n%s", want, terminal)
		}
	}
	// What the server and its tools print stays off the terminal.
	for _, leak := range []string{"waiting for server", "LOG:", "database system", "initdb", "pg_ctl"} {
		if strings.Contains(terminal, leak) {
			t.Errorf("the terminal after the demo shows PostgreSQL's output (%q):\n%s", leak, terminal)
		}
	}
	if _, err := os.Stat(cluster); !os.IsNotExist(err) {
		t.Errorf("the demo's cluster %s is still there after it ended (%v)", cluster, err)
	}
}

// TestConsoleRestoreEndToEnd drives the real binary in tmux through a
// whole ticket, on the embedded sample store (`restorectl demo`) and on an
// S3 store (MinIO) holding the same snapshots (`restorectl console`):
// public.orders of the snapshot before the ticket's time is restored into
// a new project on the test cluster, whose rows are then checked.
func TestConsoleRestoreEndToEnd(t *testing.T) {
	pg := testenv.StartPostgres(t)
	m := testenv.StartMinIO(t)
	bin := buildBinary(t)
	bucket := m.CreateBucket(t)
	s3, err := catalog.NewS3(t.Context(), bucket, "daily", m.Options())
	if err != nil {
		t.Fatal(err)
	}
	snaps, _ := filepath.Glob(filepath.Join(sampleStore, "demo", "*.sql.gz"))
	for _, f := range snaps {
		storetest.Put(t, s3, "demo/"+filepath.Base(f), []byte(readFile(t, f)))
	}
	cache := t.TempDir()
	for _, tt := range []struct {
		name, db string
		argv     []string
	}{
		{"demo", "demo_console_e2e", []string{"XDG_CACHE_HOME=" + cache, bin, "demo", "--ticket", "SUP-42", "--admin-url", pg.URL("postgres")}},
		{"s3", "demo_console_e2e_s3", []string{"AWS_ENDPOINT_URL_S3=" + m.Endpoint, "AWS_ACCESS_KEY_ID=" + m.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_REGION=" + m.Region, bin, "console", "--store", "s3://" + bucket + "/daily",
			"--project", "demo", "--at", "2026-11-21 14:05", "--ticket", "SUP-42", "--admin-url", pg.URL("postgres")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			consoleRestore(t, pg, tt.db, tt.argv)
		})
	}
	// The demo's store, with the restore's audit record, outlives it.
	if recs, _ := filepath.Glob(filepath.Join(cache, "restorectl", "demo-store", "demo", "audit", "*")); len(recs) == 0 {
		t.Errorf("no audit record in the demo's store under the cache directory %s", cache)
	}
}

func consoleRestore(t *testing.T, pg *testenv.Postgres, db string, argv []string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if conn, err := pgx.Connect(ctx, pg.URL("postgres")); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	s := startTmux(t, 100, 30, t.TempDir(), argv...)
	s.waitFor("1 Ticket", "SUP-42")
	s.keys("Enter")
	s.waitFor("2 Snapshots", "2026-11-21 03:00")
	s.keys("Enter")
	s.waitFor("3 Tables", "public.orders")
	s.keys("/", "o", "r", "d", "Enter", "Space")
	s.waitFor("selected: 1 table · 55 rows")
	s.keys("Enter")
	s.waitFor("4 Preview", "public.orders: 55 rows")
	s.keys("Enter")
	s.waitFor("5 Mode", "Restore into a new project")
	s.keys("Enter")
	s.waitFor("6 Confirm", "demo-restore-")
	s.keys("C-u")
	for _, r := range db {
		s.keys(string(r))
	}
	s.keys("Enter")
	s.waitFor("8 Result", "Restored and verified.", "psql")
	if screen := s.screen(); strings.Contains(screen, "esc back") {
		t.Errorf("the help bar offers to go back from a finished restore:\n%s", screen)
	}
	if screen := s.screen(); strings.Contains(screen, "password") {
		t.Errorf("the result mentions a password:\n%s", screen)
	}
	s.keys("q")
	// The result outlives the console's screen: on the terminal, as it ends.
	summary := s.waitExit()
	for _, want := range []string{"restorectl: restore committed: new project of public.orders", "database         " + db,
		"audit record", "Connect with:", "psql "} {
		if !strings.Contains(summary, want) {
			t.Errorf("the terminal after the console lacks %q:\n%s", want, summary)
		}
	}
	var n int
	conn, err := pgx.Connect(t.Context(), pg.URL(db))
	if err != nil {
		t.Fatalf("the new project's database: %v", err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM public.orders").Scan(&n); err != nil || n != 55 {
		t.Errorf("public.orders in the new project: %d rows (%v), want 55", n, err)
	}
}

// TestConsoleUndoLine drives the real console in tmux through an overwrite
// of public.small on the fixture's target and quits; the undo line the
// console leaves on the terminal is then run as a support engineer pasting
// it would: through sh, in a fresh environment (no RESTORECTL_*), from
// another directory. It must put the target back as it was.
func TestConsoleUndoLine(t *testing.T) {
	f := newRestoreFixture(t, 2000)
	bin := buildBinary(t)
	_, at, _ := strings.Cut(f.snap, "@")
	snapTime, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, 240, 50, t.TempDir(), bin, "console", "--store", f.store, "--project", f.ref,
		"--at", snapTime.Add(time.Minute).Format(time.RFC3339), "--ticket", "SUP 7",
		"--target", f.targetURL, "--pg-dump", f.pg.Bin("pg_dump"))
	s.waitFor("1 Ticket", "SUP 7")
	s.keys("Enter")
	s.waitFor("2 Snapshots", snapTime.UTC().Format("2006-01-02 15:04"))
	s.keys("Enter")
	s.waitFor("3 Tables", "public.small")
	s.keys("/", "s", "m", "a", "l", "l", "Enter", "Space")
	s.waitFor("selected: 1 table")
	s.keys("Enter")
	s.waitFor("4 Preview", "public.small: ")
	s.keys("Enter")
	s.waitFor("5 Mode", "Overwrite the tables")
	s.keys("Enter")
	s.waitFor("6 Confirm", "Plan: overwrite")
	for _, r := range f.ref {
		s.keys(string(r))
	}
	s.keys("Enter")
	s.waitFor("8 Result", "Restored and verified.", "To undo:")
	s.keys("q")
	out := s.waitExit()
	for _, want := range []string{"restorectl: restore committed: overwrite of public.small", "audit record", "safety snapshot  " + f.ref + "/pre-restore/"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal after the console lacks %q:\n%s", want, out)
		}
	}
	if got := f.pg.TableChecksum(t, f.target, "public.small"); got == f.smallSum {
		t.Fatalf("public.small is unchanged after the restore:\n%s", out)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "restorectl undo ") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no undo line on the terminal after the console:\n%s", out)
	}
	for _, want := range []string{"--store file://" + f.store, "--project " + f.ref, "--target '" + f.targetURL + "'", "--ticket 'SUP 7'", "--yes"} {
		if !strings.Contains(line, want) {
			t.Errorf("the undo line lacks %q: %s", want, line)
		}
	}

	sh := exec.Command("sh", "-c", line)
	sh.Dir = t.TempDir()
	sh.Env = []string{"PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if got, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, got)
	}
	f.assertTargetUnchanged(t)
}

// The console's undo lines repeat its --target only when it holds no
// password; one that does is named masked, for a note, and never whole.
func TestConsoleOrigin(t *testing.T) {
	for _, tc := range []struct {
		name, target, env string
		want              ticket.Origin
	}{
		{"literal target", "postgres://postgres@db-{ref}:5432/postgres", "",
			ticket.Origin{Store: "s3://b/daily", Target: "postgres://postgres@db-{ref}:5432/postgres", PgDump: "/pg_dump"}},
		{"password in the URL", "postgres://admin:s3cret@db:5432/postgres", "",
			ticket.Origin{Store: "s3://b/daily", TargetRedacted: "postgres://admin:xxxxx@db:5432/postgres", PgDump: "/pg_dump"}},
		{"password as a keyword", "host=db user=admin password=s3cret dbname=postgres", "",
			ticket.Origin{Store: "s3://b/daily", TargetRedacted: "host=db user=admin password=xxxxx dbname=postgres", PgDump: "/pg_dump"}},
		{"target from the environment", "", "postgres://postgres@db-{ref}/postgres",
			ticket.Origin{Store: "s3://b/daily", TargetEnv: true, PgDump: "/pg_dump"}},
		{"no target", "", "", ticket.Origin{Store: "s3://b/daily", PgDump: "/pg_dump"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlagSet("console", "", env{stderr: io.Discard})
			cf := addConsoleFlags(fs)
			if err := fs.Parse([]string{"--target", tc.target, "--pg-dump", "/pg_dump"}); err != nil {
				t.Fatal(err)
			}
			e := env{getenv: func(k string) string {
				if k == "RESTORECTL_TARGET_URL_TEMPLATE" {
					return tc.env
				}
				return ""
			}}
			if got := cf.origin(ticket.Origin{Store: "s3://b/daily"}, e); got != tc.want {
				t.Errorf("origin = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// demo -h says where the demo's store is kept, and that it outlives it.
func TestDemoHelpNamesItsStore(t *testing.T) {
	_, stderr, code := runCLI(t, nil, "demo", "-h")
	if code != exitOK || !strings.Contains(stderr, "restorectl/demo-store") || !strings.Contains(stderr, "undo command") {
		t.Errorf("demo -h: exit %d, stderr %q", code, stderr)
	}
}
