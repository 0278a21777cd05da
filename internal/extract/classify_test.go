package extract

import (
	"bytes"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixtureSQL builds a database that looks like one of the platform's, with
// every kind of object the classifier must recognise.
const fixtureSQL = `
CREATE SCHEMA ai; CREATE SCHEMA auth; CREATE SCHEMA storage; CREATE SCHEMA extensions;
CREATE SCHEMA "My Schema";
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE TYPE public.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE ai.pair AS (a int, b text);
CREATE TABLE auth.users (
	id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
	email public.email NOT NULL UNIQUE
);
CREATE TABLE public.orders (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users(id),
	status public.status NOT NULL DEFAULT 'new',
	qty int NOT NULL CHECK (qty > 0),
	price numeric NOT NULL,
	total numeric GENERATED ALWAYS AS (qty * price) STORED,
	tags text[],
	extra jsonb
);
CREATE INDEX orders_user_idx ON public.orders (user_id, status);
CREATE TABLE public.items (
	id serial PRIMARY KEY,
	order_id bigint REFERENCES public.orders(id) ON DELETE CASCADE,
	sku text,
	CONSTRAINT items_sku_key UNIQUE (order_id, sku)
);
CREATE TABLE storage.items (id int PRIMARY KEY, p ai.pair);
CREATE TABLE public.events (id bigint, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE ai.docs (id serial PRIMARY KEY, body text);
CREATE TABLE ai.chunks (n int) INHERITS (ai.docs);
CREATE VIEW public.paid_orders AS SELECT * FROM public.orders WHERE status = 'paid';
CREATE MATERIALIZED VIEW public.order_totals AS SELECT user_id, sum(total) AS total FROM public.orders GROUP BY user_id;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
	-- Name: fake; Type: TABLE; Schema: public; Owner: -
	PERFORM 'CREATE TABLE fake (x int);';
	NEW.extra := coalesce(NEW.extra, '{}');
	RETURN NEW;
END
$body$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_owner ON public.orders USING (user_id = '00000000-0000-0000-0000-000000000000');
COMMENT ON TABLE public.orders IS 'Customer orders; -- Name: x; Type: TABLE';
COMMENT ON COLUMN public.orders.qty IS 'How many';
CREATE TABLE "My Schema"."a.b" (id int PRIMARY KEY, "semi;colon" text, "Ünïcode" text);
CREATE TABLE public."semi;colon" (id int REFERENCES "My Schema"."a.b"(id));
CREATE TABLE public."Ünïcode" (x int);
CREATE TABLE public."select" (x int);
CREATE INDEX events_at_idx ON public.events (at);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;
CREATE POLICY items_owner ON public.items FOR SELECT USING (EXISTS (SELECT 1 FROM public.orders o WHERE o.id = order_id AND o.user_id = auth.uid()));
CREATE PROCEDURE public.noop(n int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE AGGREGATE public.total_qty(int) (SFUNC = int4pl, STYPE = int);
CREATE RULE orders_no_delete AS ON DELETE TO public.orders WHERE old.status = 'shipped' DO INSTEAD NOTHING;
CREATE STATISTICS public.orders_stats ON user_id, status FROM public.orders;
CREATE PUBLICATION orders_pub FOR TABLE public.orders;
CREATE SEQUENCE "My Schema".counter;
ALTER TABLE "My Schema"."a.b" ADD COLUMN n bigint DEFAULT nextval('"My Schema".counter');
ALTER TABLE public.orders REPLICA IDENTITY FULL;
ALTER TABLE public.orders CLUSTER ON orders_user_idx;
COMMENT ON CONSTRAINT orders_pkey ON public.orders IS 'pk';
COMMENT ON TRIGGER orders_touch ON public.orders IS 'touch';
COMMENT ON FUNCTION public.touch() IS 'fn';
COMMENT ON INDEX public.orders_user_idx IS 'idx';
INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000000', 'a@b.c');
INSERT INTO public.orders (user_id, qty, price) VALUES ('00000000-0000-0000-0000-000000000000', 2, 3.5);
INSERT INTO public.items (order_id, sku) VALUES (1, 'x');
`

// testDumpStatement is one statement of a dump, as the test splitter sees it.
type testDumpStatement struct {
	sql  string
	hint *Header
}

// splitDumpForTest splits a plain pg_dump into statements: a simple,
// test-only splitter (the real one is Reader). COPY rows and psql
// meta-commands are dropped; pg_query's scanner splits the rest, so text
// inside dollar quotes and strings never splits.
func splitDumpForTest(t *testing.T, dump string) []testDumpStatement {
	t.Helper()
	var out []testDumpStatement
	var hint *Header
	var block strings.Builder
	flush := func() {
		stmts, err := pg_query.SplitWithScanner(block.String(), true)
		if err != nil {
			t.Fatalf("split dump block: %v\n%s", err, block.String())
		}
		for _, s := range stmts {
			if s = stripLeadingComments(s); s != "" {
				out = append(out, testDumpStatement{sql: s, hint: hint})
			}
		}
		block.Reset()
	}
	inCopy := false
	for _, line := range strings.SplitAfter(dump, "\n") {
		switch {
		case inCopy:
			inCopy = line != "\\.\n"
		case strings.HasPrefix(line, "\\"):
		case strings.HasPrefix(line, "-- Name: "), strings.HasPrefix(line, "-- Data for Name: "):
			flush()
			hint = testParseHeader(line)
		case strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, "FROM stdin;\n"):
			block.WriteString(line)
			inCopy = true
		default:
			block.WriteString(line)
		}
	}
	flush()
	return out
}

// testParseHeader parses "-- Name: N; Type: T; Schema: S; Owner: O".
func testParseHeader(line string) *Header {
	h := &Header{Data: strings.HasPrefix(line, "-- Data for ")}
	_, rest, _ := strings.Cut(strings.TrimSpace(line), "Name: ")
	fields := strings.Split("Name: "+rest, "; ")
	for _, f := range fields {
		k, v, _ := strings.Cut(f, ": ")
		if v == "-" {
			v = ""
		}
		switch k {
		case "Name":
			h.Name = v
		case "Type":
			h.Type = v
		case "Schema":
			h.Schema = v
		case "Owner":
			h.Owner = v
		}
	}
	return h
}

// dumpFixture creates the fixture database and returns its pg_dump, as
// the backup job makes it.
func dumpFixture(t *testing.T) string {
	t.Helper()
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, fixtureSQL)
	cmd := exec.CommandContext(t.Context(), pg.Bin("pg_dump"), "--no-owner", "--no-privileges", url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump of the fixture database: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// n is shorthand for a qualified name in expectations.
func n(schema, name string) Name { return Name{Schema: schema, Name: name} }

func ns(names ...Name) []Name { return names }

// TestClassifyRealDump classifies every statement of a real pg_dump of a
// database shaped like the platform's and checks the interesting ones.
func TestClassifyRealDump(t *testing.T) {
	stmts := splitDumpForTest(t, dumpFixture(t))
	got := map[string]Classification{}
	for _, s := range stmts {
		c := Classify(s.sql, s.hint)
		if c.Warning != "" || c.Kind == KindOther || c.Refused != "" {
			t.Errorf("Classify(%q) = %+v: pg_dump's own output must classify cleanly", s.sql, c)
		}
		for _, tbl := range c.Tables {
			if tbl.Name == "fake" || tbl.Name == "x" {
				t.Errorf("Classify(%q) attributed to %s: text in a function body or comment was taken for dump structure", s.sql, tbl)
			}
		}
		got[s.sql] = c
	}
	users, orders, items := n("auth", "users"), n("public", "orders"), n("public", "items")
	events, ab := n("public", "events"), n("My Schema", "a.b")
	tests := []struct {
		stmt string // a prefix of exactly one statement of the dump
		want Classification
	}{
		{"CREATE SCHEMA \"My Schema\"", Classification{Kind: KindSchema, Object: n("", "My Schema")}},
		{"CREATE EXTENSION IF NOT EXISTS pgcrypto", Classification{Kind: KindExtension, Object: n("", "pgcrypto"), Detail: "extensions"}},
		{"COMMENT ON EXTENSION pgcrypto", Classification{Kind: KindComment, Object: n("", "pgcrypto"), On: KindExtension}},
		{"CREATE TYPE ai.pair", Classification{Kind: KindType, Object: n("ai", "pair")}},
		{"CREATE TYPE public.status AS ENUM", Classification{Kind: KindType, Object: n("public", "status")}},
		{"CREATE DOMAIN public.email", Classification{Kind: KindDomain, Object: n("public", "email")}},
		{"CREATE FUNCTION public.touch()", Classification{Kind: KindFunction, Object: n("public", "touch")}},
		{"CREATE PROCEDURE public.noop", Classification{Kind: KindProcedure, Object: n("public", "noop")}},
		{"CREATE AGGREGATE public.total_qty", Classification{Kind: KindAggregate, Object: n("public", "total_qty")}},
		{"CREATE TABLE auth.users", Classification{Kind: KindTable, Object: users, Tables: ns(users),
			Uses: ns(n("extensions", "gen_random_uuid"), n("public", "email"))}},
		{"CREATE TABLE public.orders", Classification{Kind: KindTable, Object: orders, Tables: ns(orders), Uses: ns(n("public", "status"))}},
		{"CREATE TABLE storage.items", Classification{Kind: KindTable, Object: n("storage", "items"), Tables: ns(n("storage", "items")), Uses: ns(n("ai", "pair"))}},
		{"CREATE TABLE public.items", Classification{Kind: KindTable, Object: items, Tables: ns(items)}},
		{"CREATE TABLE \"My Schema\".\"a.b\"", Classification{Kind: KindTable, Object: ab, Tables: ns(ab), Uses: ns(n("My Schema", "counter"))}},
		{"CREATE TABLE public.\"semi;colon\"", Classification{Kind: KindTable, Object: n("public", "semi;colon"), Tables: ns(n("public", "semi;colon"))}},
		{"CREATE TABLE public.\"Ünïcode\"", Classification{Kind: KindTable, Object: n("public", "Ünïcode"), Tables: ns(n("public", "Ünïcode"))}},
		{"CREATE TABLE public.\"select\"", Classification{Kind: KindTable, Object: n("public", "select"), Tables: ns(n("public", "select"))}},
		{"CREATE TABLE public.events (", Classification{Kind: KindTable, Object: events, Tables: ns(events), Partitioned: true}},
		// pg_dump 15 writes a partition as a plain table plus an ATTACH.
		{"CREATE TABLE public.events_2024", Classification{Kind: KindTable, Object: n("public", "events_2024"), Tables: ns(n("public", "events_2024"))}},
		{"ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024", Classification{Kind: KindPartitionAttach,
			Object: n("public", "events_2024"), Tables: ns(n("public", "events_2024")), Parent: &events, Uses: ns(events)}},
		{"CREATE TABLE ai.chunks", Classification{Kind: KindTable, Object: n("ai", "chunks"), Tables: ns(n("ai", "chunks")),
			Parent: &Name{"ai", "docs"}, Uses: ns(n("ai", "docs"))}},
		{"CREATE SEQUENCE public.items_id_seq", Classification{Kind: KindSequence, Object: n("public", "items_id_seq")}},
		{"ALTER SEQUENCE public.items_id_seq OWNED BY", Classification{Kind: KindSequenceOwnedBy, Object: n("public", "items_id_seq"), Tables: ns(items), Detail: "id"}},
		{"ALTER TABLE ONLY public.items ALTER COLUMN id SET DEFAULT", Classification{Kind: KindDefault, Object: items, Tables: ns(items),
			Uses: ns(n("public", "items_id_seq")), Detail: "id"}},
		{"ALTER TABLE ONLY ai.chunks ALTER COLUMN id SET DEFAULT", Classification{Kind: KindDefault, Object: n("ai", "chunks"), Tables: ns(n("ai", "chunks")),
			Uses: ns(n("ai", "docs_id_seq")), Detail: "id"}},
		{"ALTER TABLE public.orders ALTER COLUMN id ADD GENERATED", Classification{Kind: KindIdentity, Object: orders, Tables: ns(orders),
			Uses: ns(n("public", "orders_id_seq")), Detail: "id"}},
		{"SELECT pg_catalog.setval('public.orders_id_seq'", Classification{Kind: KindSequenceSet, Object: n("public", "orders_id_seq"), Detail: "1,true"}},
		{"SELECT pg_catalog.setval('\"My Schema\".counter'", Classification{Kind: KindSequenceSet, Object: n("My Schema", "counter"), Detail: "1,false"}},
		{"SELECT pg_catalog.set_config('search_path'", Classification{Kind: KindSet, Detail: "search_path"}},
		{"SET statement_timeout", Classification{Kind: KindSet, Detail: "statement_timeout"}},
		{"CREATE VIEW public.paid_orders", Classification{Kind: KindView, Object: n("public", "paid_orders"), Tables: ns(n("public", "paid_orders")),
			Uses: ns(orders, n("public", "status"))}},
		{"CREATE MATERIALIZED VIEW public.order_totals", Classification{Kind: KindMaterializedView, Object: n("public", "order_totals"),
			Tables: ns(n("public", "order_totals")), Uses: ns(orders)}},
		{"REFRESH MATERIALIZED VIEW public.order_totals", Classification{Kind: KindRefresh, Object: n("public", "order_totals"), Tables: ns(n("public", "order_totals"))}},
		{"COPY public.orders ", Classification{Kind: KindCopy, Object: orders, Tables: ns(orders)}},
		{"COPY \"My Schema\".\"a.b\"", Classification{Kind: KindCopy, Object: ab, Tables: ns(ab)}},
		{"ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_pkey", Classification{Kind: KindConstraint, Object: orders, Tables: ns(orders), Detail: "orders_pkey"}},
		{"ALTER TABLE ONLY public.items\n    ADD CONSTRAINT items_sku_key", Classification{Kind: KindConstraint, Object: items, Tables: ns(items), Detail: "items_sku_key"}},
		{"ALTER TABLE ONLY storage.items\n    ADD CONSTRAINT items_pkey", Classification{Kind: KindConstraint, Object: n("storage", "items"), Tables: ns(n("storage", "items")), Detail: "items_pkey"}},
		{"ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_user_id_fkey", Classification{Kind: KindFKConstraint, Object: orders, Tables: ns(orders),
			RefTables: ns(users), Detail: "orders_user_id_fkey"}},
		{"ALTER TABLE ONLY public.\"semi;colon\"\n    ADD CONSTRAINT", Classification{Kind: KindFKConstraint, Object: n("public", "semi;colon"),
			Tables: ns(n("public", "semi;colon")), RefTables: ns(ab), Detail: "semi;colon_id_fkey"}},
		{"CREATE INDEX orders_user_idx", Classification{Kind: KindIndex, Object: n("public", "orders_user_idx"), Tables: ns(orders), Detail: "orders_user_idx"}},
		{"CREATE INDEX events_at_idx ON ONLY public.events", Classification{Kind: KindIndex, Object: n("public", "events_at_idx"), Tables: ns(events), Detail: "events_at_idx"}},
		{"ALTER INDEX public.events_at_idx ATTACH PARTITION public.events_2025_at_idx", Classification{Kind: KindIndexAttach,
			Object: n("public", "events_2025_at_idx"), Parent: &Name{"public", "events_at_idx"}, Uses: ns(n("public", "events_at_idx"))}},
		{"CREATE TRIGGER orders_touch", Classification{Kind: KindTrigger, Object: orders, Tables: ns(orders), Uses: ns(n("public", "touch")), Detail: "orders_touch"}},
		{"ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY", Classification{Kind: KindRowSecurity, Object: orders, Tables: ns(orders)}},
		{"CREATE POLICY orders_owner", Classification{Kind: KindPolicy, Object: orders, Tables: ns(orders), Detail: "orders_owner"}},
		{"CREATE POLICY items_owner", Classification{Kind: KindPolicy, Object: items, Tables: ns(items), Detail: "items_owner",
			Uses: ns(orders, n("auth", "uid"))}},
		{"CREATE RULE orders_no_delete", Classification{Kind: KindRule, Object: orders, Tables: ns(orders), Detail: "orders_no_delete", Uses: ns(n("public", "status"))}},
		{"CREATE STATISTICS public.orders_stats", Classification{Kind: KindStatistics, Object: n("public", "orders_stats"), Tables: ns(orders)}},
		{"CREATE PUBLICATION orders_pub", Classification{Kind: KindPublication, Object: n("", "orders_pub")}},
		{"ALTER PUBLICATION orders_pub ADD TABLE ONLY public.orders", Classification{Kind: KindPublicationTable, Object: n("", "orders_pub"), Tables: ns(orders)}},
		{"ALTER TABLE ONLY public.orders REPLICA IDENTITY FULL", Classification{Kind: KindReplicaIdentity, Object: orders, Tables: ns(orders)}},
		{"ALTER TABLE public.orders CLUSTER ON", Classification{Kind: KindClusterOn, Object: orders, Tables: ns(orders), Detail: "orders_user_idx"}},
		{"COMMENT ON TABLE public.orders", Classification{Kind: KindComment, Object: orders, Tables: ns(orders), On: KindTable}},
		{"COMMENT ON COLUMN public.orders.qty", Classification{Kind: KindComment, Object: orders, Tables: ns(orders), Detail: "qty", On: "column"}},
		{"COMMENT ON CONSTRAINT orders_pkey", Classification{Kind: KindComment, Object: orders, Tables: ns(orders), Detail: "orders_pkey", On: KindConstraint}},
		{"COMMENT ON TRIGGER orders_touch", Classification{Kind: KindComment, Object: orders, Tables: ns(orders), Detail: "orders_touch", On: KindTrigger}},
		{"COMMENT ON FUNCTION public.touch()", Classification{Kind: KindComment, Object: n("public", "touch"), On: KindFunction}},
		{"COMMENT ON INDEX public.orders_user_idx", Classification{Kind: KindComment, Object: n("public", "orders_user_idx"), On: KindIndex}},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			var matches []string
			for sql := range got {
				if strings.HasPrefix(sql, tt.stmt) {
					matches = append(matches, sql)
				}
			}
			if len(matches) != 1 {
				t.Fatalf("%d statements of the dump start with %q, want 1: %q", len(matches), tt.stmt, matches)
			}
			checkClassification(t, matches[0], got[matches[0]], tt.want)
		})
	}
}

// checkClassification compares field by field, treating nil and empty
// slices alike.
func checkClassification(t *testing.T, sql string, got, want Classification) {
	t.Helper()
	norm := func(c Classification) Classification {
		for _, s := range []*[]Name{&c.Tables, &c.RefTables, &c.Uses} {
			if len(*s) == 0 {
				*s = nil
			}
		}
		return c
	}
	if !reflect.DeepEqual(norm(got), norm(want)) {
		t.Errorf("Classify(%q)\n got %s\nwant %s", sql, describe(got), describe(want))
	}
}

func describe(c Classification) string {
	parent := "<nil>"
	if c.Parent != nil {
		parent = c.Parent.String()
	}
	return fmt.Sprintf("{Kind:%q Object:%s Tables:%v RefTables:%v Uses:%v Parent:%s Detail:%q On:%q Warning:%q Refused:%q RefusedWhy:%q}",
		c.Kind, c.Object, c.Tables, c.RefTables, c.Uses, parent, c.Detail, c.On, c.Warning, c.Refused, c.RefusedWhy)
}

// Statements pg_dump 15 does not write in this form, or that no pg_dump
// writes, classified directly.
func TestClassifyStatements(t *testing.T) {
	orders, events := n("public", "orders"), n("public", "events")
	tests := []struct {
		sql  string
		hint *Header
		want Classification
	}{
		{"CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');", nil,
			Classification{Kind: KindTable, Object: n("public", "events_2026"), Tables: ns(n("public", "events_2026")), Parent: &events, Uses: ns(events)}},
		// An inline foreign key references, it does not use: no Uses entry.
		{"CREATE TABLE public.lines (id int, order_id int REFERENCES public.orders(id), CONSTRAINT u FOREIGN KEY (id) REFERENCES auth.users(n));", nil,
			Classification{Kind: KindTable, Object: n("public", "lines"), Tables: ns(n("public", "lines")), RefTables: ns(orders, n("auth", "users"))}},
		{"CREATE TABLE public.c (x int) INHERITS (public.p1, public.p2);", nil,
			Classification{Kind: KindTable, Object: n("public", "c"), Tables: ns(n("public", "c")), Parent: &Name{"public", "p1"}, Uses: ns(n("public", "p1"), n("public", "p2"))}},
		{"ALTER TABLE public.c INHERIT public.p1;", nil,
			Classification{Kind: KindInherits, Object: n("public", "c"), Tables: ns(n("public", "c")), Parent: &Name{"public", "p1"}, Uses: ns(n("public", "p1"))}},
		// Several subcommands: the first with a kind of its own decides.
		{"ALTER TABLE public.orders SET (fillfactor = 90), ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES auth.users(id), ALTER COLUMN n SET DEFAULT nextval('s');", nil,
			Classification{Kind: KindFKConstraint, Object: orders, Tables: ns(orders), RefTables: ns(n("auth", "users")), Uses: ns(n("", "s")), Detail: "f"}},
		{"ALTER TABLE public.orders OWNER TO someone;", nil, Classification{Kind: KindOwner, Object: orders, Tables: ns(orders), On: KindTable}},
		{"ALTER FUNCTION public.f(int) OWNER TO someone;", nil, Classification{Kind: KindOwner, Object: n("public", "f"), On: KindFunction}},
		{"ALTER SEQUENCE public.s OWNED BY NONE;", nil, Classification{Kind: KindSequenceOwnedBy, Object: n("public", "s")}},
		{"GRANT SELECT ON TABLE public.orders TO anon;", nil, Classification{Kind: KindACL, Object: orders, Tables: ns(orders)}},
		{"CREATE INDEX i ON public.orders USING btree (extensions.f(x)) WHERE status = 'paid'::public.status;", nil,
			Classification{Kind: KindIndex, Object: n("public", "i"), Tables: ns(orders), Detail: "i", Uses: ns(n("extensions", "f"), n("public", "status"))}},
		{"SELECT 1;", nil, Classification{Kind: KindSelect, Refused: "SELECT",
			RefusedWhy: "pg_dump SELECTs only pg_catalog.setval, set_config and large object calls"}},
		{"CREATE FUNCTION public.f(a public.status) RETURNS SETOF public.orders LANGUAGE sql AS $$ SELECT * FROM public.other $$;", nil,
			Classification{Kind: KindFunction, Object: n("public", "f"), Uses: ns(n("public", "status"), orders)}},
		// The hint is ignored whenever pg_query parses the statement.
		{"CREATE TABLE public.real (x int);", &Header{Name: "fake", Type: "TABLE", Schema: "public"},
			Classification{Kind: KindTable, Object: n("public", "real"), Tables: ns(n("public", "real"))}},
		{"-- just a comment\n", nil, Classification{Kind: KindOther, Refused: "an empty statement"}},
		{"DO $$ BEGIN END $$;", nil, Classification{Kind: KindOther, Refused: "DO block", RefusedWhy: "it would run code"}},
	}
	for _, tt := range tests {
		checkClassification(t, tt.sql, Classify(tt.sql, tt.hint), tt.want)
	}
}

// A statement pg_query (PostgreSQL 17's grammar) cannot parse is KindOther
// with a warning, attributed by its first words or the header, and Refused:
// a table of contents never holds it (vocabulary.go).
func TestClassifyUnparsed(t *testing.T) {
	constraintHint := &Header{Name: "orders orders_pkey", Type: "CONSTRAINT", Schema: "public"}
	tests := []struct {
		sql    string
		hint   *Header
		tables []Name
		how    string // in the warning
	}{
		{"CREATE TABLE public.orders (id int) WITH SYSTEM VERSIONING;", nil, ns(n("public", "orders")), "by its first words"},
		{"-- c\nALTER TABLE ONLY \"My Schema\".\"a.b\" ENABLE TIME TRAVEL;", nil, ns(n("My Schema", "a.b")), "by its first words"},
		{"create unlogged table if not exists Public.Orders (x int) frobnicate;", nil, ns(n("public", "orders")), "by its first words"},
		{"CREATE UNIQUE INDEX i ON ONLY public.\"semi;colon\" USING magic (x) SPARKLE;", nil, ns(n("public", "semi;colon")), "by its first words"},
		{"CREATE TRIGGER t AFTER TELEPORT ON public.orders EXECUTE FUNCTION f();", nil, ns(n("public", "orders")), "by its first words"},
		{"COPY public.orders (id) FROM stdin WITH (FORMAT parquet) PLEASE;", nil, ns(n("public", "orders")), "by its first words"},
		// The statement names no table the patterns know: the header decides.
		{"ALTER CONSTRAINT orders_pkey MAKE IT FAST;", constraintHint, ns(n("public", "orders")), "by its pg_dump header (Type: CONSTRAINT)"},
		{"FROBNICATE public.orders;", &Header{Name: "orders", Type: "TABLE", Schema: "public"}, ns(n("public", "orders")), "by its pg_dump header (Type: TABLE)"},
		{"FROBNICATE public.orders;", &Header{Name: "f()", Type: "FUNCTION", Schema: "public"}, nil, "to no table"},
		{"FROBNICATE public.orders;", nil, nil, "to no table"},
		{"CREATE TABLE \"unterminated (x int);", nil, nil, "to no table"},
	}
	for _, tt := range tests {
		c := Classify(tt.sql, tt.hint)
		if c.Kind != KindOther || !reflect.DeepEqual(c.Tables, tt.tables) || !strings.Contains(c.Warning, "pg_query cannot parse it") || !strings.Contains(c.Warning, tt.how) ||
			!strings.Contains(c.Refused, "parser cannot read") {
			t.Errorf("Classify(%q) = %s; want Kind other, Tables %v, a warning saying %q", tt.sql, describe(c), tt.tables, tt.how)
		}
	}
}

func TestClassifySeveralStatements(t *testing.T) {
	c := Classify("CREATE SCHEMA a; CREATE SCHEMA b;", nil)
	if c.Kind != KindSchema || c.Object != n("", "a") || !strings.Contains(c.Warning, "2 statements") || c.Refused != "2 statements in one" {
		t.Errorf("Classify of two statements = %s; want the first, with a warning", describe(c))
	}
}

// benchStatements is a realistic mix of what a dump holds, one of each.
var benchStatements = []string{
	"SET statement_timeout = 0;",
	"SELECT pg_catalog.set_config('search_path', '', false);",
	"CREATE TABLE public.orders (\n    id bigint NOT NULL,\n    user_id uuid NOT NULL,\n    status public.status DEFAULT 'new'::public.status NOT NULL,\n    qty integer NOT NULL,\n    price numeric NOT NULL,\n    total numeric GENERATED ALWAYS AS (((qty)::numeric * price)) STORED,\n    tags text[],\n    extra jsonb,\n    CONSTRAINT orders_qty_check CHECK ((qty > 0))\n);",
	"ALTER TABLE public.orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (\n    SEQUENCE NAME public.orders_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1\n);",
	"ALTER TABLE ONLY public.items ALTER COLUMN id SET DEFAULT nextval('public.items_id_seq'::regclass);",
	"COPY public.orders (id, user_id, status, qty, price, tags, extra) FROM stdin;",
	"SELECT pg_catalog.setval('public.orders_id_seq', 1, true);",
	"ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);",
	"ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id);",
	"CREATE INDEX orders_user_idx ON public.orders USING btree (user_id, status);",
	"CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();",
	"CREATE FUNCTION public.touch() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\nBEGIN\n\tNEW.extra := coalesce(NEW.extra, '{}');\n\tRETURN NEW;\nEND\n$$;",
	"COMMENT ON COLUMN public.orders.qty IS 'How many';",
	"CREATE POLICY orders_owner ON public.orders USING ((user_id = auth.uid()));",
}

// BenchmarkClassify reports statements per second on a realistic mix, and
// on COPY statements alone (one per table's data).
func BenchmarkClassify(b *testing.B) {
	for _, bb := range []struct {
		name  string
		stmts []string
	}{
		{"mix", benchStatements},
		{"copy", []string{"COPY public.orders (id, user_id, status, qty, price, tags, extra) FROM stdin;"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				Classify(bb.stmts[i%len(bb.stmts)], nil)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stmts/s")
		})
	}
}

func BenchmarkNameString(b *testing.B) {
	name := Name{"public", "orders"}
	for b.Loop() {
		_ = name.String()
	}
}
