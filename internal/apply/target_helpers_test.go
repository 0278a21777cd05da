package apply

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// tgtScenario is a snapshot of a source database and a target database
// loaded from it, to be drifted by the test before a restore.
type tgtScenario struct {
	pg                  *testenv.Postgres
	src, srcURL         string // the database the snapshot was taken of
	target, targetURL   string
	dump                string // the snapshot, plain format
	source              *Source
	store               catalog.Store
	srcSums, targetSums map[string]string // checksums by table, before the restore
}

// newTgtScenario fills a source database with setup, dumps it as the
// backup job does, and loads the dump into a fresh target database; then
// it runs drift on the target.
func newTgtScenario(t testing.TB, setup, drift string) *tgtScenario {
	t.Helper()
	pg := testenv.StartPostgres(t)
	s := &tgtScenario{pg: pg}
	s.src, s.srcURL = pg.CreateDatabase(t)
	pg.Exec(t, s.src, setup)
	s.dump = tgtDump(t, pg, s.srcURL)
	return s.withTarget(t, drift)
}

// withTarget creates the target from the source's dump, applies drift to
// it, and records both sides' checksums.
func (s *tgtScenario) withTarget(t testing.TB, drift string) *tgtScenario {
	t.Helper()
	s.source = fileSource(t, s.dump)
	// As on the platform, the project's role owns its tables.
	s.target, s.targetURL = s.pg.CreateProject(t)
	s.pg.LoadScriptAs(t, s.target, s.target, s.dump)
	if drift != "" {
		s.pg.ExecAs(t, s.target, s.target, drift)
	}
	store, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.store = store
	s.srcSums = tgtSums(t, s.pg, s.src)
	s.targetSums = tgtSums(t, s.pg, s.target)
	return s
}

// tgtDump dumps the database at url with the cluster's pg_dump, as the
// backup job does, and returns the file.
func tgtDump(t testing.TB, pg *testenv.Postgres, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshot.sql")
	out, err := exec.Command(pg.Bin("pg_dump"), "--no-owner", "--no-privileges", "-f", path, url).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	return path
}

// tgtSums returns the checksum of every table of db.
func tgtSums(t testing.TB, pg *testenv.Postgres, db string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, tbl := range pg.Tables(t, db) {
		sums[tbl] = pg.TableChecksum(t, db, tbl)
	}
	return sums
}

// request is a restore of tables of the scenario's snapshot into its
// target.
func (s *tgtScenario) request(mode Mode, tables ...string) Request {
	var names []extract.Name
	for _, tbl := range tables {
		n, err := extract.ParseName(tbl)
		if err != nil {
			panic(err)
		}
		names = append(names, n)
	}
	return Request{Mode: mode, Source: s.source, Tables: names, Project: "abcd1234", Target: s.targetURL,
		Ticket: "SUP-1", Operator: "test"}
}

// run restores req with a local store and the cluster's pg_dump.
func (s *tgtScenario) run(ctx context.Context, req Request, progress Progress) (*Result, error) {
	return Run(ctx, Config{Store: s.store, PgDump: s.pg.Bin("pg_dump"), Progress: progress}, req)
}

// assertUnchanged fails unless every table of the target holds what it
// held before the restore.
func (s *tgtScenario) assertUnchanged(t *testing.T) {
	t.Helper()
	now := tgtSums(t, s.pg, s.target)
	if len(now) != len(s.targetSums) {
		t.Errorf("target tables: %d before, %d after", len(s.targetSums), len(now))
	}
	for tbl, sum := range s.targetSums {
		if now[tbl] != sum {
			t.Errorf("%s changed: %s before, %s after", tbl, sum, now[tbl])
		}
	}
}

// query returns the first column of a one-row query on db.
func (s *tgtScenario) query(t *testing.T, db, sql string) string {
	t.Helper()
	var out string
	conn := tgtConnect(t, s.pg.URL(db))
	if err := conn.QueryRow(t.Context(), sql).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// hold opens a transaction on the target that runs sql (a lock, a write)
// and stays open until the test ends or the caller rolls it back.
func (s *tgtScenario) hold(t *testing.T, sql string) pgx.Tx {
	t.Helper()
	tx, err := tgtConnect(t, s.targetURL).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	if _, err := tx.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
	return tx
}

// tgtConnect connects to url for the test's duration.
func tgtConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// newTgtCorpusScenario is newTgtScenario over a corpus fixture: its
// database is the source (read-only: other tests share it).
func newTgtCorpusScenario(t *testing.T, fixture, drift string) *tgtScenario {
	t.Helper()
	pg := testenv.StartPostgres(t)
	c := pg.Corpus(t, fixture)[0]
	s := &tgtScenario{pg: pg, src: c.Database, srcURL: c.URL, dump: c.Path}
	return s.withTarget(t, drift)
}
