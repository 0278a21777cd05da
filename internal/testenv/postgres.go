package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/localpg"
)

// Postgres is a throwaway cluster (localpg): superuser "postgres", trust
// auth, on loopback TCP and a private Unix socket.
type Postgres struct {
	Host   string // "127.0.0.1"
	Port   int
	User   string // "postgres"
	BinDir string // the cluster's bin directory (pg_dump, psql, pg_ctl of the SAME major version)

	root    string // the cluster's temp dir, which also holds the corpus
	cluster *localpg.Cluster
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

// startPostgres creates a cluster in a temp dir and starts it; it first
// stops and removes those of test binaries that were killed.
func startPostgres() (*Postgres, error) {
	binDir, err := localpg.FindBinDir(os.Getenv("PATH"), "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := localpg.Start(ctx, localpg.Options{BinDir: binDir, TCP: true, Settings: map[string]string{"max_connections": "200"}})
	if err != nil {
		return nil, err
	}
	return &Postgres{Host: "127.0.0.1", Port: c.Port, User: localpg.Superuser, BinDir: c.BinDir, root: c.Dir, cluster: c}, nil
}

// stop stops the server immediately (the data is thrown away) and removes its files.
func (p *Postgres) stop() error { return p.cluster.Stop() }

// stopPostgres stops the shared cluster if it was started.
func stopPostgres() error {
	// Do synchronises with the start, and keeps anything from starting later.
	pgOnce.Do(func() {})
	if pgInst == nil {
		return nil
	}
	return pgInst.stop()
}
