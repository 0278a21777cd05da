package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
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

// waitFor waits until the screen shows every one of want.
func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
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
			s.t.Fatalf("the screen does not show %q after 20s:\n%s", missing, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exited reports whether the program in the session has ended.
func (s *tmuxSession) exited() bool {
	out, _ := exec.Command("tmux", "display-message", "-p", "-t", s.name, "#{pane_dead}").Output()
	return strings.TrimSpace(string(out)) == "1"
}

// TestDemoEndToEnd drives `restorectl demo` in tmux from the ticket screen
// to the preview of public.orders in the snapshot before the ticket's
// time, back, and quits: the program ends and leaves the terminal's normal
// screen.
func TestDemoEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	// Anywhere: the sample store is built into the binary.
	s := startTmux(t, 100, 30, t.TempDir(), bin, "demo", "--ticket", "SUP-42")
	s.waitFor("1 Ticket", "demo", "SUP-42")
	s.keys("Enter")
	s.waitFor("2 Snapshots", "2026-11-21 03:00")
	s.keys("Enter")
	s.waitFor("3 Tables", "public.orders", "auth.users")
	s.keys("/", "o", "r", "d", "Enter", "Space")
	s.waitFor("selected: 1 table · 55 rows")
	s.keys("Enter")
	s.waitFor("4 Preview", "public.orders: 55 rows, the first 10")
	s.keys("Escape")
	s.waitFor("3 Tables")
	s.keys("Escape")
	s.waitFor("2 Snapshots")
	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for !s.exited() {
		if time.Now().After(deadline) {
			t.Fatalf("restorectl did not quit on q:\n%s", s.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if screen := s.screen(); strings.Contains(screen, "2 Snapshots") {
		t.Errorf("the console's screen is still shown after quitting (alt screen not left):\n%s", screen)
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
	for _, tt := range []struct {
		name, db string
		argv     []string
	}{
		{"demo", "demo_console_e2e", []string{bin, "demo", "--ticket", "SUP-42", "--admin-url", pg.URL("postgres")}},
		{"s3", "demo_console_e2e_s3", []string{"AWS_ENDPOINT_URL_S3=" + m.Endpoint, "AWS_ACCESS_KEY_ID=" + m.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_REGION=" + m.Region, bin, "console", "--store", "s3://" + bucket + "/daily",
			"--project", "demo", "--at", "2026-11-21 14:05", "--ticket", "SUP-42", "--admin-url", pg.URL("postgres")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			consoleRestore(t, pg, tt.db, tt.argv)
		})
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
