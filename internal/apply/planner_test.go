package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/extract"
)

// plannerDump is a snapshot of two tables, a sequence, a type, a function,
// a trigger and a materialized view, as pg_dump writes them.
const plannerDump = `SET statement_timeout = 0;
SET lock_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TYPE public.status AS ENUM (
    'new',
    'paid'
);
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$BEGIN RETURN NEW; END$$;
CREATE TABLE public.orders (
    id integer NOT NULL,
    status public.status
);
CREATE SEQUENCE public.orders_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;
CREATE TABLE public.items (
    id integer NOT NULL,
    order_id integer
);
CREATE MATERIALIZED VIEW public.order_counts AS
 SELECT count(*) AS n
   FROM public.orders
  WITH NO DATA;
ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);
COPY public.orders (id, status) FROM stdin;
1	new
\.
COPY public.items (id, order_id) FROM stdin;
1	1
\.
SELECT pg_catalog.setval('public.orders_id_seq', 1, true);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
CREATE INDEX items_order_idx ON public.items USING btree (order_id);
COMMENT ON TABLE public.orders IS 'orders';
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();
REFRESH MATERIALIZED VIEW public.order_counts;
--
-- PostgreSQL database dump complete
--
`

// TestPlanActions: the planner, without a database. What a restore runs of
// each entry of the snapshot depends on the selection, on which relations
// the target holds and on the mode; a merge's dry run only stages.
func TestPlanActions(t *testing.T) {
	toc, err := extract.ReadTOC(context.Background(), extract.NewReader(strings.NewReader(plannerDump)), nil)
	if err != nil {
		t.Fatal(err)
	}
	orders := extract.Name{Schema: "public", Name: "orders"}
	counts := extract.Name{Schema: "public", Name: "order_counts"}
	held := map[extract.Name]*targetTable{orders: {Name: orders, Kind: "r"}}
	for _, tc := range []struct {
		name     string
		tables   []extract.Name
		onTarget map[extract.Name]*targetTable
		mode     Mode
		dryRun   bool
		want     map[string]entryAction // by "kind object", entries not named are skipped
	}{
		{"overwrite of a table the target holds", []extract.Name{orders}, held, Overwrite, false, map[string]entryAction{
			"set ": actSet, "type public.status": actDependency, "function public.touch": actDependency, "copy public.orders": actCopy,
			"sequence set public.orders_id_seq": actSequence, "sequence public.orders_id_seq": actDependency,
		}},
		{"overwrite of a table the target lacks", []extract.Name{orders}, nil, Overwrite, false, map[string]entryAction{
			"set ": actSet, "type public.status": actDependency, "function public.touch": actDependency, "table public.orders": actCreate, "copy public.orders": actCopy,
			"sequence set public.orders_id_seq": actSequence, "sequence public.orders_id_seq": actDependency,
			"sequence owned by public.orders_id_seq": actCreate, "default public.orders": actCreate,
			"constraint public.orders": actCreate, "comment public.orders": actCreate, "trigger public.orders": actCreate,
		}},
		{"merge", []extract.Name{orders}, held, Merge, false, map[string]entryAction{
			"set ": actSet, "type public.status": actDependency, "function public.touch": actDependency, "copy public.orders": actStage,
			"sequence set public.orders_id_seq": actSequence, "sequence public.orders_id_seq": actDependency,
		}},
		{"merge dry run stages only", []extract.Name{orders}, held, Merge, true, map[string]entryAction{
			"set ": actSet, "copy public.orders": actStage,
		}},
		{"a materialized view is refreshed", []extract.Name{orders, counts}, map[extract.Name]*targetTable{orders: held[orders], counts: {Name: counts, Kind: "m"}}, Overwrite, false, map[string]entryAction{
			"set ": actSet, "type public.status": actDependency, "function public.touch": actDependency, "copy public.orders": actCopy,
			"sequence set public.orders_id_seq": actSequence, "sequence public.orders_id_seq": actDependency,
			"refresh materialized view public.order_counts": actRefresh,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts := runActions(planActions(toc.Select(tc.tables), tc.onTarget, tc.mode), tc.mode, tc.dryRun)
			got := map[string]entryAction{}
			for i, a := range acts {
				if a == actSkip {
					continue
				}
				e := &toc.Entries[i]
				k := string(e.Kind) + " " + objectOf(e)
				if prev, ok := got[k]; ok && prev != a {
					t.Fatalf("%s: two entries, %s and %s", k, prev, a)
				}
				got[k] = a
			}
			if !maps.Equal(got, tc.want) {
				var lines []string
				for _, k := range slices.Sorted(maps.Keys(got)) {
					lines = append(lines, fmt.Sprintf("%q: %s", k, got[k]))
				}
				t.Errorf("actions:\n%s\nwant %v", strings.Join(lines, "\n"), tc.want)
			}
		})
	}
}

// objectOf names an entry's object for the test: its own, else its table.
func objectOf(e *extract.Entry) string {
	switch {
	case e.Object.Name != "" && e.Kind != extract.KindConstraint && e.Kind != extract.KindDefault && e.Kind != extract.KindComment:
		return e.Object.String()
	case len(e.Tables) > 0:
		return e.Tables[0].String()
	}
	return ""
}

// readTOC reads a dump written in a test.
func readTOC(t *testing.T, dump string) *extract.TOC {
	t.Helper()
	toc, err := extract.ReadTOC(context.Background(), extract.NewReader(strings.NewReader(dump)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return toc
}

// TestPlanTable: a plan's arithmetic for one table, from its counts, the
// mode and whether the snapshot has its rows.
func TestPlanTable(t *testing.T) {
	orders := extract.Name{Schema: "public", Name: "orders"}
	compatible := Drift{Column: "note", Target: "text", Compatible: true, Reason: "the target has an extra nullable column"}
	incompatible := Drift{Column: "id", Snapshot: "integer", Target: "uuid", Reason: "the types differ"}
	for _, tc := range []struct {
		name            string
		in              TablePlan
		mode            Mode
		snapshotHasRows bool
		want            TablePlan
		warnings        []string
	}{
		{"overwrite of an existing table: its rows are replaced", TablePlan{Table: orders, Exists: true, SnapshotRows: 3, RowsNow: 5}, Overwrite, true,
			TablePlan{Table: orders, Exists: true, SnapshotRows: 3, RowsNow: 5, RowsAfter: 3, Deleted: 5, Inserted: 3}, nil},
		{"overwrite with no rows in the snapshot empties the table", TablePlan{Table: orders, Exists: true, RowsNow: 5}, Overwrite, false,
			TablePlan{Table: orders, Exists: true, RowsNow: 5, Deleted: 5}, nil},
		{"a table the target lacks is created with the snapshot's rows", TablePlan{Table: orders, SnapshotRows: 3}, Overwrite, true,
			TablePlan{Table: orders, SnapshotRows: 3, RowsAfter: 3, Inserted: 3}, nil},
		{"merge into a table the target lacks creates it too", TablePlan{Table: orders, SnapshotRows: 3}, Merge, true,
			TablePlan{Table: orders, SnapshotRows: 3, RowsAfter: 3, Inserted: 3}, nil},
		{"merge: rows after unknown until compared", TablePlan{Table: orders, Exists: true, SnapshotRows: 3, RowsNow: 5}, Merge, true,
			TablePlan{Table: orders, Exists: true, SnapshotRows: 3, RowsNow: 5, RowsAfter: -1}, nil},
		{"merge with no rows in the snapshot: nothing to merge", TablePlan{Table: orders, Exists: true, RowsNow: 5}, Merge, false,
			TablePlan{Table: orders, Exists: true, RowsNow: 5, RowsAfter: 5}, nil},
		{"compatible drift is a warning, incompatible drift is not (it refuses)", TablePlan{Table: orders, Exists: true, SnapshotRows: 1, RowsNow: 1, Drift: []Drift{compatible, incompatible}}, Overwrite, true,
			TablePlan{Table: orders, Exists: true, SnapshotRows: 1, RowsNow: 1, RowsAfter: 1, Deleted: 1, Inserted: 1, Drift: []Drift{compatible, incompatible}},
			[]string{"public.orders column note: the target has an extra nullable column"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings := planTable(tc.in, tc.mode, tc.snapshotHasRows)
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("planTable:\n got %+v\nwant %+v", got, tc.want)
			}
			if !slices.Equal(warnings, tc.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tc.warnings)
			}
		})
	}
}

// partitionDump is a snapshot of a partitioned table and its partition.
const partitionDump = `CREATE TABLE public.events (
    id integer,
    at date
)
PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 (
    id integer,
    at date
);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
COPY public.events_2024 (id, at) FROM stdin;
1	2024-05-01
\.
--
-- PostgreSQL database dump complete
--
`

// TestPlanRowTables: the tables a plan lists and a verification counts
// are those with rows of their own: partitioned parents are skipped, as
// the target has them or, for one it lacks, as the snapshot has them.
func TestPlanRowTables(t *testing.T) {
	toc := readTOC(t, partitionDump)
	events := extract.Name{Schema: "public", Name: "events"}
	events2024 := extract.Name{Schema: "public", Name: "events_2024"}
	affected := []extract.Name{events, events2024}
	for _, tc := range []struct {
		name     string
		onTarget map[extract.Name]*targetTable
		want     []extract.Name
	}{
		{"the target holds the partitioned parent", map[extract.Name]*targetTable{events: {Name: events, Kind: "p"}, events2024: {Name: events2024, Kind: "r"}}, []extract.Name{events2024}},
		{"the target lacks both: the snapshot's parent is partitioned", nil, []extract.Name{events2024}},
		{"the target lacks only the partition", map[extract.Name]*targetTable{events: {Name: events, Kind: "p"}}, []extract.Name{events2024}},
		{"the target's table is a plain one: it holds rows", map[extract.Name]*targetTable{events: {Name: events, Kind: "r"}}, []extract.Name{events, events2024}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rowTables(affected, tc.onTarget, toc); !slices.Equal(got, tc.want) {
				t.Errorf("rowTables = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPlanWarnings: of the selection's warnings, a plan keeps dropped
// foreign keys of the tables it creates, and drops the news that a table
// comes as a definition only when the target has it already.
func TestPlanWarnings(t *testing.T) {
	orders := extract.Name{Schema: "public", Name: "orders"}
	items := extract.Name{Schema: "public", Name: "items"}
	customers := extract.Name{Schema: "public", Name: "customers"}
	sel := &extract.Selection{
		Shells: []extract.Name{customers},
		DroppedFKs: []extract.DroppedFK{
			{Name: "orders_customer_fkey", Table: orders, References: []extract.Name{customers}},
			{Name: "items_customer_fkey", Table: items, References: []extract.Name{customers}},
		},
		Warnings: []string{"public.customers is not selected: it comes as a definition only", "a statement pg_query could not parse"},
	}
	for _, tc := range []struct {
		name     string
		onTarget map[extract.Name]*targetTable
		want     []string
	}{
		{"the target holds orders and customers", map[extract.Name]*targetTable{orders: {Name: orders}, customers: {Name: customers}}, []string{
			"FOREIGN KEY items_customer_fkey on public.items references public.customers, which is not selected: the table is created without it",
			"a statement pg_query could not parse",
		}},
		{"the target holds nothing", nil, []string{
			"FOREIGN KEY orders_customer_fkey on public.orders references public.customers, which is not selected: the table is created without it",
			"FOREIGN KEY items_customer_fkey on public.items references public.customers, which is not selected: the table is created without it",
			"public.customers is not selected: it comes as a definition only",
			"a statement pg_query could not parse",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := planWarnings(sel, tc.onTarget); !slices.Equal(got, tc.want) {
				t.Errorf("planWarnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestPlanStatements: what a plan says will run, from the planner's
// actions and what was read of the target, for each kind of restore.
func TestPlanStatements(t *testing.T) {
	toc := readTOC(t, plannerDump)
	orders := extract.Name{Schema: "public", Name: "orders"}
	held := map[extract.Name]*targetTable{orders: {Name: orders, Kind: "r"}}
	sequences := []SequencePlan{
		{Name: "public.orders_id_seq", Action: SeqSet},
		{Name: "public.kept_seq", Action: SeqKept},
		{Name: "public.shared_seq", Action: SeqNotOwned},
		{Name: "public.back_seq", Action: SeqRewound},
		{Name: "public.unknown_seq", Action: SeqIfAhead},
	}
	setvals := []string{"SELECT setval public.orders_id_seq (set)", "SELECT setval public.back_seq (rewound)", "SELECT setval public.unknown_seq (set if ahead)"}
	dependencies := []string{"TYPE public.status (unless the target has it)", "FUNCTION public.touch (unless the target has it)"}
	const (
		setRole  = "SET ROLE app (in a session of a NOINHERIT login role of this restore's own)"
		lock     = "LOCK TABLE ONLY public.orders IN SHARE ROW EXCLUSIVE MODE"
		safety   = "safety snapshot (pg_dump) of public.orders"
		triggers = "session_replication_role = replica (triggers off)"
		sequence = "SEQUENCE public.orders_id_seq (unless the target has it)"
	)
	lines := func(parts ...any) []string {
		var out []string
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				out = append(out, p)
			case []string:
				out = append(out, p...)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		onTarget      map[extract.Name]*targetTable
		mode          Mode
		updateChanged bool
		forcedRLS     bool
		want          []string
	}{
		{"overwrite of an existing table", held, Overwrite, false, false, lines(setRole, lock, safety, triggers, "TRUNCATE ONLY public.orders",
			dependencies, sequence, "COPY public.orders: 1 row", "verify row counts", setvals, "COMMIT")},
		{"overwrite of a table forcing row security", held, Overwrite, false, true, lines(setRole, lock, safety, triggers,
			"ALTER TABLE ONLY public.orders NO FORCE ROW LEVEL SECURITY (put back before COMMIT)", "TRUNCATE ONLY public.orders",
			dependencies, sequence, "COPY public.orders: 1 row", "verify row counts", setvals, "COMMIT")},
		{"a table the target lacks is created: nothing to lock, keep or empty", nil, Overwrite, false, false, lines(setRole, triggers,
			dependencies, "CREATE TABLE public.orders", sequence, "SEQUENCE OWNED BY public.orders_id_seq (id)", "DEFAULT public.orders (id)",
			"COPY public.orders: 1 row", "CONSTRAINT public.orders (orders_pkey)", "COMMENT public.orders", "TRIGGER public.orders (orders_touch)",
			"verify row counts", setvals, "COMMIT")},
		{"merge stages, inserts and does not truncate", held, Merge, false, false, lines(setRole, lock, safety, triggers,
			dependencies, sequence, "COPY public.orders into a staging table: 1 row", "INSERT INTO public.orders the rows whose keys it lacks",
			"verify row counts", setvals, "COMMIT")},
		{"merge with update-changed updates too", held, Merge, true, false, lines(setRole, lock, safety, triggers,
			dependencies, sequence, "COPY public.orders into a staging table: 1 row", "INSERT INTO public.orders the rows whose keys it lacks",
			"UPDATE public.orders rows that differ from the snapshot's", "verify row counts", setvals, "COMMIT")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := statementPlan{toc: toc, planned: planActions(toc.Select([]extract.Name{orders}), tc.onTarget, tc.mode),
				mode: tc.mode, updateChanged: tc.updateChanged, role: "app", sequences: sequences}
			if tc.onTarget != nil {
				in.existing = []extract.Name{orders}
				in.truncate = truncateSQL(nil, in.existing)
			}
			if tc.forcedRLS {
				in.forcedRLS = in.existing
			}
			if got := planStatements(in); !slices.Equal(got, tc.want) {
				t.Errorf("statements:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestPlanStatementsHostileName: a table and a role named to end the
// statement and start another appear in a plan's statements only quoted,
// as SQL writes them, whatever the restore does to them.
func TestPlanStatementsHostileName(t *testing.T) {
	const hostile = "x\"; DROP TABLE y; --\nz"
	quoted := extract.QuoteIdent(hostile)
	if quoted != "\"x\"\"; DROP TABLE y; --\nz\"" {
		t.Fatalf("QuoteIdent(%q) = %q", hostile, quoted)
	}
	n := extract.Name{Schema: "public", Name: hostile}
	toc := readTOC(t, "CREATE TABLE public."+quoted+" (\n    id integer NOT NULL\n);\nCOPY public."+quoted+" (id) FROM stdin;\n1\n\\.\n--\n-- PostgreSQL database dump complete\n--\n")
	if toc.Table(n) == nil {
		t.Fatalf("the snapshot lacks %s", n)
	}
	held := map[extract.Name]*targetTable{n: {Name: n, Kind: "r"}}
	for _, tc := range []struct {
		name     string
		onTarget map[extract.Name]*targetTable
		mode     Mode
	}{
		{"overwrite of an existing table", held, Overwrite},
		{"created", nil, Overwrite},
		{"merge", held, Merge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := statementPlan{toc: toc, planned: planActions(toc.Select([]extract.Name{n}), tc.onTarget, tc.mode),
				mode: tc.mode, updateChanged: true, role: hostile,
				sequences: []SequencePlan{{Name: extract.Name{Schema: hostile, Name: hostile}.String(), Action: SeqSet}}}
			if tc.onTarget != nil {
				in.existing, in.forcedRLS, in.truncate = []extract.Name{n}, []extract.Name{n}, truncateSQL(nil, []extract.Name{n})
			}
			stmts := planStatements(in)
			named := 0
			for _, s := range stmts {
				if strings.Contains(s, hostile) {
					t.Errorf("the name appears unquoted in %q", s)
				}
				if strings.Contains(s, quoted) {
					named++
				}
				if rest := strings.ReplaceAll(s, quoted, ""); strings.Contains(rest, "DROP") || strings.Contains(rest, "\n") {
					t.Errorf("a part of the name is outside its quotes in %q", s)
				}
			}
			// SET ROLE, the table's COPY (and CREATE, or LOCK, safety,
			// NO FORCE, TRUNCATE / INSERT, UPDATE) and the setval.
			if named < 3 {
				t.Errorf("the name is quoted in only %d statements:\n%s", named, strings.Join(stmts, "\n"))
			}
		})
	}
}

// TestTruncated: a partitioned table whose partitions on the target are
// all restored is emptied whole (its foreign keys are its own); one the
// target holds more partitions of is left to the restored ones.
func TestTruncated(t *testing.T) {
	name := func(s string) extract.Name { return extract.Name{Schema: "public", Name: s} }
	names := func(ss ...string) []extract.Name {
		var out []extract.Name
		for _, s := range ss {
			out = append(out, name(s))
		}
		return out
	}
	table := func(s string) *targetTable { return &targetTable{Name: name(s), Kind: "r"} }
	parted := func(s string, parts ...string) *targetTable {
		return &targetTable{Name: name(s), Kind: "p", Partitions: names(parts...)}
	}
	onTarget := map[extract.Name]*targetTable{}
	for _, tt := range []*targetTable{
		table("users"), table("events_1"), table("events_2"), table("events_3"),
		parted("events", "events_1", "events_2", "events_3"),
		// Sub-partitioned, the inner level listed first.
		parted("usage", "usage_a", "usage_a1", "usage_a2"), parted("usage_a", "usage_a1", "usage_a2"),
		table("usage_a1"), table("usage_a2"),
	} {
		onTarget[tt.Name] = tt
	}
	for _, tc := range []struct {
		name     string
		existing []extract.Name
		want     string
	}{
		{"plain", names("users"), "TRUNCATE ONLY public.users"},
		{"whole partitioned table", names("users", "events", "events_1", "events_2", "events_3"),
			"TRUNCATE public.events, ONLY public.users"},
		{"a partition the snapshot lacks", names("events", "events_1", "events_2"),
			"TRUNCATE ONLY public.events_1, ONLY public.events_2"},
		{"partitions alone", names("events_3"), "TRUNCATE ONLY public.events_3"},
		{"sub-partitioned, inner level first", names("usage_a", "usage", "usage_a1", "usage_a2"), "TRUNCATE public.usage"},
		{"inner level only", names("usage_a", "usage_a1", "usage_a2"), "TRUNCATE public.usage_a"},
		{"none", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncateSQL(truncated(tc.existing, onTarget)); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
