package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// The registry of the databases new-project restores are creating.
//
// A restore killed before Commit or Drop leaves its database behind under
// its temporary name, and the next Create sweeps such leftovers up. What
// tells a leftover from anyone else's database must be a mark no customer
// can set: any database owner can COMMENT ON its database (or name it
// x_restoring_abcdef), so the comment is a hint for humans, never read.
// The mark is a row of restorectl.restoring, a table the admin role owns in
// the database of its connection string (schema and table closed to
// PUBLIC; one not owned by the admin role is refused, never used). A row
// records a database by OID and name (one renamed or replaced since is not
// the one recorded), the admin role that created it, and the admin backend
// (pid and start time, so that a reused pid is not taken for the restore)
// whose life keeps the restore running: the restore holds that connection
// until Commit or Drop.
//
// The windows of a crash, and why none drops a stranger's database:
//   - The row is written before CREATE DATABASE (which cannot run in a
//     transaction), without an OID. The database is created owned by the
//     admin role, and one transaction then records its OID, gives it to its
//     owner and comments it. So a row without OID names a database of ours
//     only if that name is owned by the admin role: no customer can create,
//     rename or give away a database owned by the admin role. Otherwise (the
//     restore died before or during CREATE DATABASE) the row is forgotten.
//   - Commit deletes the row in the transaction that renames the database
//     into place: a committed database has no row, so no sweep drops it.
//   - Drop and the sweep drop first and delete the row after: killed in
//     between, the next sweep finds the database gone and forgets the row.
//   - The sweep takes the database back (ALTER DATABASE ... OWNER TO the
//     admin role) and checks its OID and name in one transaction before the
//     DROP, which can only name it: from then on no customer can rename it,
//     so the name dropped is the database recorded.
//   - Two sweeps at once may drop the same database twice (IF EXISTS) and
//     delete the same row twice: harmless. A row is read again right before
//     its database is dropped, so one already dropped and forgotten is not
//     looked for again under its name.
//
// Leftovers of restorectl versions that marked databases by comment only
// are not in the registry: they are never swept, and are dropped by hand.
const registrySetup = `CREATE SCHEMA IF NOT EXISTS restorectl;
REVOKE ALL ON SCHEMA restorectl FROM PUBLIC;
CREATE TABLE IF NOT EXISTS restorectl.restoring (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	datname pg_catalog.name NOT NULL UNIQUE,
	datoid pg_catalog.oid UNIQUE,
	project pg_catalog.text NOT NULL,
	admin_role pg_catalog.oid NOT NULL,
	backend_pid pg_catalog.int4 NOT NULL,
	backend_start pg_catalog.timestamptz NOT NULL,
	registered pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
REVOKE ALL ON TABLE restorectl.restoring FROM PUBLIC;
COMMENT ON TABLE restorectl.restoring IS 'restorectl: databases of new projects being restored; a sweep drops only databases listed here whose restore died'`

// ensureRegistry makes sure the registry exists and belongs to the admin
// role. It is created only when missing: GRANT or REVOKE on one object by
// two restores at once fails.
func ensureRegistry(ctx context.Context, conn *pgx.Conn) error {
	db := conn.Config().Database
	for attempt := 0; ; attempt++ {
		var me string
		var schemaOwner, tableOwner *string
		err := conn.QueryRow(ctx, `SELECT current_user,
			(SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = 'restorectl'),
			(SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
				JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = 'restorectl' AND c.relname = 'restoring' AND c.relkind = 'r')`).Scan(&me, &schemaOwner, &tableOwner)
		if err != nil {
			return fmt.Errorf("look for the registry of restores restorectl.restoring in database %s: %w", db, err)
		}
		switch {
		case schemaOwner != nil && *schemaOwner != me:
			return fmt.Errorf("schema restorectl in database %s belongs to role %s, not to the admin role %s: it cannot hold the registry of restores; drop it, or rename it away, and restore again", db, *schemaOwner, me)
		case tableOwner != nil && *tableOwner != me:
			return fmt.Errorf("table restorectl.restoring in database %s belongs to role %s, not to the admin role %s: it cannot hold the registry of restores; drop it, or rename it away, and restore again", db, *tableOwner, me)
		case tableOwner != nil:
			return nil
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, registrySetup)
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && attempt == 0 && (pgErr.Code == "23505" || pgErr.Code == "42P06" || pgErr.Code == "42P07") {
			continue // created meanwhile by another restore: check it
		}
		if err != nil {
			return fmt.Errorf("create the registry of restores restorectl.restoring in database %s (the admin role needs CREATE on that database, or create schema restorectl owned by the admin role first): %w", db, err)
		}
	}
}

// registration is a row of the registry, as its restore knows it.
type registration struct {
	id  int64
	pid uint32
	oid uint32 // 0 until adopt
}

// register records, before CREATE DATABASE, that this backend creates
// database tmp for the new project name.
func register(ctx context.Context, conn *pgx.Conn, tmp, name string) (registration, error) {
	var r registration
	err := conn.QueryRow(ctx, `INSERT INTO restorectl.restoring (datname, project, admin_role, backend_pid, backend_start)
		SELECT $1, $2, r.oid, a.pid, a.backend_start
		FROM pg_catalog.pg_stat_activity a, pg_catalog.pg_roles r
		WHERE a.pid = pg_catalog.pg_backend_pid() AND r.rolname = current_user
		RETURNING id, backend_pid`, tmp, name).Scan(&r.id, &r.pid)
	if err != nil {
		return r, fmt.Errorf("register database %s of new project %s in restorectl.restoring: %w", tmp, name, err)
	}
	return r, nil
}

// adopt records the OID of database tmp, created by the admin role, then
// gives it to owner and comments it, at once.
func (r *registration) adopt(ctx context.Context, conn *pgx.Conn, tmp, owner, comment string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE restorectl.restoring r SET datoid = d.oid
			FROM pg_catalog.pg_database d
			WHERE r.id = $1 AND d.datname = r.datname AND d.datdba = r.admin_role
			RETURNING d.oid`, r.id).Scan(&r.oid)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("database %s is not the one just created, or its registration is gone: restore again", tmp)
		}
		if err != nil {
			return fmt.Errorf("record the OID of database %s in restorectl.restoring: %w", tmp, err)
		}
		if _, err := tx.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tmp}.Sanitize()+" OWNER TO "+pgx.Identifier{owner}.Sanitize()); err != nil {
			return fmt.Errorf("give database %s to role %s (the admin role must be able to SET ROLE %s): %w", tmp, owner, owner, err)
		}
		if _, err := tx.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{tmp}.Sanitize()+" IS "+extract.QuoteLiteral(comment)); err != nil {
			return fmt.Errorf("comment database %s: %w", tmp, err)
		}
		return nil
	})
}

// unregister deletes r's row in tx, which renames its database into place.
func (r registration) unregister(ctx context.Context, tx pgx.Tx, tmp string) error {
	tag, err := tx.Exec(ctx, "DELETE FROM restorectl.restoring WHERE id = $1 AND datoid = $2 AND datname = $3", r.id, r.oid, tmp)
	if err != nil {
		return fmt.Errorf("remove database %s from restorectl.restoring: %w", tmp, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("database %s is no longer registered as being restored (a sweep took this restore for dead and dropped it?): restore again", tmp)
	}
	return nil
}

// errNotRecorded: a database under a registered name or OID is not the one
// recorded, and is left alone.
var errNotRecorded = errors.New("not the database restorectl created")

// dropRegistered drops the database of registry row id, if it is provably
// the one the row records, then deletes the row. The caller knows that the
// restore which wrote the row is over: dead, or the caller itself. A
// database already gone is no error.
func dropRegistered(ctx context.Context, conn *pgx.Conn, id int64) error {
	var name string
	var oid, admin uint32
	err := conn.QueryRow(ctx, "SELECT datname, coalesce(datoid, 0), admin_role FROM restorectl.restoring WHERE id = $1", id).Scan(&name, &oid, &admin)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // dropped and forgotten by another sweep
	}
	if err != nil {
		return fmt.Errorf("read entry %d of restorectl.restoring: %w", id, err)
	}
	ours, err := claim(ctx, conn, name, oid, admin)
	if err != nil && !errors.Is(err, errNotRecorded) {
		return fmt.Errorf("check database %s before dropping it (the next new-project restore on this cluster tries again): %w", name, err)
	}
	if ours {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s (drop it by hand, or the next new-project restore on this cluster sweeps it up): %w", name, err)
		}
	}
	if _, ferr := conn.Exec(ctx, "DELETE FROM restorectl.restoring WHERE id = $1", id); ferr != nil {
		return errors.Join(err, fmt.Errorf("remove database %s from restorectl.restoring (the next new-project restore on this cluster tries again): %w", name, ferr))
	}
	return err
}

// claim reports whether database name is the one recorded: with OID oid,
// or, if none was recorded, owned by the admin role that registered it. A
// recorded one is taken back by the admin role first, so that no one else
// can rename it before it is dropped. A database gone is not claimed, and
// no error; one renamed or replaced is not claimed, with errNotRecorded.
func claim(ctx context.Context, conn *pgx.Conn, name string, oid, admin uint32) (bool, error) {
	if oid == 0 {
		var ours bool
		err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = $1 AND datdba = $2)", name, admin).Scan(&ours)
		return ours, err
	}
	same := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (bool, string, error) {
		var now *string
		err := q.QueryRow(ctx, "SELECT (SELECT datname FROM pg_catalog.pg_database WHERE oid = $1)", oid).Scan(&now)
		if err != nil || now == nil {
			return false, "", err
		}
		return *now == name, *now, nil
	}
	ok, now, err := same(conn)
	switch {
	case err != nil:
		return false, err
	case now == "":
		return false, nil
	case !ok:
		return false, fmt.Errorf("database %s (OID %d) was renamed to %s meanwhile: %w; drop it by hand if it is not wanted", name, oid, now, errNotRecorded)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER TO CURRENT_USER"); err != nil {
			return err
		}
		// Read again under the update: the name may have moved before it.
		if ok, _, err := same(tx); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("database %s (OID %d) was renamed or replaced meanwhile: %w", name, oid, errNotRecorded))
		}
		return nil
	})
	return err == nil, err
}

// sweep drops the databases of restores that died: registered by an admin
// backend that no longer runs. A pid now held by another backend (a start
// time that differs) is dead; one whose start time the admin role may not
// see is taken for alive. Best effort: a database that cannot be dropped
// (another admin's, say) must not block this restore; the next sweep tries
// again.
func sweep(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT r.id FROM restorectl.restoring r
		WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
			WHERE a.pid = r.backend_pid AND (a.backend_start IS NULL OR a.backend_start = r.backend_start))
		ORDER BY r.id`)
	if err != nil {
		return fmt.Errorf("look for abandoned restores in restorectl.restoring: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("look for abandoned restores in restorectl.restoring: %w", err)
	}
	for _, id := range ids {
		if err := dropRegistered(ctx, conn, id); err != nil && ctx.Err() != nil {
			return fmt.Errorf("sweep up the databases of restores that died: %w", err)
		}
	}
	return nil
}
