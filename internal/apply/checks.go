package apply

import (
	"context"
	"fmt"

	"github.com/powabase/restorectl/internal/extract"
)

// notValidCheck is a CHECK constraint added NOT VALID that applies to an
// affected table: rows older than it, which a snapshot holds, break it,
// and PostgreSQL has no way to load a row past a CHECK. A restore drops it
// for its load and adds it back NOT VALID, with its comment, before
// COMMIT: the snapshot's rows come back exactly and the constraint is as
// it was. Validated checks stay: the snapshot's rows met them.
type notValidCheck struct {
	// Table is where the constraint is declared (an ancestor of an
	// affected table when the affected table inherits it).
	Table extract.Name
	Name  string
	// Def is pg_get_constraintdef: "CHECK (...) NOT VALID", written by the
	// target's server.
	Def     string
	Comment *string
}

func (c notValidCheck) drop() string {
	return fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", c.Table, extract.QuoteIdent(c.Name))
}

func (c notValidCheck) add() string {
	return fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", c.Table, extract.QuoteIdent(c.Name), c.Def)
}

// inspectNotValidChecks returns the NOT VALID checks declared on the
// tables (by oid) and those they inherit from their ancestors, ancestors'
// first: a constraint both declared on a child and inherited can only be
// dropped from its parent first.
func inspectNotValidChecks(ctx context.Context, q querier, oids []uint32) ([]notValidCheck, error) {
	if len(oids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `
		WITH RECURSIVE rel(oid) AS (
		  SELECT unnest($1::oid[])
		  UNION
		  SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN rel ON i.inhrelid = rel.oid
		)
		SELECT n.nspname::text, r.relname::text, c.conname::text, pg_catalog.pg_get_constraintdef(c.oid),
		       pg_catalog.obj_description(c.oid, 'pg_constraint'),
		       (WITH RECURSIVE up(oid) AS (
		          SELECT c.conrelid
		          UNION
		          SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid)
		        SELECT count(*) FROM up) AS depth
		FROM pg_catalog.pg_constraint c
		JOIN rel ON rel.oid = c.conrelid
		JOIN pg_catalog.pg_class r ON r.oid = c.conrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
		WHERE c.contype = 'c' AND NOT c.convalidated AND c.conislocal
		  AND (c.conrelid = ANY($1::oid[]) OR NOT c.connoinherit)
		ORDER BY depth, 1, 2, 3`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the NOT VALID check constraints of the tables on the target: %w", err)
	}
	defer rows.Close()
	var out []notValidCheck
	for rows.Next() {
		var c notValidCheck
		var depth int64
		if err := rows.Scan(&c.Table.Schema, &c.Table.Name, &c.Name, &c.Def, &c.Comment, &depth); err != nil {
			return nil, fmt.Errorf("read the NOT VALID check constraints of the tables on the target: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the NOT VALID check constraints of the tables on the target: %w", err)
	}
	return out, nil
}

// readNotValidChecks finds the NOT VALID checks of the existing affected
// tables.
func (t *targetRun) readNotValidChecks(ctx context.Context) error {
	var oids []uint32
	for _, n := range t.existing() {
		oids = append(oids, t.onTarget[n].OID)
	}
	var err error
	t.notValid, err = inspectNotValidChecks(ctx, t.tx, oids)
	return err
}

// suspendChecks drops the NOT VALID checks for the load.
func (t *targetRun) suspendChecks(ctx context.Context) error {
	for _, c := range t.notValid {
		if _, err := t.tx.Exec(ctx, c.drop()); err != nil {
			return t.r.lockError(err, "drop the NOT VALID check "+extract.QuoteIdent(c.Name)+" of", c.Table)
		}
	}
	return nil
}

// resumeChecks adds the NOT VALID checks back, as they were: in reverse
// order (a child's own copy before its parent's merges into it), NOT
// VALID (no row is checked), with their comments.
func (t *targetRun) resumeChecks(ctx context.Context) error {
	for i := len(t.notValid) - 1; i >= 0; i-- {
		c := t.notValid[i]
		if _, err := t.tx.Exec(ctx, c.add()); err != nil {
			return fmt.Errorf("add the NOT VALID check %s back to %s: %w", extract.QuoteIdent(c.Name), c.Table, err)
		}
		if c.Comment == nil {
			continue
		}
		sql := fmt.Sprintf("COMMENT ON CONSTRAINT %s ON %s IS %s", extract.QuoteIdent(c.Name), c.Table, quoteLiteral(*c.Comment))
		if _, err := t.tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("put the comment of the NOT VALID check %s of %s back: %w", extract.QuoteIdent(c.Name), c.Table, err)
		}
	}
	return nil
}
