package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/powabase/restorectl/internal/extract"
)

// snapTable is a table as the snapshot's CREATE TABLE statements define
// it, inherited columns included.
type snapTable struct {
	Name    extract.Name
	Columns []snapColumn
}

// snapColumn is a column of a snapshot table.
type snapColumn struct {
	Name string
	// Type is the type as written in the dump; nil when the dump leaves
	// it to a parent (PARTITION OF ... (col WITH OPTIONS ...)).
	Type      *pg_query.TypeName
	NotNull   bool
	Generated bool
}

// copyColumns are the columns the snapshot's COPY block lists: every
// column but generated ones.
func (s *snapTable) copyColumns() []string {
	var cols []string
	for _, c := range s.Columns {
		if !c.Generated {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

func (s *snapTable) column(name string) *snapColumn {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return &s.Columns[i]
		}
	}
	return nil
}

// readSnapshotTables reads the CREATE TABLE statements of tables (and of
// their inheritance ancestors, whose columns they have) from the snapshot:
// they are in the pre-data part, at the start of a dump, so the walk is
// short.
func readSnapshotTables(ctx context.Context, src *Source, tables []extract.Name) (map[extract.Name]*snapTable, error) {
	toc := src.TOC
	defs := map[extract.Name]*pg_query.CreateStmt{}
	want := map[extract.Name]bool{}
	var addWant func(n extract.Name)
	addWant = func(n extract.Name) {
		if want[n] || toc.Table(n) == nil {
			return
		}
		want[n] = true
		if p := toc.Table(n).Parent; p != nil {
			addWant(*p)
		}
	}
	for _, n := range tables {
		addWant(n)
	}
	// Multiple inheritance names parents the table of contents does not
	// record as Parent: read until every ancestor is known.
	// A typed table (CREATE TABLE ... OF type) takes its columns from its
	// composite type's CREATE TYPE: read those too.
	types := map[extract.Name]*pg_query.CompositeTypeStmt{}
	wantType := map[extract.Name]bool{}
	for range 16 {
		pending := map[extract.Name]bool{}
		for n := range want {
			if defs[n] == nil {
				pending[n] = true
			}
		}
		pendingType := map[extract.Name]bool{}
		for n := range wantType {
			if types[n] == nil {
				pendingType[n] = true
			}
		}
		if len(pending) == 0 && len(pendingType) == 0 {
			break
		}
		err := src.Walk(ctx, func(i int) bool {
			e := &toc.Entries[i]
			return e.Item == extract.Statement && (e.Kind == extract.KindTable && pending[e.Object] ||
				e.Kind == extract.KindType && pendingType[e.Object])
		}, func(i int, it *extract.Item) error {
			e := &toc.Entries[i]
			tree, err := pg_query.Parse(it.SQL)
			if err != nil {
				return fmt.Errorf("parse the CREATE %s of %s in the snapshot: %w", strings.ToUpper(string(e.Kind)), e.Object, err)
			}
			for _, st := range tree.GetStmts() {
				if cs := st.GetStmt().GetCreateStmt(); cs != nil && e.Kind == extract.KindTable {
					defs[e.Object] = cs
					return nil
				}
				if ct := st.GetStmt().GetCompositeTypeStmt(); ct != nil && e.Kind == extract.KindType {
					types[e.Object] = ct
					return nil
				}
			}
			if e.Kind == extract.KindType {
				return nil // an enum, range or base type: no typed table's
			}
			return fmt.Errorf("the snapshot's statement for table %s at byte %d is not a CREATE TABLE", e.Object, e.Offset)
		})
		if err != nil {
			return nil, fmt.Errorf("read the definitions of the tables from snapshot %s: %w", src.Name, err)
		}
		grew := false
		for n := range pending {
			cs := defs[n]
			if cs == nil {
				delete(want, n) // not a CREATE TABLE in this dump
				continue
			}
			for _, p := range cs.GetInhRelations() {
				pn := rangeVarName(p.GetRangeVar(), n.Schema)
				if !want[pn] && toc.Table(pn) != nil {
					addWant(pn)
					grew = true
				}
			}
			if tn, ok := typeName(cs.GetOfTypename(), n.Schema); ok && !wantType[tn] {
				wantType[tn] = true
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	out := map[extract.Name]*snapTable{}
	var build func(n extract.Name, depth int) *snapTable
	build = func(n extract.Name, depth int) *snapTable {
		if st, ok := out[n]; ok {
			return st
		}
		cs := defs[n]
		if cs == nil || depth > 32 {
			return nil
		}
		st := &snapTable{Name: n}
		if tn, ok := typeName(cs.GetOfTypename(), n.Schema); ok {
			if ct := types[tn]; ct != nil {
				for _, elt := range ct.GetColdeflist() {
					if cd := elt.GetColumnDef(); cd != nil {
						st.Columns = append(st.Columns, snapColumn{Name: cd.GetColname(), Type: cd.GetTypeName()})
					}
				}
			}
		}
		for _, p := range cs.GetInhRelations() {
			if ps := build(rangeVarName(p.GetRangeVar(), n.Schema), depth+1); ps != nil {
				for _, c := range ps.Columns {
					if st.column(c.Name) == nil {
						st.Columns = append(st.Columns, c)
					}
				}
			}
		}
		for _, elt := range cs.GetTableElts() {
			cd := elt.GetColumnDef()
			if cd == nil {
				continue
			}
			c := snapColumn{Name: cd.GetColname(), Type: cd.GetTypeName(), NotNull: cd.GetIsNotNull(), Generated: cd.GetGenerated() != ""}
			for _, con := range cd.GetConstraints() {
				switch con.GetConstraint().GetContype() {
				case pg_query.ConstrType_CONSTR_NOTNULL, pg_query.ConstrType_CONSTR_PRIMARY:
					c.NotNull = true
				case pg_query.ConstrType_CONSTR_GENERATED:
					c.Generated = true
				}
			}
			if prev := st.column(c.Name); prev != nil {
				// A column redeclared by a child (or given options by a
				// partition) keeps what its parent says.
				if c.Type == nil {
					c.Type = prev.Type
				}
				c.NotNull = c.NotNull || prev.NotNull
				c.Generated = c.Generated || prev.Generated
				*prev = c
				continue
			}
			st.Columns = append(st.Columns, c)
		}
		out[n] = st
		return st
	}
	for _, n := range tables {
		build(n, 0)
	}
	for n := range out {
		if !slices.Contains(tables, n) {
			delete(out, n)
		}
	}
	return out, nil
}

// typeName is the name of the composite type of a typed table (OF type),
// false for none.
func typeName(t *pg_query.TypeName, defaultSchema string) (extract.Name, bool) {
	var parts []string
	for _, p := range t.GetNames() {
		parts = append(parts, p.GetString_().GetSval())
	}
	switch len(parts) {
	case 1:
		return extract.Name{Schema: defaultSchema, Name: parts[0]}, true
	case 2:
		return extract.Name{Schema: parts[0], Name: parts[1]}, true
	}
	return extract.Name{}, false
}

func rangeVarName(rv *pg_query.RangeVar, defaultSchema string) extract.Name {
	n := extract.Name{Schema: rv.GetSchemaname(), Name: rv.GetRelname()}
	if n.Schema == "" {
		n.Schema = defaultSchema
	}
	return n
}

// tempTableSQL is a CREATE TEMP TABLE holding only the given columns'
// names and types, as the target would create them.
func tempTableSQL(name string, cols []snapColumn) (string, error) {
	cs := &pg_query.CreateStmt{
		Relation: &pg_query.RangeVar{Schemaname: "pg_temp", Relname: name, Inh: true, Relpersistence: "t"},
		Oncommit: pg_query.OnCommitAction_ONCOMMIT_NOOP,
	}
	for _, c := range cols {
		if c.Type == nil {
			return "", fmt.Errorf("column %s has no type in the snapshot", extract.QuoteIdent(c.Name))
		}
		cs.TableElts = append(cs.TableElts, &pg_query.Node{Node: &pg_query.Node_ColumnDef{
			ColumnDef: &pg_query.ColumnDef{Colname: c.Name, TypeName: c.Type, IsLocal: true}}})
	}
	return pg_query.Deparse(&pg_query.ParseResult{Version: parseTreeVersion(), Stmts: []*pg_query.RawStmt{{
		Stmt: &pg_query.Node{Node: &pg_query.Node_CreateStmt{CreateStmt: cs}}}}})
}

// parseTreeVersion is the parse tree version pg_query deparses, which a
// tree built by hand must carry: that of any tree it parses.
var parseTreeVersion = sync.OnceValue(func() int32 {
	tree, err := pg_query.Parse("SELECT")
	if err != nil {
		panic(err) // a constant statement pg_query always reads
	}
	return tree.GetVersion()
})

// typeText writes a snapshot column's type as the dump spells it, for
// messages.
func typeText(c snapColumn) string {
	if c.Type == nil {
		return "(inherited)"
	}
	sql, err := tempTableSQL("t", []snapColumn{{Name: "c", Type: c.Type}})
	if err != nil {
		return "(unknown)"
	}
	if i, j := strings.Index(sql, "(c "), strings.LastIndex(sql, ")"); i >= 0 && j > i+3 {
		return sql[i+3 : j]
	}
	return sql
}

const driftTemp = "restorectl_drift"

// snapshotTypes resolves the snapshot columns' types on the target: it
// creates a temporary table with them inside a savepoint and reads back
// format_type of each, so that spellings (int4, integer) and search paths
// do not matter. A type the target lacks is in missing, with the error.
func snapshotTypes(ctx context.Context, q querier, cols []snapColumn) (types map[string]string, missing map[string]string, err error) {
	types, missing = map[string]string{}, map[string]string{}
	try := func(cols []snapColumn) error {
		sql, err := tempTableSQL(driftTemp, cols)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, "SAVEPOINT restorectl_drift"); err != nil {
			return err
		}
		_, cerr := q.Exec(ctx, sql)
		if cerr == nil {
			rows, qerr := q.Query(ctx, `SELECT attname::text, pg_catalog.format_type(atttypid, atttypmod)
				FROM pg_catalog.pg_attribute WHERE attrelid = 'pg_temp.`+driftTemp+`'::regclass AND attnum > 0 AND NOT attisdropped`)
			if qerr == nil {
				for rows.Next() {
					var name, typ string
					if qerr = rows.Scan(&name, &typ); qerr != nil {
						break
					}
					types[name] = typ
				}
				rows.Close()
				if qerr == nil {
					qerr = rows.Err()
				}
			}
			cerr = qerr
		}
		if _, err := q.Exec(ctx, "ROLLBACK TO SAVEPOINT restorectl_drift; RELEASE SAVEPOINT restorectl_drift"); err != nil {
			return errors.Join(cerr, err)
		}
		return cerr
	}
	var typed []snapColumn
	for _, c := range cols {
		if c.Type != nil {
			typed = append(typed, c)
		}
	}
	if err := try(typed); err == nil {
		return types, missing, nil
	} else if !isTypeError(err) {
		return nil, nil, err
	}
	// Find the columns whose types the target lacks, one by one.
	for _, c := range typed {
		if err := try([]snapColumn{c}); err != nil {
			if !isTypeError(err) {
				return nil, nil, err
			}
			var pg *pgconn.PgError
			msg := err.Error()
			if errors.As(err, &pg) {
				msg = pg.Message
			}
			missing[c.Name] = msg
		}
	}
	return types, missing, nil
}

// isTypeError says err is the target not knowing a type (or its schema).
func isTypeError(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.Code {
	case "42704", "3F000", "42809": // undefined object, invalid schema name, not a type
		return true
	}
	return false
}

// compareColumns lists the column-level differences between a table of
// the snapshot and the same table on the target. types are the snapshot
// columns' types as the target spells them; missing are those whose type
// the target lacks.
func compareColumns(st *snapTable, types, missing map[string]string, tt *targetTable) []Drift {
	var out []Drift
	copied := map[string]bool{}
	for _, n := range st.copyColumns() {
		copied[n] = true
	}
	for _, c := range st.Columns {
		snapDesc := typeText(c)
		if t, ok := types[c.Name]; ok {
			snapDesc = t
		}
		if c.NotNull {
			snapDesc += " NOT NULL"
		}
		if c.Generated {
			snapDesc += " GENERATED"
		}
		tc := tt.column(c.Name)
		switch {
		case tc == nil && c.Generated:
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Compatible: true,
				Reason: "generated column missing on the target: the snapshot has no values for it anyway"})
		case tc == nil:
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc,
				Reason: "missing on the target (dropped?): the snapshot's values for it have nowhere to go"})
		case missing[c.Name] != "":
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Target: tc.describe(),
				Reason: "the target lacks the snapshot's type: " + missing[c.Name]})
		case types[c.Name] != "" && types[c.Name] != tc.Type:
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Target: tc.describe(),
				Reason: fmt.Sprintf("type differs: %s in the snapshot, %s on the target", types[c.Name], tc.Type)})
		case copied[c.Name] && tc.Generated != "":
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Target: tc.describe(),
				Reason: "generated on the target: the snapshot's values for it cannot be written"})
		case !copied[c.Name] && !tc.fillable():
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Target: tc.describe(),
				Reason: "NOT NULL without default on the target, generated in the snapshot: the snapshot's rows have no value for it"})
		case copied[c.Name] && tc.NotNull && !c.NotNull:
			out = append(out, Drift{Column: c.Name, Snapshot: snapDesc, Target: tc.describe(), Compatible: true,
				Reason: "NOT NULL on the target only: a snapshot row with NULL in it will stop the restore"})
		}
	}
	for _, tc := range tt.Columns {
		if st.column(tc.Name) != nil {
			continue
		}
		d := Drift{Column: tc.Name, Target: tc.describe()}
		if tc.fillable() {
			d.Compatible = true
			d.Reason = "only on the target: restored rows get its default (or NULL)"
		} else {
			d.Reason = "only on the target, NOT NULL without default: the snapshot's rows have no value for it"
		}
		out = append(out, d)
	}
	return out
}
