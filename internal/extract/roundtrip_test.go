package extract

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

// tocCache reads each dump's table of contents once per test binary.
var tocCache sync.Map // path -> func() *TOC

func cachedTOC(t *testing.T, path string) *TOC {
	t.Helper()
	f, _ := tocCache.LoadOrStore(path, sync.OnceValues(func() (*TOC, error) {
		r, err := OpenFile(path)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return ReadTOC(t.Context(), r.Reader, nil)
	}))
	toc, err := f.(func() (*TOC, error))()
	if err != nil {
		t.Fatalf("read the TOC of %s: %v", path, err)
	}
	return toc
}

// extractScript resolves names in dump, selects them and writes the script
// of the given mode to out, as restorectl extract does.
func extractScript(t *testing.T, dump string, names []string, mode Mode, out string) *Selection {
	t.Helper()
	toc := cachedTOC(t, dump)
	tables, err := toc.Resolve(names)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", names, err)
	}
	sel := toc.Select(tables)
	sel.Source = filepath.Base(dump)
	r, err := OpenFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := WriteScript(t.Context(), f, r.Reader, sel, mode); err != nil {
		t.Fatalf("WriteScript(%q, %s): %v", names, mode, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return sel
}

// ownedSequences lists the sequences a table owns (serial, identity, OWNED
// BY), as quoted qualified names.
func ownedSequences(t *testing.T, url, table string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, _ := conn.Query(t.Context(), `
SELECT format('%I.%I', n.nspname, s.relname)
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.refobjid = $1::text::regclass AND s.relkind = 'S' AND d.deptype IN ('a', 'i')`, table)
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("sequences of %s: %v", table, err)
	}
	return seqs
}

// TestExtractRoundTrip is the property of the extraction: for every table
// of every corpus dump, the script of that one table loads into an empty
// database with psql -v ON_ERROR_STOP=1 and holds exactly the source's
// rows (a partitioned table's partitions included), with the positions of
// the sequences it owns.
func TestExtractRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			srcSeqs := pg.Sequences(t, d.Database)
			for _, table := range pg.Tables(t, d.Database) {
				t.Run(table, func(t *testing.T) {
					t.Parallel()
					script := filepath.Join(t.TempDir(), "extract.sql")
					extractScript(t, d.GzipPath, []string{table}, SchemaAndData, script)
					db, _ := pg.CreateDatabase(t)
					pg.LoadScript(t, db, script)
					if got, want := pg.TableChecksum(t, db, table), pg.TableChecksum(t, d.Database, table); got != want {
						t.Errorf("checksum %s, source %s", got, want)
					}
					dstSeqs := pg.Sequences(t, db)
					for _, seq := range ownedSequences(t, d.URL, table) {
						if dstSeqs[seq] != srcSeqs[seq] {
							t.Errorf("sequence %s at %q, source %q", seq, dstSeqs[seq], srcSeqs[seq])
						}
					}
				})
			}
		})
	}
}

// TestExtractSplitRoundTrip: every table of every corpus dump at once, as
// a schema-only script followed by a data-only one, loads into an empty
// database and holds exactly the source's rows and sequence positions:
// the data-only script meets the schema's triggers, rules enabled ALWAYS
// and NOT VALID checks, and loads the snapshot's rows all the same.
func TestExtractSplitRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			tables := pg.Tables(t, d.Database)
			db, _ := pg.CreateDatabase(t)
			loadExtract(t, pg, d.GzipPath, tables, true, db)
			for _, table := range tables {
				if got, want := pg.TableChecksum(t, db, table), pg.TableChecksum(t, d.Database, table); got != want {
					t.Errorf("%s: checksum %s, source %s", table, got, want)
				}
			}
			// The tables' sequences (one no table uses does not come).
			want := pg.Sequences(t, d.Database)
			for seq, pos := range pg.Sequences(t, db) {
				if pos != want[seq] {
					t.Errorf("sequence %s at %q, source %q", seq, pos, want[seq])
				}
			}
		})
	}
}

// TestExtractViewRoundTrip: every view and materialized view of every
// corpus dump, selected alone, loads into an empty database with psql -v
// ON_ERROR_STOP=1, as one script and as a schema-only script followed by a
// data-only one, and can be read there: a materialized view is populated
// exactly when the dump refreshes it. (What it shows is computed from
// tables that come as definitions only, so its rows are not compared with
// the source's; TestExtractSeveral does that with what it reads selected
// too. Scripts through an index are the scan's byte for byte:
// TestRangedCorpus.)
func TestExtractViewRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		views := pg.Views(t, d.Database)
		if len(views) == 0 {
			continue
		}
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			toc := cachedTOC(t, d.GzipPath)
			for _, view := range views {
				for _, split := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/split=%v", view, split), func(t *testing.T) {
						t.Parallel()
						db, url := pg.CreateDatabase(t)
						loadExtract(t, pg, d.GzipPath, []string{view}, split, db)
						names, err := toc.Resolve([]string{view})
						if err != nil {
							t.Fatal(err)
						}
						refreshed := false
						for _, e := range toc.Entries {
							refreshed = refreshed || (e.Kind == KindRefresh && e.Object == names[0])
						}
						kind := queryValue(t, url, fmt.Sprintf("SELECT relkind FROM pg_class WHERE oid = %s::regclass", QuoteLiteral(view)))
						populated := queryValue(t, url, fmt.Sprintf("SELECT relispopulated FROM pg_class WHERE oid = %s::regclass", QuoteLiteral(view)))
						if want := fmt.Sprint(kind == "v" || refreshed); populated != want {
							t.Fatalf("populated %s, want %s (relkind %s, refreshed by the dump: %v)", populated, want, kind, refreshed)
						}
						if populated == "true" {
							queryValue(t, url, "SELECT count(*) FROM ONLY "+view)
						}
					})
				}
			}
		})
	}
}

// loadExtract loads the script of names in dump into database db: one
// script, or (split) a schema-only script followed by a data-only one.
func loadExtract(t *testing.T, pg *testenv.Postgres, dump string, names []string, split bool, db string) *Selection {
	t.Helper()
	if !split {
		script := filepath.Join(t.TempDir(), "extract.sql")
		sel := extractScript(t, dump, names, SchemaAndData, script)
		pg.LoadScript(t, db, script)
		return sel
	}
	schema, data, sel := splitScripts(t, dump, names)
	pg.LoadScript(t, db, schema)
	pg.LoadScript(t, db, data)
	return sel
}

// splitScripts writes the schema-only and the data-only script of names in
// dump, and returns their paths and the selection.
func splitScripts(t *testing.T, dump string, names []string) (schema, data string, sel *Selection) {
	t.Helper()
	dir := t.TempDir()
	schema, data = filepath.Join(dir, "schema.sql"), filepath.Join(dir, "data.sql")
	sel = extractScript(t, dump, names, SchemaOnly, schema)
	extractScript(t, dump, names, DataOnly, data)
	return schema, data, sel
}

// TestExtractSeveral: schema.* and several tables at once, a schema-only
// script followed by a data-only one equal to one script, and a selection
// whose foreign keys were dropped, all load and hold the source's rows;
// views and materialized views show the source's rows when what they read
// comes with them, if only through materialized views refreshed for them.
func TestExtractSeveral(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dumps := map[string]testenv.CorpusDump{}
	for _, d := range pg.Corpus(t, "platform", "views", "constraints") {
		dumps[d.Fixture] = d
	}
	// Not weekly_sales and what is over it: pg_dump leaves them unpopulated.
	views := []string{"public.order_totals", "public.customer_summaries", "public.customer_stats",
		"public.daily_sales", "public.monthly_sales", "public.yearly_sales"}
	checked := []string{"public.accounts", "public.transfers", "public.readings", "public.readings_2023", "public.readings_2024",
		"public.notes", "public.pinned_notes", `public."ledger $restorectl$ it's \ odd"`, "public.offices"}
	tests := []struct {
		name    string
		fixture string // "platform" if empty
		names   []string
		check   []string // tables whose checksums must match
		checks  bool     // and whose check constraints must be the source's
		split   bool     // load --schema-only, then --data-only
		wantFK  []string // dropped foreign keys
	}{
		{name: "schema.*", names: []string{"ai.*"}, check: []string{"ai.documents", "ai.embeddings"},
			wantFK: []string{"documents_owner_fkey", "documents_source_object_fkey"}},
		{name: "several", names: []string{"public.orders", "public.profiles", "auth.users", "public.order_lines", "public.items", "public.categories"},
			check:  []string{"public.orders", "public.profiles", "auth.users", "public.order_lines", "public.items", "public.categories"},
			wantFK: nil},
		{name: "public.*", names: []string{"public.*"}, check: []string{"public.orders", "public.events", "public.invoices", "public.shipments"},
			wantFK: []string{"events_user_id_fkey", "profiles_id_fkey", "reservations_booked_by_fkey"}},
		{name: "split", names: []string{"ai.documents", "ai.embeddings"}, check: []string{"ai.documents", "ai.embeddings"}, split: true,
			wantFK: []string{"documents_owner_fkey", "documents_source_object_fkey"}},
		{name: "fk dropped", names: []string{"public.shipments"}, check: []string{"public.shipments"},
			wantFK: []string{"shipments_order_id_line_no_fkey"}},
		{name: "views", fixture: "views", names: []string{"public.*"}, check: views},
		{name: "views split", fixture: "views", names: []string{"public.*"}, check: views, split: true},
		{name: "rollups refreshed", fixture: "views", names: []string{"public.yearly_sales", "public.orders"},
			check: []string{"public.yearly_sales", "public.monthly_sales", "public.daily_sales"}, wantFK: []string{"orders_customer_id_fkey"}},
		{name: "rollups refreshed split", fixture: "views", names: []string{"public.yearly_sales", "public.orders"}, split: true,
			check: []string{"public.yearly_sales", "public.monthly_sales", "public.daily_sales"}, wantFK: []string{"orders_customer_id_fkey"}},
		{name: "not valid", fixture: "constraints", names: []string{"public.*"}, check: checked, checks: true},
		{name: "not valid split", fixture: "constraints", names: []string{"public.*"}, check: checked, checks: true, split: true},
		{name: "not valid partition split", fixture: "constraints", names: []string{"public.readings"}, split: true,
			check: []string{"public.readings", "public.readings_2023", "public.readings_2024"}, checks: true},
		{name: "not valid inherited split", fixture: "constraints", names: []string{"public.pinned_notes", "public.notes"}, split: true,
			check: []string{"public.notes", "public.pinned_notes"}, checks: true},
		{name: "not valid one partition split", fixture: "constraints", names: []string{"public.readings_2024"}, split: true,
			check: []string{"public.readings_2024"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := dumps[cmp.Or(tt.fixture, "platform")]
			dir := t.TempDir()
			db, url := pg.CreateDatabase(t)
			var sel *Selection
			if tt.split {
				var schema, data string
				schema, data, sel = splitScripts(t, src.GzipPath, tt.names)
				assertNoCopy(t, schema, true)
				assertNoCopy(t, data, false)
				pg.LoadScript(t, db, schema)
				for _, table := range tt.check {
					populated := queryValue(t, url, fmt.Sprintf("SELECT relispopulated FROM pg_class WHERE oid = %s::regclass", QuoteLiteral(table)))
					if populated == "false" {
						continue // a materialized view, created WITH NO DATA
					}
					if got := pg.TableChecksum(t, db, table); !strings.HasPrefix(got, "0 ") {
						t.Errorf("%s after the schema-only script: %s", table, got)
					}
				}
				pg.LoadScript(t, db, data)
			} else {
				script := filepath.Join(dir, "extract.sql")
				sel = extractScript(t, src.GzipPath, tt.names, SchemaAndData, script)
				pg.LoadScript(t, db, script)
			}
			for _, table := range tt.check {
				if got, want := pg.TableChecksum(t, db, table), pg.TableChecksum(t, src.Database, table); got != want {
					t.Errorf("%s: checksum %s, source %s", table, got, want)
				}
			}
			if tt.checks {
				for _, table := range tt.check {
					if got, want := checkConstraints(t, url, table), checkConstraints(t, src.URL, table); got != want {
						t.Errorf("%s: check constraints\n%s\nsource's\n%s", table, got, want)
					}
				}
			}
			var fks []string
			for _, fk := range sel.DroppedFKs {
				fks = append(fks, fk.Name)
			}
			if strings.Join(fks, ",") != strings.Join(tt.wantFK, ",") {
				t.Errorf("dropped FKs %q, want %q", fks, tt.wantFK)
			}
		})
	}
}

// checkConstraints lists the check constraints of table in the database at
// url: name, definition (NOT VALID included), whether its own or inherited,
// comment.
func checkConstraints(t *testing.T, url, table string) string {
	t.Helper()
	return queryValue(t, url, fmt.Sprintf(`
SELECT coalesce(string_agg(format('%%s: %%s, local %%s, inherited %%s, comment %%L', conname, pg_get_constraintdef(oid),
                                  conislocal, coninhcount, obj_description(oid, 'pg_constraint')), E'\n' ORDER BY conname), '')
FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'`, QuoteLiteral(table)))
}

// assertNoCopy checks that a schema-only script has no COPY block, or
// that a data-only one has nothing but COPY blocks, setval, refreshes, SET
// and its own opening.
func assertNoCopy(t *testing.T, path string, schemaOnly bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	// The data-only script's own blocks, but for the tables' names.
	own := silenceTriggers + setAsideChecks(nil) + restoreChecks
	inCopy, inDo := false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case inCopy:
			inCopy = line != `\.`
		case inDo && strings.HasPrefix(line, "$restorectl"): // its end, whatever its tag
			inDo = false
		case inDo:
			if !strings.Contains(own, line) && !strings.HasPrefix(line, "  names pg_catalog.text[] := ARRAY[") {
				t.Errorf("data-only script has %q in a DO block", line)
			}
		case strings.HasPrefix(line, "COPY "):
			if schemaOnly {
				t.Errorf("schema-only script has %q", line)
			}
			inCopy = true
		case schemaOnly, line == "", strings.HasPrefix(line, "--"), line == "BEGIN;", line == "COMMIT;",
			strings.HasPrefix(line, "SET "), strings.HasPrefix(line, "SELECT pg_catalog.set"),
			strings.HasPrefix(line, "REFRESH MATERIALIZED VIEW "):
		case strings.HasPrefix(line, "DO $restorectl"): // the data-only script's own
			inDo = true
		default:
			t.Errorf("data-only script has %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestDataOnlyAsNonSuperuser: a role that may not silence triggers loads a
// data-only script all the same, told on stderr that the triggers fire
// (and they do: ai.documents' rewrites the titles again), rather than the
// script failing halfway or silencing nothing unsaid.
func TestDataOnlyAsNonSuperuser(t *testing.T) {
	pg := testenv.StartPostgres(t)
	platform := pg.Corpus(t, "platform")[0]
	schema, data, _ := splitScripts(t, platform.GzipPath, []string{"ai.documents"})
	db, _ := pg.CreateProject(t) // its role is named as it, and is no superuser
	pg.LoadScript(t, db, schema)
	pg.Exec(t, db, fmt.Sprintf(`GRANT USAGE ON SCHEMA ai TO %[1]q; ALTER TABLE ai.documents OWNER TO %[1]q`, db))

	cmd := exec.CommandContext(t.Context(), pg.Bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", os.DevNull, "-f", data, "-d", pg.URL(db))
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c role="+db)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("data-only script as role %s: %v\n%s", db, err, out)
	}
	if !strings.Contains(string(out), "WARNING:  restorectl: this role may not set session_replication_role, so the tables' triggers fire") {
		t.Errorf("no warning that the triggers fire:\n%s", out)
	}
	if got, src := pg.TableChecksum(t, db, "ai.documents"), pg.TableChecksum(t, platform.Database, "ai.documents"); got == src {
		t.Errorf("ai.documents matches its source, yet its trigger should have fired: %s", got)
	}
}

// TestDataOnlyNotValidRefused: what a data-only script does not set
// aside refuses the rows older than it: a check the target validated (a
// data-only script never weakens one), and the NOT VALID checks of a table
// the loading role may write to but not alter, which it is told first.
func TestDataOnlyNotValidRefused(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "constraints")[0]
	schema, data, _ := splitScripts(t, d.GzipPath, []string{"public.accounts"})
	tests := []struct {
		name   string
		setup  string // run as the superuser after the schema-only script; ROLE is the project's role
		asRole bool   // load the data-only script as the project's role
		want   []string
	}{
		{name: "validated on the target", setup: `ALTER TABLE public.accounts VALIDATE CONSTRAINT accounts_email_check`,
			want: []string{`ERROR:  new row for relation "accounts" violates check constraint "accounts_email_check"`}},
		{name: "not the owner", setup: `GRANT SELECT, INSERT ON public.accounts TO ROLE`, asRole: true,
			want: []string{
				"WARNING:  restorectl: this role may not alter table public.accounts, so its NOT VALID check accounts_balance_check stays",
				`ERROR:  new row for relation "accounts" violates check constraint`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, _ := pg.CreateProject(t)
			pg.LoadScript(t, db, schema) // as the superuser, who owns the table
			pg.Exec(t, db, strings.ReplaceAll(tt.setup, "ROLE", QuoteIdent(db)))
			cmd := exec.CommandContext(t.Context(), pg.Bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", os.DevNull, "-f", data, "-d", pg.URL(db))
			if tt.asRole {
				cmd.Env = append(os.Environ(), "PGOPTIONS=-c role="+db)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the data-only script loaded rows older than the checks:\n%s", out)
			}
			for _, want := range tt.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("no %q in:\n%s", want, out)
				}
			}
		})
	}
}
