package apply

import (
	"slices"
	"testing"

	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestCompareColumns(t *testing.T) {
	id := snapColumn{Name: "id", NotNull: true}
	name := snapColumn{Name: "name"}
	gen := snapColumn{Name: "g", Generated: true}
	types := map[string]string{"id": "integer", "name": "text", "g": "integer"}
	tid := targetColumn{Name: "id", Type: "integer", NotNull: true}
	tname := targetColumn{Name: "name", Type: "text"}
	for _, tc := range []struct {
		name    string
		snap    []snapColumn
		missing map[string]string
		target  []targetColumn
		// want is column:compatible for each drift, in order.
		want []string
	}{
		{name: "same", snap: []snapColumn{id, name}, target: []targetColumn{tid, tname}},
		{name: "extra nullable", snap: []snapColumn{id}, target: []targetColumn{tid, tname}, want: []string{"name:true"}},
		{name: "extra defaulted", snap: []snapColumn{id}, target: []targetColumn{tid, {Name: "x", Type: "int", NotNull: true, HasDefault: true}}, want: []string{"x:true"}},
		{name: "extra identity", snap: []snapColumn{name}, target: []targetColumn{{Name: "id", Type: "integer", NotNull: true, Identity: "a"}, tname}, want: []string{"id:true"}},
		{name: "extra generated", snap: []snapColumn{id}, target: []targetColumn{tid, {Name: "g", Type: "integer", Generated: "s"}}, want: []string{"g:true"}},
		{name: "extra not null", snap: []snapColumn{id}, target: []targetColumn{tid, {Name: "x", Type: "int", NotNull: true}}, want: []string{"x:false"}},
		{name: "dropped", snap: []snapColumn{id, name}, target: []targetColumn{tid}, want: []string{"name:false"}},
		{name: "retyped", snap: []snapColumn{id, name}, target: []targetColumn{tid, {Name: "name", Type: "character varying(20)"}}, want: []string{"name:false"}},
		{name: "not null on the target only", snap: []snapColumn{id, name}, target: []targetColumn{tid, {Name: "name", Type: "text", NotNull: true}}, want: []string{"name:true"}},
		{name: "type missing", snap: []snapColumn{id, name}, missing: map[string]string{"name": `type "x" does not exist`}, target: []targetColumn{tid, tname}, want: []string{"name:false"}},
		{name: "generated in the snapshot, plain not null on the target", snap: []snapColumn{id, gen}, target: []targetColumn{tid, {Name: "g", Type: "integer", NotNull: true}}, want: []string{"g:false"}},
		{name: "generated in the snapshot, nullable on the target", snap: []snapColumn{id, gen}, target: []targetColumn{tid, {Name: "g", Type: "integer"}}},
		{name: "generated on the target only", snap: []snapColumn{id, name}, target: []targetColumn{tid, {Name: "name", Type: "text", Generated: "s"}}, want: []string{"name:false"}},
		{name: "generated column dropped", snap: []snapColumn{id, gen}, target: []targetColumn{tid}, want: []string{"g:true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &snapTable{Columns: tc.snap}
			tt := &targetTable{Columns: tc.target}
			var got []string
			for _, d := range compareColumns(st, types, tc.missing, tt) {
				if d.Reason == "" {
					t.Errorf("drift of %s has no reason", d.Column)
				}
				c := "false"
				if d.Compatible {
					c = "true"
				}
				got = append(got, d.Column+":"+c)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("drift = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadSnapshotTables reads tables' columns from the CREATE TABLE
// statements of a real dump: inherited columns (from two levels and from
// two parents), partitions, generated columns left out of COPY.
func TestReadSnapshotTables(t *testing.T) {
	pg := testenv.StartPostgres(t)
	c := pg.Corpus(t, "partitions")[0]
	src := fileSource(t, c.Path)
	want := map[extract.Name][]string{
		{Schema: "storage", Name: "electric_cars"}: {"id", "name", "wheels", "seats", "battery_kwh"},
		{Schema: "public", Name: "amphibians"}:     {"id", "name", "wheels", "seats", "draft_m", "max_depth_m"},
		{Schema: "ai", Name: "usage_2025_chat"}:    {"tenant", "day", "kind", "tokens"},
		{Schema: "public", Name: "vehicles"}:       {"id", "name", "wheels"},
	}
	var names []extract.Name
	for n := range want {
		names = append(names, n)
	}
	tables, err := readSnapshotTables(t.Context(), src, names)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(want) {
		t.Errorf("read %d tables, want %d", len(tables), len(want))
	}
	for n, cols := range want {
		st := tables[n]
		if st == nil {
			t.Errorf("%s: not read", n)
			continue
		}
		got := st.copyColumns()
		slices.Sort(got)
		slices.Sort(cols)
		if !slices.Equal(got, cols) {
			t.Errorf("%s: COPY columns %q, want %q", n, got, cols)
		}
		// The COPY block of the dump agrees.
		if tbl := src.TOC.Table(n); tbl == nil || tbl.Data < 0 {
			t.Errorf("%s: no COPY block", n)
		}
	}
	if g := tables[extract.Name{Schema: "ai", Name: "usage_2025_chat"}].column("cost"); g == nil || !g.Generated {
		t.Errorf("ai.usage_2025_chat.cost = %+v, want a generated column", g)
	}
}

// TestReadSnapshotTypedTable: a typed table (CREATE TABLE ... OF type)
// has its composite type's columns, in the type's order, with the options
// the table adds (a primary key makes one NOT NULL).
func TestReadSnapshotTypedTable(t *testing.T) {
	pg := testenv.StartPostgres(t)
	src := fileSource(t, pg.Corpus(t, "shapes")[0].Path)
	pairs := extract.Name{Schema: "public", Name: "pairs"}
	tables, err := readSnapshotTables(t.Context(), src, []extract.Name{pairs})
	if err != nil {
		t.Fatal(err)
	}
	st := tables[pairs]
	if st == nil {
		t.Fatal("public.pairs: not read")
	}
	if got := st.copyColumns(); !slices.Equal(got, []string{"left_side", "right_side"}) {
		t.Errorf("COPY columns %q, want left_side, right_side", got)
	}
	for _, c := range st.Columns {
		if c.Type == nil || c.NotNull != (c.Name == "left_side") {
			t.Errorf("column %s: type %v, not null %v", c.Name, c.Type, c.NotNull)
		}
	}
}
