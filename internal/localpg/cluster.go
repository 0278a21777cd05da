package localpg

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Superuser is the cluster's superuser, who connects without a password.
const Superuser = "postgres"

// dirPattern names the clusters' temporary directories (os.MkdirTemp).
// internal/testenv's clusters are named alike, so that either sweeps the
// other's orphans.
const dirPattern = "restorectl-pg-*"

// socketPort is the port of a cluster without TCP: it only names the
// socket (.s.PGSQL.5432), which is alone in its directory.
const socketPort = 5432

// Options say what cluster to start.
type Options struct {
	// BinDir holds initdb, pg_ctl and the server (FindBinDir).
	BinDir string
	// Dir is where the cluster's temporary directory is made ("" is the
	// system's temporary directory).
	Dir string
	// TCP also listens on 127.0.0.1, on a free port. Any local user can
	// then connect as the superuser.
	TCP bool
	// Settings are more server settings (postgresql.conf), such as
	// "max_connections": "200".
	Settings map[string]string
}

// Cluster is a running throwaway cluster.
type Cluster struct {
	// BinDir holds its binaries, and client tools of the same major
	// version (Bin).
	BinDir string
	// Dir is its temporary directory: data/ the cluster, run/ its socket
	// and its log (LogFile), owner.pid the process that owns it.
	Dir string
	// Port is its port: on 127.0.0.1 with TCP, and always its socket's
	// name.
	Port int
	TCP  bool
	// Version is its major version ("16").
	Version string

	as       *account // whom the server runs as; nil for this process's user
	stopOnce sync.Once
	stopErr  error
}

// Start creates a cluster in a new temporary directory under opts.Dir and
// starts it: initdb (trust authentication, UTF-8), then pg_ctl. It first
// stops and removes the clusters that processes since gone left behind
// (killed outright, they could not stop their own). When Start fails, or
// ctx is cancelled, nothing it started is left running and its directory
// is removed.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	as, err := serverAccount()
	if err != nil {
		return nil, err
	}
	sweep(opts.Dir, opts.BinDir, as)
	c := &Cluster{BinDir: opts.BinDir, TCP: opts.TCP, Port: socketPort, as: as}
	if err := c.makeDirs(opts.Dir); err != nil {
		return nil, err
	}
	if err := c.create(ctx, opts.Settings); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	if err := c.startOnFreePort(ctx); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// SocketDir holds the server's Unix socket; only the server's user (and
// root) may enter it.
func (c *Cluster) SocketDir() string { return filepath.Join(c.Dir, "run") }

// LogFile is the server's log.
func (c *Cluster) LogFile() string { return filepath.Join(c.SocketDir(), "postgres.log") }

// Bin is the path of program name in the cluster's bin directory.
func (c *Cluster) Bin(name string) string { return filepath.Join(c.BinDir, name) }

// URL is a connection URL of database dbname as the superuser: over
// 127.0.0.1 with TCP, else over the Unix socket.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Path: "/" + dbname}
	if c.TCP {
		u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
		u.RawQuery = "sslmode=disable"
	} else {
		u.RawQuery = url.Values{"host": {c.SocketDir()}, "port": {strconv.Itoa(c.Port)}}.Encode()
	}
	return u.String()
}

// makeDirs creates the temporary directory with data/ and run/ in it,
// which belong to the server's user, and records this process as its
// owner.
func (c *Cluster) makeDirs(parent string) error {
	dir, err := os.MkdirTemp(parent, dirPattern)
	if err != nil {
		return fmt.Errorf("create the PostgreSQL cluster's directory: %w", err)
	}
	c.Dir = dir
	// The socket's path is bounded (107 bytes on Linux, 103 on macOS).
	if sock := filepath.Join(c.SocketDir(), ".s.PGSQL.65535"); len(sock) > 100 {
		os.RemoveAll(dir)
		return fmt.Errorf("create the PostgreSQL cluster's directory: %s is too long a path for a Unix socket: set TMPDIR to a shorter directory", sock)
	}
	err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
	for _, sub := range []string{c.dataDir(), c.SocketDir()} {
		if err == nil {
			err = os.Mkdir(sub, 0o700)
		}
		if err == nil && c.as != nil {
			err = os.Chown(sub, c.as.uid, c.as.gid)
		}
	}
	if err == nil && c.as != nil {
		// The server's user must reach data/ and run/.
		err = os.Chmod(dir, 0o755)
		if err == nil {
			err = checkReachable(dir, c.as)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("prepare the PostgreSQL cluster's directory %s: %w", dir, err)
	}
	return nil
}

// create runs initdb and configures the server, preferring a UTF-8
// locale.
func (c *Cluster) create(ctx context.Context, settings map[string]string) error {
	var errs []error
	for _, locale := range []string{"C.UTF-8", "C"} {
		out, err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", Superuser, "-A", "trust",
			"-E", "UTF8", "--locale="+locale, "--no-sync")
		if err == nil {
			errs = nil
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("create a PostgreSQL cluster in %s: %w", c.dataDir(), context.Cause(ctx))
		}
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w\n%s", locale, err, tail(out, 20)))
		// A failed initdb may leave files behind; the next one needs an
		// empty directory.
		if err := emptyDir(c.dataDir()); err != nil {
			errs = append(errs, err)
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("create a PostgreSQL cluster in %s: %w", c.dataDir(), errors.Join(errs...))
	}
	if v, err := os.ReadFile(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		c.Version = strings.TrimSpace(string(v))
	}
	return c.configure(settings)
}

// configure appends the throwaway cluster's settings to its
// postgresql.conf (later lines win): listening, and no durability, which
// a cluster removed at the end does not need. In the file, not on pg_ctl's
// command line, which goes through a shell.
func (c *Cluster) configure(extra map[string]string) error {
	listen := ""
	if c.TCP {
		listen = "127.0.0.1"
	}
	settings := map[string]string{
		"listen_addresses":        listen,
		"unix_socket_directories": c.SocketDir(),
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
	}
	for k, v := range extra {
		settings[k] = v
	}
	var b strings.Builder
	b.WriteString("\n# restorectl: a throwaway cluster\n")
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(b.String())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("configure the PostgreSQL cluster in %s: %w", c.dataDir(), err)
	}
	return nil
}

// startOnFreePort starts the server; with TCP on a free port, retried
// with another in case the port was taken meanwhile.
func (c *Cluster) startOnFreePort(ctx context.Context) error {
	if !c.TCP {
		return c.start(ctx)
	}
	var err error
	for range 3 {
		if c.Port, err = freePort(); err != nil {
			return err
		}
		if err = c.start(ctx); err == nil || ctx.Err() != nil {
			return err
		}
		// A server that started too slowly may still be running.
		c.run(context.WithoutCancel(ctx), "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	}
	return err
}

// start runs pg_ctl start, which waits until the server accepts
// connections. The server's output goes to its log.
func (c *Cluster) start(ctx context.Context) error {
	out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.LogFile(), "-w", "-t", "60",
		"-o", "-p "+strconv.Itoa(c.Port), "start")
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return fmt.Errorf("start PostgreSQL in %s: %w\n%s\nserver log %s:\n%s",
			c.dataDir(), err, tail(out, 10), c.LogFile(), tailFile(c.LogFile(), 30))
	}
	return nil
}

// Stop stops the server at once (its data is thrown away) and removes its
// directory. It may be called more than once; the first call does it.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	var err error
	// No pid file: no server (a failed start, or one that was never
	// started).
	if _, statErr := os.Stat(filepath.Join(c.dataDir(), "postmaster.pid")); statErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, stopErr := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
		// A stale pid file (a server killed with a cancelled start) is no
		// failure: pg_ctl status exits 3 for "no server running".
		if stopErr != nil && !c.notRunning(ctx) {
			err = fmt.Errorf("stop PostgreSQL in %s: %w\n%s", c.dataDir(), stopErr, tail(out, 10))
		}
	}
	if rmErr := os.RemoveAll(c.Dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove the PostgreSQL cluster's directory: %w", rmErr))
	}
	return err
}

// notRunning reports whether pg_ctl status says no server runs.
func (c *Cluster) notRunning(ctx context.Context) bool {
	_, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "status")
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 3
}

// run runs program name of the bin directory as the server's user and
// returns what it printed. Its environment is only what it needs: the
// caller's PG* variables are not for it, and TZ spares initdb a search
// of the time zone files.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	return run(ctx, c.BinDir, c.Dir, c.as, name, args...)
}

func run(ctx context.Context, binDir, dir string, as *account, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	// The server's user may not be able to enter our working directory.
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + binDir + string(os.PathListSeparator) + "/usr/bin:/bin", "TZ=UTC", "LC_ALL=C"}
	prepare(cmd, as)
	// The daemonised server must not keep our pipe open: pg_ctl -l sends
	// its output to the log, and WaitDelay guards against surprises.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// emptyDir removes what dir holds.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	for _, e := range entries {
		err = errors.Join(err, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	if err != nil {
		return fmt.Errorf("empty %s: %w", dir, err)
	}
	return nil
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server does: callers retry.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailFile is the last n lines of a file, for errors.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	return tail(string(b), n)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
