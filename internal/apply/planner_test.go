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
