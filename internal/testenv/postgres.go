package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throwaway cluster: superuser "postgres", trust auth, loopback TCP only.
type Postgres struct {
	Host   string // "127.0.0.1"
	Port   int
	User   string // "postgres"
	BinDir string // the cluster's bin directory (pg_dump, psql, pg_ctl of the SAME major version)

	root    string              // temp dir holding data, socket dir and log
	dataDir string              // the cluster's data directory
	logFile string              // the server log
	runAs   *syscall.Credential // nil unless the tests run as root
}

// The shared cluster of this test binary.
var (
	pgOnce sync.Once
	pgInst *Postgres
	pgErr  error
)

// StartPostgres returns the binary's shared cluster, starting it on first use.
// It fails the test with a clear message if the cluster cannot start.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	requireMain(t)
	pgOnce.Do(func() { pgInst, pgErr = startPostgres() })
	if pgErr != nil {
		t.Fatalf("testenv: %v", pgErr)
	}
	return pgInst
}

// URL returns the connection URL of database dbname.
func (p *Postgres) URL(dbname string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", p.User, p.Host, p.Port, dbname)
}

// Bin returns the path of the named program in the cluster's bin directory.
func (p *Postgres) Bin(name string) string {
	return filepath.Join(p.BinDir, name)
}

// CreateDatabase creates a fresh, uniquely named database and drops it when
// the test ends.
func (p *Postgres) CreateDatabase(t testing.TB) (name, url string) {
	t.Helper()
	name = uniqueName("t", "_")
	p.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	t.Cleanup(func() {
		// t.Context() is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a test may leave connections open (e.g. a failed restore).
		err := p.exec(ctx, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		if err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return name, p.URL(name)
}

// CreateProject creates a fresh database as the platform creates a
// project's: owned by a role of its own with the database's name (NOLOGIN,
// not a superuser), so that what LoadScriptAs and ExecAs create belongs to
// the project, not to the cluster's superuser. Both go when the test ends.
func (p *Postgres) CreateProject(t testing.TB) (name, url string) {
	t.Helper()
	name = uniqueName("p", "_")
	role := pgx.Identifier{name}.Sanitize()
	p.Exec(t, "postgres", "CREATE ROLE "+role+" NOLOGIN")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.exec(ctx, "postgres", "DROP ROLE IF EXISTS "+role); err != nil {
			t.Errorf("testenv: drop role %s: %v", name, err)
		}
	})
	p.Exec(t, "postgres", "CREATE DATABASE "+role+" OWNER "+role)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.exec(ctx, "postgres", "DROP DATABASE IF EXISTS "+role+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return name, p.URL(name)
}

// ExecAs is Exec as role (SET ROLE first), so that what sql creates
// belongs to role.
func (p *Postgres) ExecAs(t testing.TB, dbname, role, sql string) {
	t.Helper()
	p.Exec(t, dbname, "SET ROLE "+pgx.Identifier{role}.Sanitize()+";\n"+sql)
}

// Exec runs sql (which may hold many statements) in database dbname and
// fails the test on error.
func (p *Postgres) Exec(t testing.TB, dbname, sql string) {
	t.Helper()
	if err := p.exec(t.Context(), dbname, sql); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

// exec runs sql with the simple query protocol, which allows several statements.
func (p *Postgres) exec(ctx context.Context, dbname, sql string) error {
	conn, err := pgx.Connect(ctx, p.URL(dbname))
	if err != nil {
		return fmt.Errorf("connect to database %s: %w", dbname, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("exec in database %s: %w\nSQL: %s", dbname, err, abbreviate(sql, 500))
	}
	return nil
}

// abbreviate shortens long SQL in error messages.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// startPostgres creates a cluster in a temp dir and starts it.
func startPostgres() (*Postgres, error) {
	binDir, err := findPostgresBinDir()
	if err != nil {
		return nil, err
	}
	runAs, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	sweepOrphans("restorectl-pg-*", func(dir string) {
		orphan := &Postgres{BinDir: binDir, runAs: runAs, root: dir, dataDir: filepath.Join(dir, "data")}
		orphan.run("pg_ctl", "-D", orphan.dataDir, "-m", "immediate", "stop")
	})
	p := &Postgres{Host: "127.0.0.1", User: "postgres", BinDir: binDir, runAs: runAs}
	if err := p.makeDirs(); err != nil {
		return nil, err
	}
	if err := p.initdb(); err != nil {
		os.RemoveAll(p.root)
		return nil, err
	}
	if err := p.startOnFreePort(); err != nil {
		os.RemoveAll(p.root)
		return nil, err
	}
	return p, nil
}

// findPostgresBinDir returns the directory that really holds initdb, so the
// client tools found next to it match the server's major version.
func findPostgresBinDir() (string, error) {
	if path, err := exec.LookPath("initdb"); err == nil {
		// Debian links /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb.
		if real, err := filepath.EvalSymlinks(path); err == nil {
			return filepath.Dir(real), nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if fileExists(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	if dir := newestDebianBinDir(); dir != "" {
		return dir, nil
	}
	return "", errors.New("no PostgreSQL server binaries found: initdb is not on PATH, " +
		"pg_config --bindir has no initdb, and there is no /usr/lib/postgresql/*/bin/initdb; " +
		"install the PostgreSQL server (e.g. apt-get install postgresql)")
}

// newestDebianBinDir returns the bin dir of the newest /usr/lib/postgresql/N, or "".
func newestDebianBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, dir := range dirs {
		if fileExists(filepath.Join(dir, "initdb")) {
			return dir
		}
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// postgresCredential returns whom to run the server as: PostgreSQL refuses
// to run as root, so root runs it as the "postgres" system user.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("tests run as root, and PostgreSQL refuses to run as root, "+
			"but there is no \"postgres\" system user to run it as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid of user postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid of user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeDirs creates root/{data,run}; when running as root they belong to
// the postgres user and root is traversable by it.
func (p *Postgres) makeDirs() error {
	root, err := os.MkdirTemp("", "restorectl-pg-")
	if err != nil {
		return fmt.Errorf("create postgres temp dir: %w", err)
	}
	p.root = root
	p.dataDir = filepath.Join(root, "data")
	p.logFile = filepath.Join(root, "run", "postgres.log")
	for _, dir := range []string{p.dataDir, p.sockDir()} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			os.RemoveAll(root)
			return fmt.Errorf("create postgres temp dir: %w", err)
		}
	}
	err = writeOwner(root)
	if err == nil && p.runAs != nil {
		err = errors.Join(
			os.Chmod(root, 0o755),
			os.Chown(p.dataDir, int(p.runAs.Uid), int(p.runAs.Gid)),
			os.Chown(p.sockDir(), int(p.runAs.Uid), int(p.runAs.Gid)),
		)
	}
	if err != nil {
		os.RemoveAll(root)
		return fmt.Errorf("prepare postgres temp dir %s: %w", root, err)
	}
	return nil
}

// sockDir holds the server's Unix socket and its log (both written by the server user).
func (p *Postgres) sockDir() string { return filepath.Join(p.root, "run") }

// initdb creates the cluster, preferring a UTF-8 locale.
func (p *Postgres) initdb() error {
	var errs []error
	for _, locale := range []string{"C.UTF-8", "C"} {
		out, err := p.run("initdb", "-D", p.dataDir, "-U", "postgres", "-A", "trust",
			"-E", "UTF8", "--locale="+locale, "--no-sync")
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w\n%s", locale, err, tail(out, 20)))
	}
	return fmt.Errorf("create postgres cluster in %s: %w", p.dataDir, errors.Join(errs...))
}

// startOnFreePort starts the server, retrying with another port in case the
// free port was taken meanwhile.
func (p *Postgres) startOnFreePort() error {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		if err = p.start(port); err == nil {
			return nil
		}
		// A server that started too slowly may still be running.
		p.run("pg_ctl", "-D", p.dataDir, "-m", "immediate", "stop")
	}
	return err
}

// start runs pg_ctl start, which waits until the server accepts connections.
func (p *Postgres) start(port int) error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s "+
		"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		port, p.sockDir())
	out, err := p.run("pg_ctl", "-D", p.dataDir, "-l", p.logFile, "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("start postgres on port %d: %w\n%s\nserver log %s:\n%s",
			port, err, tail(out, 10), p.logFile, tailFile(p.logFile, 30))
	}
	p.Port = port
	return nil
}

// stop stops the server immediately (the data is thrown away) and removes its files.
func (p *Postgres) stop() error {
	out, err := p.run("pg_ctl", "-D", p.dataDir, "-m", "immediate", "stop")
	if err != nil {
		err = fmt.Errorf("stop postgres on port %d: %w\n%s", p.Port, err, tail(out, 10))
	}
	return errors.Join(err, os.RemoveAll(p.root))
}

// run runs a program from BinDir as the server user and returns its output.
func (p *Postgres) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Bin(name), args...)
	// The server user may not be able to enter the test's working directory.
	cmd.Dir = p.root
	if p.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.runAs}
	}
	// The daemonised server must not keep our output pipe open; pg_ctl -l
	// redirects it, and WaitDelay guards against surprises.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stopPostgres stops the shared cluster if it was started.
func stopPostgres() error {
	// Do synchronises with the start, and keeps anything from starting later.
	pgOnce.Do(func() {})
	if pgInst == nil {
		return nil
	}
	return pgInst.stop()
}
