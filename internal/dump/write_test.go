package dump

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// Tests of what restores' safety snapshots use: Source.Tables and
// Source.Snapshot, into a key of the caller's choosing.

func TestTablePattern(t *testing.T) {
	cases := []struct {
		name extract.Name
		want string
	}{
		{extract.Name{Schema: "public", Name: "orders"}, `"public"."orders"`},
		{extract.Name{Schema: "My Schema", Name: "a.b"}, `"My Schema"."a.b"`},
		{extract.Name{Schema: "public", Name: `with"quote`}, `"public"."with""quote"`},
		{extract.Name{Schema: "public", Name: "t*"}, `"public"."t*"`},
		{extract.Name{Schema: "public", Name: "Items"}, `"public"."Items"`},
		{extract.Name{Name: "orders"}, `"orders"`},
	}
	for _, c := range cases {
		if got := tablePattern(c.name); got != c.want {
			t.Errorf("tablePattern(%#v) = %s, want %s", c.name, got, c.want)
		}
	}
}

// dumpedTables reads the snapshot at key and returns its tables (as SQL
// names) and their row counts.
func dumpedTables(t *testing.T, s catalog.Store, key string) map[string]int64 {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	r, err := extract.NewDumpReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	toc, err := extract.ReadTOC(t.Context(), r, nil)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	out := map[string]int64{}
	for _, tb := range toc.Tables {
		out[tb.Name.String()] = tb.Rows
	}
	return out
}

// Source.Tables dumps exactly the named tables, whatever characters their
// names hold: tables named alike but for case, schema, quotes or pattern
// characters (*, ?, ., [ ], $) are left out. The key is where the snapshot
// and its index go.
func TestWriteTables(t *testing.T) {
	pg := testenv.StartPostgres(t)
	names := pg.Corpus(t, "names")[0]
	globDB, globURL := pg.CreateDatabase(t)
	pg.Exec(t, globDB, `
CREATE TABLE public."t*" (x int); INSERT INTO public."t*" VALUES (1);
CREATE TABLE public.t1 (x int); INSERT INTO public.t1 VALUES (1), (2);
CREATE TABLE public."t?" (x int); INSERT INTO public."t?" VALUES (1), (2), (3);
CREATE TABLE public.tx (x int);
CREATE TABLE public."[t]" (x int); INSERT INTO public."[t]" VALUES (1), (2), (3), (4);
CREATE TABLE public.t (x int);
CREATE TABLE public."t$" (x int); INSERT INTO public."t$" VALUES (5);
CREATE TABLE public."T" (x int);
CREATE TABLE public."a.b" (x int); INSERT INTO public."a.b" VALUES (6);
CREATE TABLE public.ab (x int);
CREATE SCHEMA a; CREATE TABLE a.b (x int);
CREATE TABLE public."x|y" (x int); INSERT INTO public."x|y" VALUES (7);
CREATE TABLE public.x (x int);
`)
	n := func(schema, name string) extract.Name { return extract.Name{Schema: schema, Name: name} }
	cases := []struct {
		name   string
		url    string
		tables []extract.Name
		want   map[string]int64 // table → rows
	}{
		{"names/case", names.URL, []extract.Name{n("public", "items"), n("public", "ITEMS")},
			map[string]int64{`public.items`: 1, `public."ITEMS"`: 3}},
		{"names/schema-with-space-and-dot", names.URL, []extract.Name{n("My Schema", "a.b")},
			map[string]int64{`"My Schema"."a.b"`: 20}},
		{"names/dotted-schema", names.URL, []extract.Name{n("dotted.schema", "a.b")},
			map[string]int64{`"dotted.schema"."a.b"`: 5}},
		{"names/quote-semicolon-newline-comment", names.URL, []extract.Name{
			n("public", `with"quote`), n("public", "semi;colon"), n("public", "line\nbreak"),
			n("public", "-- Name: trick; Type: TABLE; Schema: public; Owner: -"),
		}, map[string]int64{`public."with""quote"`: 2, `public."semi;colon"`: 2, "public.\"line\nbreak\"": 1,
			`public."-- Name: trick; Type: TABLE; Schema: public; Owner: -"`: 2}},
		{"names/unicode-reserved", names.URL, []extract.Name{n("Ünïcødé", "Ünïcødé tåble"), n("public", "select"), n("public", "COPY")},
			map[string]int64{`"Ünïcødé"."Ünïcødé tåble"`: 2, `public."select"`: 1, `public."COPY"`: 1}},
		{"names/injection-like", names.URL, []extract.Name{n("My Schema", "Orders; DROP TABLE x")},
			map[string]int64{`"My Schema"."Orders; DROP TABLE x"`: 3}},
		{"glob/star-question", globURL, []extract.Name{n("public", "t*"), n("public", "t?")},
			map[string]int64{`public."t*"`: 1, `public."t?"`: 3}},
		{"glob/regex", globURL, []extract.Name{n("public", "[t]"), n("public", "t$"), n("public", "x|y")},
			map[string]int64{`public."[t]"`: 4, `public.t$`: 1, `public."x|y"`: 1}},
		{"glob/dot", globURL, []extract.Name{n("public", "a.b")},
			map[string]int64{`public."a.b"`: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := localStore(t)
			key := catalog.SafetyKey("proj1", fixedTime, "id1")
			res, err := Write(t.Context(), Config{PgDump: pg.Bin("pg_dump"), Time: fixedTime},
				Source{Ref: "proj1", DatabaseURL: dumptest.WithPassword(c.url), Tables: c.tables}, store, key)
			if err != nil {
				t.Fatalf("dump: %v", err)
			}
			if res.Key != key || res.IndexErr != nil {
				t.Errorf("key %q (index error %v), want %q", res.Key, res.IndexErr, key)
			}
			if got := listKeys(t, store); !slices.Equal(got, []string{key, key + catalog.IndexSuffix}) {
				t.Errorf("store holds %q, want %s and its index", got, key)
			}
			got := dumpedTables(t, store, key)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("dumped tables %v, want %v", got, c.want)
			}
		})
	}
}

// A table that is not there fails the dump (--strict-names) instead of
// leaving a safety snapshot without it.
func TestWriteTablesMissing(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, "CREATE TABLE public.orders (x int)")
	store := localStore(t)
	_, err := Write(t.Context(), Config{PgDump: pg.Bin("pg_dump")}, Source{Ref: "proj1", DatabaseURL: dumptest.WithPassword(url),
		Tables: []extract.Name{{Schema: "public", Name: "orders"}, {Schema: "public", Name: "Orders"}}}, store, catalog.SafetyKey("proj1", fixedTime, "id1"))
	var de *Error
	if !errors.As(err, &de) || de.Stage != StageDump || !strings.Contains(err.Error(), "Orders") {
		t.Fatalf("err %v; want a dump failure naming Orders", err)
	}
	dumptest.AssertNoSecret(t, "error", err.Error())
	if got := listKeys(t, store); len(got) != 0 {
		t.Errorf("store holds %q after a failed dump", got)
	}
}

// Source.Snapshot reads the database as an exported snapshot saw it:
// rows committed after the export are not in the dump.
func TestWriteSnapshot(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, "CREATE TABLE public.t (x int); INSERT INTO public.t SELECT generate_series(1, 10)")
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var snap string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
		t.Fatal(err)
	}
	pg.Exec(t, db, "INSERT INTO public.t SELECT generate_series(11, 15); CREATE TABLE public.later (x int)")

	store := localStore(t)
	if _, err := Write(ctx, Config{PgDump: pg.Bin("pg_dump"), Time: fixedTime},
		Source{Ref: "proj1", DatabaseURL: dumptest.WithPassword(url), Snapshot: snap}, store, catalog.SnapshotKey("proj1", fixedTime)); err != nil {
		t.Fatalf("dump: %v", err)
	}
	if got := dumpedTables(t, store, catalog.SnapshotKey("proj1", fixedTime)); fmt.Sprint(got) != fmt.Sprint(map[string]int64{"public.t": 10}) {
		t.Errorf("dumped %v, want public.t with the 10 rows at export and no public.later", got)
	}

	// A snapshot that does not exist (its transaction ended) fails.
	later := fixedTime.Add(time.Hour)
	_, err = Write(ctx, Config{PgDump: pg.Bin("pg_dump"), Time: later},
		Source{Ref: "proj1", DatabaseURL: dumptest.WithPassword(url), Snapshot: "00000003-0000001B-1"}, store, catalog.SnapshotKey("proj1", later))
	if err == nil || !strings.Contains(err.Error(), "snapshot") {
		t.Errorf("dump with an unknown snapshot: %v, want a failure", err)
	}
}

// Tables and Snapshot reach pg_dump as arguments; the password does not.
func TestWriteRestoreArgs(t *testing.T) {
	out := t.TempDir() + "/seen"
	script := fmt.Sprintf("for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\nhead -c 5000 /dev/zero | tr '\\0' x\nprintf '\\n--\\n-- PostgreSQL database dump complete\\n--\\n'\n", out)
	store := localStore(t)
	key := catalog.SafetyKey("proj1", fixedTime, "id1")
	_, err := Write(t.Context(), Config{PgDump: dumptest.FakePgDump(t, script)}, Source{
		Ref: "proj1", DatabaseURL: "postgres://u:" + secret + "@db.internal/proj1",
		Tables:   []extract.Name{{Schema: "public", Name: "orders"}, {Schema: "My Schema", Name: `a"b*`}},
		Snapshot: "00000003-0000001B-1",
	}, store, key)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSpace(readFile(t, out)), "\n")
	for _, want := range []string{"--strict-names", `--table="public"."orders"`, `--table="My Schema"."a""b*"`, "--snapshot=00000003-0000001B-1"} {
		if !slices.Contains(args, want) {
			t.Errorf("pg_dump args %q lack %q", args, want)
		}
	}
	dumptest.AssertNoSecret(t, "pg_dump args", args...)
	if got := listKeys(t, store); len(got) == 0 || got[0] != key {
		t.Errorf("store holds %q, want %s", got, key)
	}
}
