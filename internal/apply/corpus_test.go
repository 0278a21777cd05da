package apply

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

// damageLeaves deletes the first row of every plain table of the target
// (of those with a primary key when :keyed is true), with triggers, rules
// and foreign keys silent, as a careless script of the customer's might.
const damageLeaves = `
DO $damage$
DECLARE
  t regclass;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      AND (NOT :keyed OR EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
  LOOP
    EXECUTE format('DELETE FROM ONLY %s WHERE ctid = (SELECT min(ctid) FROM ONLY %s)', t, t);
  END LOOP;
END
$damage$;`

// TestCorpusRestores: every corpus fixture, damaged on the target, comes
// back exactly by an overwrite of all its tables (read from its indexed
// snapshot by ranges) and by a merge of all its keyed tables (scanned).
func TestCorpusRestores(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []Mode{Overwrite, Merge} {
				t.Run(string(mode), func(t *testing.T) {
					t.Parallel()
					keyed := mode == Merge
					s := newTgtCorpusScenario(t, d.Fixture, "")
					if mode == Overwrite {
						// The indexed snapshot, read by ranges; merge scans.
						s.source = rangedSource(t, s.dump, 16<<10)
					}
					s.pg.Exec(t, s.target, strings.ReplaceAll(damageLeaves, ":keyed", strconv.FormatBool(keyed)))
					req := s.request(mode)
					if keyed {
						req = s.request(mode, keyedTables(t, s.pg, s.src)...)
					} else {
						req.All = true
					}
					res, err := s.run(t.Context(), req, nil)
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					if !res.Verified() {
						t.Errorf("checks = %+v", res.Checks)
					}
					for _, tbl := range s.pg.Tables(t, s.src) {
						if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
							t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
						}
					}
				})
			}
		})
	}
}

// keyedTables returns the tables of db that have a primary key, as quoted
// qualified names.
func keyedTables(t *testing.T, pg *testenv.Postgres, db string) []string {
	t.Helper()
	conn := tgtConnect(t, pg.URL(db))
	rows, _ := conn.Query(t.Context(), `
		SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return tables
}
