package apply

import (
	"context"
	"fmt"

	"github.com/powabase/restorectl/internal/extract"
)

// A suspension is something of the target's that would stop the snapshot's
// rows from coming back exactly, switched off for the load and back on, as
// it was, before COMMIT:
//
//   - A CHECK constraint added NOT VALID, to a table or to a domain of one
//     of its columns: rows older than it, which a snapshot holds, break
//     it, and PostgreSQL has no way to load a row past a CHECK. It is
//     dropped and added back NOT VALID (no row is checked), with its
//     comment. Validated checks stay: the snapshot's rows met them.
//   - A trigger or rule enabled ALWAYS: it fires even with
//     session_replication_role = replica, which silences the others. It is
//     disabled and enabled ALWAYS again.
type suspension struct {
	// Table is the table it belongs to, or the domain.
	Table extract.Name
	// Off switches it off; On are what put it back.
	Off string
	On  []string
	// Why is what the plan says of it.
	Why string
}

// inspectSuspensions returns what the load must suspend for the tables
// (by oid) that receive rows: the NOT VALID checks of their columns'
// domains, theirs, also those declared on an ancestor (ancestors' first: a constraint both declared on a child
// and inherited can only be dropped from its parent first), then their
// triggers and rules enabled ALWAYS.
func inspectSuspensions(ctx context.Context, q querier, oids []uint32) ([]suspension, error) {
	if len(oids) == 0 {
		return nil, nil
	}
	const what = "read the NOT VALID checks and the triggers and rules enabled ALWAYS of the tables on the target"
	rows, err := q.Query(ctx, `
		WITH RECURSIVE rel(oid) AS (
		  SELECT unnest($1::oid[])
		  UNION
		  SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN rel ON i.inhrelid = rel.oid
		), typ(oid) AS (
		  SELECT a.atttypid FROM pg_catalog.pg_attribute a
		  WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
		  UNION
		  SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
		  FROM pg_catalog.pg_type t JOIN typ ON t.oid = typ.oid
		  WHERE t.typtype = 'd' OR t.typelem <> 0
		)
		SELECT 'domain', n.nspname::text, t.typname::text, c.conname::text, pg_catalog.pg_get_constraintdef(c.oid),
		       pg_catalog.obj_description(c.oid, 'pg_constraint'), 0::bigint AS depth
		FROM pg_catalog.pg_constraint c
		JOIN typ ON typ.oid = c.contypid
		JOIN pg_catalog.pg_type t ON t.oid = c.contypid
		JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE c.contype = 'c' AND NOT c.convalidated
		UNION ALL
		SELECT 'check', n.nspname::text, r.relname::text, c.conname::text, pg_catalog.pg_get_constraintdef(c.oid),
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
		UNION ALL
		SELECT 'trigger', n.nspname, r.relname, g.tgname::text, '', NULL, 1000
		FROM pg_catalog.pg_trigger g
		JOIN pg_catalog.pg_class r ON r.oid = g.tgrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
		WHERE g.tgrelid = ANY($1::oid[]) AND g.tgenabled = 'A' AND NOT g.tgisinternal
		UNION ALL
		SELECT 'rule', n.nspname, r.relname, w.rulename::text, '', NULL, 1000
		FROM pg_catalog.pg_rewrite w
		JOIN pg_catalog.pg_class r ON r.oid = w.ev_class
		JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
		WHERE w.ev_class = ANY($1::oid[]) AND w.ev_enabled = 'A'
		ORDER BY depth, 1, 2, 3, 4`, oids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []suspension
	for rows.Next() {
		var kind, name, def string
		var comment *string
		var depth int64
		var s suspension
		if err := rows.Scan(&kind, &s.Table.Schema, &s.Table.Name, &name, &def, &comment, &depth); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		name = extract.QuoteIdent(name)
		switch kind {
		case "domain", "check":
			// def is the target server's own text of the constraint.
			// Table is the domain's name for a domain's check.
			alter, on, values := "ALTER TABLE", "", "rows"
			if kind == "domain" {
				alter, on, values = "ALTER DOMAIN", "DOMAIN ", "values"
			}
			s.Off = fmt.Sprintf("%s %s DROP CONSTRAINT %s", alter, s.Table, name)
			s.On = []string{fmt.Sprintf("%s %s ADD CONSTRAINT %s %s", alter, s.Table, name, def)}
			if comment != nil {
				s.On = append(s.On, fmt.Sprintf("COMMENT ON CONSTRAINT %s ON %s%s IS %s", name, on, s.Table, extract.QuoteLiteral(*comment)))
			}
			s.Why = "a NOT VALID check older " + values + " may break: added back NOT VALID, with its comment, before COMMIT"
		case "trigger", "rule":
			verb := "TRIGGER"
			if kind == "rule" {
				verb = "RULE"
			}
			s.Off = fmt.Sprintf("ALTER TABLE ONLY %s DISABLE %s %s", s.Table, verb, name)
			s.On = []string{fmt.Sprintf("ALTER TABLE ONLY %s ENABLE ALWAYS %s %s", s.Table, verb, name)}
			s.Why = "enabled ALWAYS, it would fire despite replica: enabled ALWAYS again before COMMIT"
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// readSuspensions finds what the load into the existing affected tables
// must suspend.
func (t *targetRun) readSuspensions(ctx context.Context) error {
	var oids []uint32
	for _, n := range t.existing() {
		oids = append(oids, t.onTarget[n].OID)
	}
	var err error
	t.suspended, err = inspectSuspensions(ctx, t.tx, oids)
	return err
}

// suspend switches off what the load must not meet.
func (t *targetRun) suspend(ctx context.Context) error {
	for _, s := range t.suspended {
		if _, err := t.tx.Exec(ctx, s.Off); err != nil {
			if isLockTimeout(err) {
				return t.r.lockError(err, "", s.Table)
			}
			return fmt.Errorf("switch off for the load on the target: %s: %w", s.Off, err)
		}
	}
	return nil
}

// resume puts back what suspend switched off, in reverse order (a child's
// own copy of a check before its parent's merges into it).
func (t *targetRun) resume(ctx context.Context) error {
	for i := len(t.suspended) - 1; i >= 0; i-- {
		for _, sql := range t.suspended[i].On {
			if _, err := t.tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("put back what the load suspended on %s (%s): %w", t.suspended[i].Table, sql, err)
			}
		}
	}
	return nil
}
