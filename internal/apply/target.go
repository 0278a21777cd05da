package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/extract"
)

// querier is what inspecting the target needs: a connection or a
// transaction on it.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// targetTable is a relation as the target holds it.
type targetTable struct {
	Name extract.Name
	OID  uint32
	// Kind is pg_class.relkind: r table, p partitioned table, v view, m
	// materialized view, f foreign table, ...
	Kind string
	// Owner is the role that owns it: the restore runs as this role.
	Owner string
	// ForceRLS says its row security applies to its owner too
	// (FORCE ROW LEVEL SECURITY).
	ForceRLS bool
	Columns  []targetColumn
	// PK are the primary key's columns, in key order; nil without one.
	PK []string
	// Partitions are a partitioned table's partitions on the target, at
	// every level.
	Partitions []extract.Name
}

// Partitioned says the relation is a partitioned table: it has no rows
// of its own.
func (t *targetTable) Partitioned() bool { return t.Kind == "p" }

func (t *targetTable) column(name string) *targetColumn {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// targetColumn is a column of a target table.
type targetColumn struct {
	Name string
	// Type is format_type(atttypid, atttypmod).
	Type       string
	NotNull    bool
	HasDefault bool
	// Identity is attidentity: "a" (ALWAYS), "d" (BY DEFAULT) or "".
	Identity string
	// Generated is attgenerated: "s" (stored) or "".
	Generated string
}

// describe writes the column as Drift shows it: "text NOT NULL DEFAULT".
func (c *targetColumn) describe() string {
	s := c.Type
	if c.NotNull {
		s += " NOT NULL"
	}
	switch {
	case c.Generated != "":
		s += " GENERATED"
	case c.Identity != "":
		s += " IDENTITY"
	case c.HasDefault:
		s += " DEFAULT"
	}
	return s
}

// fillable says a row that has no value for the column can still be
// inserted: it is nullable, defaulted, identity or generated.
func (c *targetColumn) fillable() bool {
	return !c.NotNull || c.HasDefault || c.Identity != "" || c.Generated != ""
}

// inspectTables returns the relations of names the target holds, keyed by
// name; names it lacks are absent from the map.
func inspectTables(ctx context.Context, q querier, names []extract.Name) (map[extract.Name]*targetTable, error) {
	out := map[extract.Name]*targetTable{}
	if len(names) == 0 {
		return out, nil
	}
	texts := make([]string, len(names))
	for i, n := range names {
		texts[i] = n.String()
	}
	rows, err := q.Query(ctx, `
		SELECT n.i::int, c.oid, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner)::text, c.relforcerowsecurity
		FROM unnest($1::text[]) WITH ORDINALITY AS n(name, i)
		JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(n.name)`, texts)
	if err != nil {
		return nil, fmt.Errorf("look up the tables on the target: %w", err)
	}
	byOID := map[uint32]*targetTable{}
	var oids []uint32
	for rows.Next() {
		var i int
		t := &targetTable{}
		if err := rows.Scan(&i, &t.OID, &t.Kind, &t.Owner, &t.ForceRLS); err != nil {
			rows.Close()
			return nil, fmt.Errorf("look up the tables on the target: %w", err)
		}
		t.Name = names[i-1]
		out[t.Name] = t
		byOID[t.OID] = t
		oids = append(oids, t.OID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up the tables on the target: %w", err)
	}
	if len(oids) == 0 {
		return out, nil
	}

	rows, err = q.Query(ctx, `
		SELECT attrelid, attname::text, pg_catalog.format_type(atttypid, atttypmod), attnotnull, atthasdef,
		       attidentity::text, attgenerated::text
		FROM pg_catalog.pg_attribute
		WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped
		ORDER BY attrelid, attnum`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the columns of the tables on the target: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var c targetColumn
		if err := rows.Scan(&oid, &c.Name, &c.Type, &c.NotNull, &c.HasDefault, &c.Identity, &c.Generated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the columns of the tables on the target: %w", err)
		}
		byOID[oid].Columns = append(byOID[oid].Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the columns of the tables on the target: %w", err)
	}

	rows, err = q.Query(ctx, `
		SELECT i.indrelid,
		       ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, o)
		             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_catalog.pg_index i
		WHERE i.indisprimary AND i.indrelid = ANY($1::oid[])`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the primary keys of the tables on the target: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var cols []string
		if err := rows.Scan(&oid, &cols); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the primary keys of the tables on the target: %w", err)
		}
		byOID[oid].PK = cols
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the primary keys of the tables on the target: %w", err)
	}

	rows, err = q.Query(ctx, `
		SELECT r.oid, n.nspname::text, c.relname::text
		FROM unnest($1::oid[]) AS r(oid)
		CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.oid) AS pt
		JOIN pg_catalog.pg_class c ON c.oid = pt.relid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE pt.relid <> r.oid
		ORDER BY 1, 2, 3`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the partitions of the tables on the target: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var p extract.Name
		if err := rows.Scan(&oid, &p.Schema, &p.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the partitions of the tables on the target: %w", err)
		}
		byOID[oid].Partitions = append(byOID[oid].Partitions, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the partitions of the tables on the target: %w", err)
	}
	return out, nil
}

// reference is a foreign key on the target from a table outside a set to
// a table in it.
type reference struct {
	// From is the referencing table (its partition root when it is a
	// partition), To the referenced table, Constraint the key's name.
	From, To   extract.Name
	Constraint string
}

func (f reference) String() string {
	return fmt.Sprintf("%s references %s (FOREIGN KEY %s)", f.From, f.To, extract.QuoteIdent(f.Constraint))
}

// inspectReferences returns the foreign keys on the target from tables
// outside set to tables in it (given by oid), one per referencing table
// and constraint, sorted.
func inspectReferences(ctx context.Context, q querier, set map[extract.Name]*targetTable) ([]reference, error) {
	var oids []uint32
	for _, t := range set {
		oids = append(oids, t.OID)
	}
	if len(oids) == 0 {
		return nil, nil
	}
	// A key on a partitioned table is cloned onto its partitions, and a key
	// to a partitioned table onto the referenced partitions: every clone is
	// read (a selected partition may be referenced only through one), and
	// the referencing side is reported as its partition root.
	rows, err := q.Query(ctx, `
		SELECT fn.nspname::text, f.relname::text, tn.nspname::text, t.relname::text, con.conname::text
		FROM pg_catalog.pg_constraint con
		JOIN pg_catalog.pg_class f ON f.oid = coalesce(pg_catalog.pg_partition_root(con.conrelid), con.conrelid)
		JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
		JOIN pg_catalog.pg_class t ON t.oid = con.confrelid
		JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
		WHERE con.contype = 'f' AND con.confrelid = ANY($1::oid[])
		ORDER BY con.conparentid <> 0, 1, 2, 5`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
	}
	defer rows.Close()
	var out []reference
	seen := map[[3]string]bool{}
	for rows.Next() {
		var ref reference
		if err := rows.Scan(&ref.From.Schema, &ref.From.Name, &ref.To.Schema, &ref.To.Name, &ref.Constraint); err != nil {
			return nil, fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
		}
		if _, in := set[ref.From]; in {
			continue
		}
		k := [3]string{ref.From.Schema, ref.From.Name, ref.Constraint}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the foreign keys that reference the tables on the target: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// countRows counts the rows of the table itself (ONLY: an inheritance
// child is a table of its own).
func countRows(ctx context.Context, q querier, t extract.Name) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, "SELECT count(*) FROM ONLY "+t.String()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the rows of %s on the target: %w", t, err)
	}
	return n, nil
}

// foreignKey is a validated foreign key of a restored table, for checking
// the rows that were loaded with triggers off.
type foreignKey struct {
	Name             string
	From, To         extract.Name
	FromKind         string // relkind of From
	FromCols, ToCols []string
	FromOID          uint32
}

// inspectForeignKeys returns the validated foreign keys of the tables
// given by oid (their own, not their partitions' clones).
func inspectForeignKeys(ctx context.Context, q querier, oids []uint32) ([]foreignKey, error) {
	if len(oids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `
		SELECT con.conname::text, con.conrelid, fn.nspname::text, f.relname::text, f.relkind::text,
		       tn.nspname::text, t.relname::text,
		       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, o)
		             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
		       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, o)
		             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_catalog.pg_constraint con
		JOIN pg_catalog.pg_class f ON f.oid = con.conrelid
		JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
		JOIN pg_catalog.pg_class t ON t.oid = con.confrelid
		JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
		WHERE con.contype = 'f' AND con.convalidated AND con.conrelid = ANY($1::oid[])
		  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint p
		                  WHERE p.oid = con.conparentid AND p.conrelid = ANY($1::oid[]))
		ORDER BY 3, 4, 1`, oids)
	if err != nil {
		return nil, fmt.Errorf("read the foreign keys of the restored tables: %w", err)
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var fk foreignKey
		if err := rows.Scan(&fk.Name, &fk.FromOID, &fk.From.Schema, &fk.From.Name, &fk.FromKind,
			&fk.To.Schema, &fk.To.Name, &fk.FromCols, &fk.ToCols); err != nil {
			return nil, fmt.Errorf("read the foreign keys of the restored tables: %w", err)
		}
		out = append(out, fk)
	}
	return out, rows.Err()
}

// violations counts the rows of the key's table that reference no row
// (MATCH SIMPLE: a key with a NULL in it references nothing and passes).
func (fk *foreignKey) violations(ctx context.Context, q querier) (int64, error) {
	only := "ONLY "
	if fk.FromKind == "p" {
		only = "" // a partitioned table's rows are its partitions'
	}
	var notNull, match []string
	for i := range fk.FromCols {
		c := "c." + pgx.Identifier{fk.FromCols[i]}.Sanitize()
		notNull = append(notNull, c+" IS NOT NULL")
		match = append(match, "p."+pgx.Identifier{fk.ToCols[i]}.Sanitize()+" = "+c)
	}
	sql := fmt.Sprintf("SELECT count(*) FROM %s%s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)",
		only, fk.From, strings.Join(notNull, " AND "), fk.To, strings.Join(match, " AND "))
	var n int64
	if err := q.QueryRow(ctx, sql).Scan(&n); err != nil {
		return 0, fmt.Errorf("check FOREIGN KEY %s of %s: %w", extract.QuoteIdent(fk.Name), fk.From, err)
	}
	return n, nil
}
