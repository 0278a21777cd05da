package localpg

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// sharedDir is a directory for clusters (and fake binaries) that the
// server's user can reach: t.TempDir's are root's alone when the tests
// run as root.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// binDir is the machine's PostgreSQL, which the tests need (.ci/run
// installs it).
func binDir(t *testing.T) string {
	t.Helper()
	dir, err := FindBinDir(os.Getenv("PATH"), "")
	if err != nil {
		t.Fatalf("the cluster tests need PostgreSQL's server: %v", err)
	}
	return dir
}

// clusterDirs are the cluster directories under parent.
func clusterDirs(t *testing.T, parent string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(parent, dirPattern))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// deadPid is the pid of a process that has ended.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func queryString(t *testing.T, url, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// A cluster starts on its Unix socket alone, answers as the superuser,
// and Stop stops it and removes its directory. Start first removes the
// clusters of processes that are gone, and only those.
func TestStartStop(t *testing.T) {
	t.Parallel()
	parent := sharedDir(t)
	orphan := filepath.Join(parent, "restorectl-pg-orphan")
	alive := filepath.Join(parent, "restorectl-pg-alive")
	settingUp := filepath.Join(parent, "restorectl-pg-setting-up")
	for dir, owner := range map[string]string{orphan: strconv.Itoa(deadPid(t)), alive: "1", settingUp: ""} {
		os.MkdirAll(filepath.Join(dir, "data"), 0o755)
		if owner != "" {
			os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644)
		}
	}

	start := time.Now()
	c, err := Start(t.Context(), Options{BinDir: binDir(t), Dir: parent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	t.Logf("started PostgreSQL %s in %s", c.Version, time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the cluster directory of a process that is gone is still there (%v)", err)
	}
	for _, dir := range []string{alive, settingUp} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was swept: %v", dir, err)
		}
	}

	if !strings.HasPrefix(c.URL("postgres"), "postgres://postgres@/postgres?host=") {
		t.Errorf("URL = %s, want the Unix socket's", c.URL("postgres"))
	}
	if got := queryString(t, c.URL("postgres"), "SELECT current_user || ' ' || current_setting('listen_addresses') || '|' || current_setting('server_version_num')"); !strings.HasPrefix(got, "postgres |") {
		t.Errorf("current_user, listen_addresses = %q, want postgres and none", got)
	}
	if fi, err := os.Stat(c.SocketDir()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the socket's directory: %v, %v; want only its owner to enter it", fi.Mode(), err)
	}
	if c.Version == "" || !strings.HasPrefix(c.Bin("pg_dump"), c.BinDir) {
		t.Errorf("Version %q, Bin(pg_dump) %q", c.Version, c.Bin("pg_dump"))
	}
	pidFile, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's directory %s is still there after Stop (%v)", c.Dir, err)
	}
	// The server, daemonised, is reaped by init, maybe a moment later.
	for deadline := time.Now().Add(10 * time.Second); pid == 0 || processExists(pid); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the server (pid %d) still runs after Stop", pid)
			break
		}
	}
	if err := c.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// With TCP the cluster listens on 127.0.0.1 too, and takes the settings
// given.
func TestStartTCP(t *testing.T) {
	t.Parallel()
	parent := sharedDir(t)
	c, err := Start(t.Context(), Options{BinDir: binDir(t), Dir: parent, TCP: true, Settings: map[string]string{"max_connections": "42"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
		if dirs := clusterDirs(t, parent); len(dirs) != 0 {
			t.Errorf("left behind: %v", dirs)
		}
	}()
	if want := "postgres://postgres@127.0.0.1:" + strconv.Itoa(c.Port) + "/postgres?sslmode=disable"; c.URL("postgres") != want {
		t.Errorf("URL = %s, want %s", c.URL("postgres"), want)
	}
	if got := queryString(t, c.URL("postgres"), "SHOW max_connections"); got != "42" {
		t.Errorf("max_connections = %s, want 42", got)
	}
	socket := "host=" + c.SocketDir() + " port=" + strconv.Itoa(c.Port) + " user=postgres dbname=postgres"
	if got := queryString(t, socket, "SELECT current_user"); got != "postgres" {
		t.Errorf("over the socket: current_user = %s", got)
	}
}

// A Start cancelled while initdb runs stops it and leaves nothing behind.
func TestStartCancelled(t *testing.T) {
	t.Parallel()
	bin := binDir(t)
	for _, wait := range []time.Duration{0, 300 * time.Millisecond} {
		parent := sharedDir(t)
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		c, err := Start(ctx, Options{BinDir: bin, Dir: parent})
		cancel()
		if err == nil {
			c.Stop()
			t.Fatalf("cancelled after %s: Start succeeded", wait)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cancelled after %s: %v, want the context's error", wait, err)
		}
		if dirs := clusterDirs(t, parent); len(dirs) != 0 {
			t.Errorf("cancelled after %s: left behind %v", wait, dirs)
		}
	}
}

// A server that does not start: the error holds what its tools said, and
// the directory is removed.
func TestStartFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, initdb, pgCtl, want string
	}{
		{"initdb", "echo 'initdb: something is wrong' >&2; exit 1", "exit 0", "initdb: something is wrong"},
		{"pg_ctl", `mkdir -p "$2" && touch "$2/postgresql.conf" && echo 15 > "$2/PG_VERSION"`, "echo 'pg_ctl: could not start server' >&2; exit 1", "pg_ctl: could not start server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := sharedDir(t)
			os.WriteFile(filepath.Join(bin, "initdb"), []byte("#!/bin/sh\n"+tc.initdb+"\n"), 0o755)
			os.WriteFile(filepath.Join(bin, "pg_ctl"), []byte("#!/bin/sh\n"+tc.pgCtl+"\n"), 0o755)
			parent := sharedDir(t)
			c, err := Start(t.Context(), Options{BinDir: bin, Dir: parent})
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not hold %q: %v", tc.want, err)
			}
			if dirs := clusterDirs(t, parent); len(dirs) != 0 {
				t.Errorf("left behind: %v", dirs)
			}
		})
	}
}
