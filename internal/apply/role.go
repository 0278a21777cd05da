package apply

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// Why a login role of its own, not SET ROLE: a session that logged in as
// a superuser stays one underneath any SET ROLE or SET SESSION
// AUTHORIZATION, and customer code (a CHECK function, a default, an index
// expression) can simply RESET ROLE. PostgreSQL's own maintenance commands
// close that door with a security-restricted operation, which SQL cannot
// request. So the statements that may run customer code go over a session
// that logged in as a throwaway role which can become the project's role
// and nothing else: NOINHERIT, so that after a RESET ROLE it holds no
// privilege at all; member of exactly one role; NOLOGIN again as soon as
// the restore's connections are open; dropped when the restore ends.

// pinnedSearchPath is the search_path of every session a restore opens:
// restorectl's own statements qualify every name, and nothing a customer
// put in public may stand in for a catalog function or operator.
const pinnedSearchPath = "pg_catalog, pg_temp"

// loadRolePrefix starts the name of every load role; the rest is random.
const loadRolePrefix = "restorectl_load_"

// loadRoleLifetime bounds how long a load role could log in even if a
// restore died before it was locked or dropped.
const loadRoleLifetime = 15 * time.Minute

// loadRole is the login role a restore's customer code runs under: it logs
// in with a random password that only this process knows and becomes
// Owner.
type loadRole struct {
	Name, Owner string
	password    string
}

// unsafeRoleError is a role that a restore will not run customer code as.
func unsafeRoleError(role, why, what string) error {
	return &RefusedError{Reasons: []string{fmt.Sprintf(
		"%s would run the snapshot's code as role %s, which %s: restorectl never runs customer code with more privilege than the project has; %s",
		"the restore", role, why, what)}}
}

// checkSafeRole refuses a role that is, or can become, a superuser or a
// member of the roles that reach the server's files and programs: running
// the snapshot's functions, defaults and constraints as it would hand the
// customer the cluster.
func checkSafeRole(ctx context.Context, q querier, role, what string) error {
	var exists, super, escalates bool
	err := q.QueryRow(ctx, `
		SELECT true, r.rolsuper,
		       EXISTS (SELECT FROM pg_catalog.pg_roles s
		               WHERE s.oid <> r.oid
		                 AND (s.rolsuper OR s.rolname IN ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))
		                 AND pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER'))
		FROM pg_catalog.pg_roles r WHERE r.rolname = $1`, role).Scan(&exists, &super, &escalates)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return unsafeRoleError(role, "does not exist", what)
	case err != nil:
		return fmt.Errorf("look up role %s: %w", role, err)
	case super:
		return unsafeRoleError(role, "is a superuser", what)
	case escalates:
		return unsafeRoleError(role, "is a member of a superuser role or of pg_execute_server_program, pg_read_server_files or pg_write_server_files", what)
	}
	return nil
}

// createLoadRole creates the load role of a restore on admin's cluster: it
// may log in for loadRoleLifetime with a random password, becomes owner
// (SET ROLE) and inherits nothing. With replica its sessions start with
// session_replication_role = replica (set here by the admin, so the role
// itself needs no right to change it): restored rows fire no user
// triggers and skip foreign key checks, as pg_restore --disable-triggers.
func createLoadRole(ctx context.Context, admin *pgx.Conn, owner string, replica bool) (*loadRole, error) {
	var b [8]byte
	var pw [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, err
	}
	lr := &loadRole{Name: loadRolePrefix + hex.EncodeToString(b[:]), Owner: owner, password: hex.EncodeToString(pw[:])}
	verifier, err := scramVerifier(lr.password)
	if err != nil {
		return nil, err
	}
	name := pgx.Identifier{lr.Name}.Sanitize()
	until := time.Now().Add(loadRoleLifetime).UTC().Format(time.RFC3339)
	// The password goes as a SCRAM verifier: the statement may be logged.
	stmts := []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN NOINHERIT PASSWORD %s VALID UNTIL %s", name, extract.QuoteLiteral(verifier), extract.QuoteLiteral(until)),
		fmt.Sprintf("GRANT %s TO %s", pgx.Identifier{owner}.Sanitize(), name),
		fmt.Sprintf("ALTER ROLE %s SET search_path = %s", name, pinnedSearchPath),
	}
	if replica {
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s SET session_replication_role = replica", name))
	}
	err = pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "42501" {
			return nil, fmt.Errorf("create the restore's load role (the connection needs to be a superuser, or hold CREATEROLE and ADMIN on role %s): %s; nothing was changed", owner, pg.Message)
		}
		return nil, fmt.Errorf("create the restore's load role for %s: %w; nothing was changed", owner, err)
	}
	return lr, nil
}

// config is base (an admin connection's configuration) logging in as the
// load role, to database.
func (lr *loadRole) config(base *pgx.ConnConfig, database string) *pgx.ConnConfig {
	cfg := base.Copy()
	cfg.User, cfg.Password, cfg.Database = lr.Name, lr.password, database
	cfg.RuntimeParams["search_path"] = pinnedSearchPath
	return cfg
}

// connect opens a session as the load role and becomes its owner; it
// checks that the session is not a superuser's.
func (lr *loadRole) connect(ctx context.Context, base *pgx.ConnConfig, database string) (*pgx.Conn, error) {
	cfg := lr.config(base, database)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("log in as the restore's load role %s (allow password logins of roles %s* to database %s from this host in pg_hba.conf): %w",
			lr.Name, loadRolePrefix, database, err)
	}
	var super string
	if _, err = conn.Exec(ctx, "SET ROLE "+pgx.Identifier{lr.Owner}.Sanitize()); err == nil {
		err = conn.QueryRow(ctx, "SELECT pg_catalog.current_setting('is_superuser')").Scan(&super)
	}
	if err == nil && super != "off" {
		err = errors.New("the session is a superuser's")
	}
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("become role %s on database %s: %w", lr.Owner, database, err)
	}
	return conn, nil
}

// lock stops new logins as the load role, once the restore's sessions are
// open: no one else can use it, even if customer code changed its password.
func (lr *loadRole) lock(ctx context.Context, admin *pgx.Conn) error {
	if _, err := admin.Exec(ctx, "ALTER ROLE "+pgx.Identifier{lr.Name}.Sanitize()+" NOLOGIN"); err != nil {
		return fmt.Errorf("lock the restore's load role %s: %w", lr.Name, err)
	}
	return nil
}

// disown drops what customer code may have created or been granted as the
// load role itself (after a RESET ROLE) in the database admin is connected
// to: DROP ROLE refuses a role that owns or holds anything.
func (lr *loadRole) disown(ctx context.Context, admin *pgx.Conn) error {
	if _, err := admin.Exec(ctx, "DROP OWNED BY "+pgx.Identifier{lr.Name}.Sanitize()); err != nil {
		return fmt.Errorf("drop what the restore's load role %s holds: %w", lr.Name, err)
	}
	return nil
}

// drop removes the load role; every session of it must be closed. It runs
// even when the restore was cancelled.
func (lr *loadRole) drop(ctx context.Context, admin *pgx.Conn) error {
	if lr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{lr.Name}.Sanitize()); err != nil {
		return fmt.Errorf("drop the restore's load role %s (it cannot log in; drop it by hand): %w", lr.Name, err)
	}
	return nil
}

// scramVerifier is what PostgreSQL stores for password with SCRAM-SHA-256
// (RFC 5802, RFC 7677), so that the password itself never reaches the
// server's logs.
func scramVerifier(password string) (string, error) {
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(mac(salted, "Server Key"))), nil
}
