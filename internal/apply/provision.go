package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// Provisioner creates the databases of new projects.
type Provisioner interface {
	// Create makes an empty database that becomes name on Commit; until
	// then it lives under a temporary name, so that a restore killed
	// halfway never leaves a database that looks complete.
	Create(ctx context.Context, name string) (*Database, error)
	// Commit renames the database into place. Every connection to it must
	// be closed.
	Commit(ctx context.Context, db *Database) error
	// Drop removes a database Create made and Commit did not. It is called
	// with a context that is not cancelled, even when the restore was.
	Drop(ctx context.Context, db *Database) error
}

// Database is a new project's database.
type Database struct {
	// Name is its final name.
	Name string `json:"name"`
	// Config reaches it as the admin (under its temporary name until
	// Commit), for the platform's own steps: extensions, clean-up; the
	// snapshot's code runs as the load role. It holds the admin password:
	// never print it.
	Config *pgx.ConnConfig `json:"-"`
	// URL is the admin connection string it was created with, as given
	// (never rebuilt): what records scrub from errors. It holds the
	// password: never print it.
	URL string `json:"-"`
	// Connect says how to connect once committed, without a password
	// (a postgresql:// URL).
	Connect string `json:"connect"`
	// Temp is its name until Commit.
	Temp string `json:"-"`

	// admin is the connection that created it, open until Commit or Drop:
	// while its backend lives, a sweep knows the restore is running.
	admin *pgx.Conn
	// reg is its row in the registry of restores (registry.go).
	reg registration
	// load is the role the snapshot is loaded as (role.go): it becomes
	// the owner role.
	load *loadRole
}

// PostgresProvisioner creates databases on the PostgreSQL cluster AdminURL
// reaches (a role with CREATEDB, or a superuser when the snapshot needs
// extensions only superusers may create).
type PostgresProvisioner struct {
	// AdminURL is a connection string to any database of the cluster. It
	// holds a password: never printed.
	AdminURL string
	// Owner, if set, is the role that owns new databases; it is created
	// NOLOGIN when missing.
	Owner string
}

var _ Provisioner = (*PostgresProvisioner)(nil)

// Comments on databases being restored and restored: hints for humans.
// Any database owner can set a comment, so nothing reads them: the sweep
// trusts only the registry (registry.go).
const (
	restoringComment = "restorectl: restoring "
	restoredComment  = "restorectl: restored "
)

func (p *PostgresProvisioner) config() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(p.AdminURL)
	if err != nil {
		// pgx redacts the password from what it quotes of the string.
		return nil, fmt.Errorf("parse the admin connection string (check --admin-url): %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "restorectl"
	}
	cfg.RuntimeParams["search_path"] = pinnedSearchPath
	return cfg, nil
}

func (p *PostgresProvisioner) connect(ctx context.Context) (*pgx.Conn, *pgx.ConnConfig, error) {
	cfg, err := p.config()
	if err != nil {
		return nil, nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the cluster as %s: %w", describe(cfg), err)
	}
	return conn, cfg, nil
}

// Connect returns how to reach database name once created: a postgresql://
// URL with the admin's user, host and port, never a password.
func (p *PostgresProvisioner) Connect(name string) string {
	cfg, err := p.config()
	if err != nil {
		return "postgresql:///" + url.PathEscape(name)
	}
	return connectURL(cfg, name)
}

func connectURL(cfg *pgx.ConnConfig, name string) string {
	u := url.URL{Scheme: "postgresql", Path: "/" + name}
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		// A Unix socket directory: libpq takes it as the host parameter.
		u.RawQuery = url.Values{"host": {host}, "port": {strconv.Itoa(int(cfg.Port))}}.Encode()
	} else {
		u.Host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return u.String()
}

// describe names a connection's user, host, port and database, without
// its password.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s/%s", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

// tempName is name truncated (on a character boundary) so that
// name_restoring_XXXXXX fits PostgreSQL's 63 bytes.
func tempName(name string) (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	suffix := "_restoring_" + hex.EncodeToString(b[:])
	keep := 63 - len(suffix)
	for len(name) > keep {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name + suffix, nil
}

func validDatabaseName(name string) error {
	switch {
	case name == "":
		return errors.New("no database name: choose one with --new-project")
	case len(name) > 63:
		return fmt.Errorf("database name %q is longer than PostgreSQL's 63 bytes: choose a shorter one with --new-project", name)
	case strings.ContainsRune(name, 0) || !utf8.ValidString(name):
		return fmt.Errorf("database name %q is not valid: choose another with --new-project", name)
	}
	return nil
}

// Create makes an empty database under a temporary name, after sweeping up
// the databases of restores that died. It refuses a name in use.
func (p *PostgresProvisioner) Create(ctx context.Context, name string) (*Database, error) {
	if err := validDatabaseName(name); err != nil {
		return nil, err
	}
	conn, cfg, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	db, err := p.create(ctx, conn, cfg, name)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return db, nil
}

func (p *PostgresProvisioner) create(ctx context.Context, conn *pgx.Conn, cfg *pgx.ConnConfig, name string) (*Database, error) {
	// The snapshot runs as the new project's own role, never the admin.
	if p.Owner == "" {
		return nil, &RefusedError{Reasons: []string{"a new project needs an owner role that the snapshot is loaded as (--owner, by default the project ref): the admin connection never runs the snapshot's code"}}
	}
	if err := ensureRegistry(ctx, conn); err != nil {
		return nil, err
	}
	if err := sweep(ctx, conn); err != nil {
		return nil, err
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for database %s on the cluster: %w", name, err)
	}
	if exists {
		return nil, fmt.Errorf("database %s exists already: choose another name with --new-project", name)
	}
	tmp, err := tempName(name)
	if err != nil {
		return nil, fmt.Errorf("name the database of new project %s: %w", name, err)
	}
	// Created owned by the admin role, and given to Owner only once its OID
	// is registered: see registry.go.
	create := "CREATE DATABASE " + pgx.Identifier{tmp}.Sanitize() + " TEMPLATE template0"
	if err := ensureRole(ctx, conn, p.Owner); err != nil {
		return nil, err
	}
	if err := checkSafeRole(ctx, conn, p.Owner, "choose another owner for the new project with --owner"); err != nil {
		return nil, err
	}
	reg, err := register(ctx, conn, tmp, name)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		// Dropped here if it was created after all, or by the next sweep.
		derr := dropRegistered(context.WithoutCancel(ctx), conn, reg.id)
		return nil, errors.Join(fmt.Errorf("create database %s for new project %s (the admin role needs CREATEDB): %w", tmp, name, err), derr)
	}
	hint := fmt.Sprintf("%s%s; admin backend pid %d", restoringComment, name, reg.pid)
	if err := reg.adopt(ctx, conn, tmp, p.Owner, hint); err != nil {
		derr := dropRegistered(context.WithoutCancel(ctx), conn, reg.id)
		return nil, errors.Join(fmt.Errorf("set up database %s for new project %s: %w", tmp, name, err), derr)
	}
	lr, err := createLoadRole(ctx, conn, p.Owner, false)
	if err != nil {
		derr := dropRegistered(context.WithoutCancel(ctx), conn, reg.id)
		return nil, errors.Join(err, derr)
	}
	admin := cfg.Copy()
	admin.Database = tmp
	return &Database{Name: name, Config: admin, URL: p.AdminURL, Connect: connectURL(cfg, name), Temp: tmp, admin: conn, reg: reg, load: lr}, nil
}

func ensureRole(ctx context.Context, conn *pgx.Conn, role string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("look for role %s: %w", role, err)
	}
	if exists {
		return nil
	}
	_, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" NOLOGIN")
	var pgErr *pgconn.PgError
	// Created meanwhile by another restore of the project: duplicate_object,
	// or unique_violation when both inserted into pg_authid at once.
	if errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create owner role %s (the admin role needs CREATEROLE, or create it first): %w", role, err)
	}
	return nil
}

// adminConn returns db's admin connection, or a new one if it was lost.
func (p *PostgresProvisioner) adminConn(ctx context.Context, db *Database) (*pgx.Conn, error) {
	if db.admin != nil && !db.admin.IsClosed() {
		if err := db.admin.Ping(ctx); err == nil {
			return db.admin, nil
		}
		db.admin.Close(ctx)
	}
	conn, _, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	db.admin = conn
	return conn, nil
}

func (db *Database) closeAdmin(ctx context.Context) {
	if db.admin != nil {
		db.admin.Close(ctx)
		db.admin = nil
	}
}

// Commit renames the database into place and removes its registration.
func (p *PostgresProvisioner) Commit(ctx context.Context, db *Database) error {
	conn, err := p.adminConn(ctx, db)
	if err != nil {
		return err
	}
	defer db.closeAdmin(context.WithoutCancel(ctx))
	// Renamed and unregistered at once: a database renamed into place but
	// still registered as being restored would be swept up.
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := db.reg.unregister(ctx, tx, db.Temp); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db.Temp}.Sanitize()+" RENAME TO "+pgx.Identifier{db.Name}.Sanitize()); err != nil {
			return err
		}
		// The name renamed was the database registered (its owner may
		// rename it, and put another in its place).
		var same bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE oid = $1 AND datname = $2)", db.reg.oid, db.Name).Scan(&same); err != nil {
			return err
		}
		if !same {
			return fmt.Errorf("database %s is not the one this restore created (OID %d): it was renamed or replaced meanwhile; restore again", db.Temp, db.reg.oid)
		}
		_, err := tx.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS %s", pgx.Identifier{db.Name}.Sanitize(), extract.QuoteLiteral(restoredComment+db.Name)))
		return err
	})
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P04": // duplicate_database
		return fmt.Errorf("rename database %s to %s: %s was created meanwhile: choose another name with --new-project", db.Temp, db.Name, db.Name)
	case err != nil:
		return fmt.Errorf("rename database %s to %s: %w", db.Temp, db.Name, err)
	}
	db.Temp = db.Name
	// The project is in place: a load role left behind cannot log in, and
	// must not turn a restore that happened into a failure.
	_ = db.load.drop(ctx, conn)
	return nil
}

// Drop removes the database under its temporary name, if it is still the
// one Create registered, and its registration.
func (p *PostgresProvisioner) Drop(ctx context.Context, db *Database) error {
	if db.Temp == db.Name {
		return fmt.Errorf("database %s was committed: not dropping it", db.Name)
	}
	conn, err := p.adminConn(ctx, db)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", db.Temp, err)
	}
	defer db.closeAdmin(context.WithoutCancel(ctx))
	// Only the database registered, under the name registered.
	err = dropRegistered(ctx, conn, db.reg.id)
	if db.load != nil {
		err = errors.Join(err, db.load.drop(ctx, conn))
	}
	return err
}
