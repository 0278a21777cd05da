//go:build torture

package torture

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The checks, one column each. Extract's run on the full snapshot (psql
// loads it as the superuser, as the runbook does); the restores on the
// platform variant, loaded as the project's role.
const (
	checkExtract    = "extract alone"
	checkSplit      = "schema-only, then data-only"
	checkOverwrite  = "overwrite, damaged target (--cascade)"
	checkMerge      = "merge, rows deleted"
	checkNewProject = "new project (--all, index, parallel)"
)

// batchSize is how many tables one overwrite or merge restores at once: a
// restore takes a safety snapshot (a pg_dump reading the whole catalog,
// about a second here), so a restore per table would take most of an
// hour. A batch that does not pass is split in halves until the tables
// that fail or are refused stand alone, each with its own error.
const batchSize = 32

// restoreTimeout bounds one restore, so that a hang fails the check.
const restoreTimeout = 10 * time.Minute

// TestTorture: see the package documentation.
func TestTorture(t *testing.T) {
	start := time.Now()
	pg := testenv.StartPostgres(t)
	h := &harness{t: t, pg: pg}

	src := regressSource(t, pg)
	skip := map[string]string{}
	for _, name := range strings.FieldsFunc(os.Getenv("RESTORECTL_TORTURE_SKIP"), func(r rune) bool { return r == ',' || r == ' ' }) {
		skip[name] = "RESTORECTL_TORTURE_SKIP"
	}
	built := buildRegression(t, pg, src, skip)
	dropped := platformVariant(t, pg)

	storeDir := t.TempDir()
	store, err := catalog.NewLocal(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	h.store = store
	full := takeSnapshot(t, pg, store, storeDir, "regression", "regression")
	plat := takeSnapshot(t, pg, store, storeDir, "platform", "regression_platform")
	h.fullTables, h.platTables = pg.Tables(t, full.Database), pg.Tables(t, plat.Database)
	h.sums = map[string]map[string]string{full.Database: h.sourceSums(full.Database, h.fullTables), plat.Database: h.sourceSums(plat.Database, h.platTables)}

	h.rep = newReport([]string{checkExtract, checkSplit, checkOverwrite, checkMerge, checkNewProject}, h.fullTables)
	h.rep.note("torture run: PostgreSQL %s regression database (%s), %d tables; platform variant %d tables",
		serverVersion(t, pg), filepath.Base(filepath.Dir(src)), len(h.fullTables), len(h.platTables))
	h.rep.note("regression schedule: %d tests in %s, %d differ from their expected output (no regress.so/refint.so; expected): %s",
		built.Tests, built.Took.Round(time.Second), len(built.Differ), strings.Join(built.Differ, " "))
	if len(built.Skipped) > 0 {
		h.rep.note("skipped regression tests: %s", strings.Join(slices.Sorted(maps.Keys(built.Skipped)), " "))
	} else {
		h.rep.note("skipped regression tests: none")
	}
	h.rep.note("platform variant drops what only a superuser may create (%d): %s; tables gone with them: %s",
		len(dropped), strings.Join(dropped, "; "), strings.Join(missing(h.fullTables, h.platTables), " "))
	for _, s := range []*snapshot{full, plat} {
		if s.Err != nil {
			h.rep.note("snapshot of %s REFUSED, every check reading it fails: %s", s.Database, firstError(s.Err))
		} else {
			h.rep.note("snapshot of %s: %s", s.Database, s.Snap.How())
		}
	}

	phase := func(name string, fn func()) {
		t0 := time.Now()
		fn()
		h.rep.note("%s: %s", name, time.Since(t0).Round(time.Second))
	}
	phase("extract, per table", func() { h.extractChecks(full) })
	phase("overwrite and merge, batched", func() {
		// Two targets, restored into at the same time: the restores
		// mostly wait on pg_dump and the server.
		overwrite, merge := h.target(plat, apply.Overwrite), h.target(plat, apply.Merge)
		var wg sync.WaitGroup
		wg.Go(func() { h.targetChecks(plat, overwrite, checkOverwrite) })
		wg.Go(func() { h.targetChecks(plat, merge, checkMerge) })
		wg.Wait()
	})
	phase("--all runs", func() {
		h.newProject(plat, true)
		h.newProject(plat, false)
		h.targetAll(plat, apply.Overwrite)
		h.targetAll(plat, apply.Merge)
	})
	h.rep.note("total: %s", time.Since(start).Round(time.Second))

	var out strings.Builder
	h.rep.print(&out)
	t.Log("\n" + out.String())
	if h.rep.failed() {
		t.Error("some checks failed: see the table above")
	}
}

// harness is the torture run's shared state.
type harness struct {
	t     *testing.T
	pg    *testenv.Postgres
	store catalog.Store
	rep   *report

	fullTables, platTables []string
	sums                   map[string]map[string]string // source database -> table -> checksum
}

// sourceSums checksums every table of a source database; a table whose
// checksum cannot be taken is left out (and its checks say so).
func (h *harness) sourceSums(db string, tables []string) map[string]string {
	sums := map[string]string{}
	for _, table := range tables {
		sum, err := h.pg.Checksum(h.t.Context(), db, table)
		if err != nil {
			h.rep.note("no checksum of %s in %s: %v", table, db, err)
			continue
		}
		sums[table] = sum
	}
	return sums
}

// compare checks that table holds in db what it holds in the source.
func (h *harness) compare(ctx context.Context, source, db, table string) cell {
	want, ok := h.sums[source][table]
	if !ok {
		return cell{fail, "the source's checksum cannot be taken"}
	}
	got, err := h.pg.Checksum(ctx, db, table)
	if err != nil {
		return cell{fail, firstError(err)}
	}
	if got != want {
		return cell{fail, fmt.Sprintf("rows and md5 %s, snapshot %s", got, want)}
	}
	return cell{Status: pass}
}

// extractChecks runs, for every table of the full snapshot and in
// parallel, checkExtract (the script of that one table, loaded with psql
// -v ON_ERROR_STOP=1 into an empty database, holds the source's rows) and
// checkSplit (the same with a schema-only script, then a data-only one).
func (h *harness) extractChecks(s *snapshot) {
	tables := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			dir, err := os.MkdirTemp(h.t.TempDir(), "extract-")
			if err != nil {
				h.rep.note("extract: %v", err)
				return
			}
			for table := range tables {
				h.rep.set(checkExtract, table, h.extractTable(s, dir, table, extract.SchemaAndData))
				h.rep.set(checkSplit, table, h.extractTable(s, dir, table, extract.SchemaOnly, extract.DataOnly))
			}
		})
	}
	for _, table := range h.fullTables {
		tables <- table
	}
	close(tables)
	wg.Wait()
}

// extractTable writes table's scripts in modes and loads them, in order,
// into a fresh database.
func (h *harness) extractTable(s *snapshot, dir, table string, modes ...extract.Mode) cell {
	ctx := h.t.Context()
	if s.Err != nil {
		return cell{fail, "snapshot refused: " + firstError(s.Err)}
	}
	names, err := s.Snap.Tables([]string{table})
	if err != nil {
		return cell{fail, firstError(err)}
	}
	sel := s.Snap.Select(names)
	db, drop, err := h.createDatabase(ctx)
	if err != nil {
		return cell{fail, "harness: " + err.Error()}
	}
	defer drop()
	for _, mode := range modes {
		script := filepath.Join(dir, "script.sql")
		if _, _, err := s.Snap.ExportReplacing(ctx, script, sel, mode); err != nil {
			return cell{fail, fmt.Sprintf("%s script: %s", mode, firstError(err))}
		}
		if err := h.pg.RunScript(ctx, db, "", script); err != nil {
			return cell{fail, fmt.Sprintf("%s script: %s", mode, firstError(err))}
		}
	}
	return h.compare(ctx, s.Database, db, table)
}

// createDatabase creates an empty database; drop drops it.
func (h *harness) createDatabase(ctx context.Context) (name string, drop func(), err error) {
	name = uniqueName("torture")
	if err := h.admin(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	return name, func() {
		if err := h.admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			h.rep.note("harness: %v", err)
		}
	}, nil
}

// admin runs sql as the superuser in database postgres.
func (h *harness) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, h.pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func uniqueName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// damageSQL damages every plain table of a target as the superuser, with
// triggers and rules silenced: it deletes half of its rows (at least
// one), except in tables a foreign key references (their rows are left
// alone, so that no restore is refused for rows the harness took away),
// and runs extra on every table (in a subtransaction; errors ignored).
const damageSQL = `
SET session_replication_role = replica;
DO $damage$
DECLARE
	t regclass;
	referenced bool;
BEGIN
	FOR t, referenced IN
		SELECT c.oid, EXISTS (SELECT FROM pg_constraint k WHERE k.contype = 'f'
		                      AND k.confrelid IN (SELECT relid FROM pg_partition_ancestors(c.oid)))
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%%'
	LOOP
		BEGIN
			IF NOT referenced THEN
				EXECUTE format('DELETE FROM ONLY %%1$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY %%1$s LIMIT ((SELECT count(*) FROM ONLY %%1$s) + 1) / 2))', t);
			END IF;
			%s
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'cannot damage %%: %%', t, SQLERRM;
		END;
	END LOOP;
END
$damage$`

// damage is what each mode's target suffers before the restore: overwrite
// must also take away a row that is not in the snapshot (a copy of a row,
// where the table's keys allow it).
var damage = map[apply.Mode]string{
	apply.Overwrite: fmt.Sprintf(damageSQL, `
			BEGIN
				EXECUTE format('INSERT INTO %1$s OVERRIDING SYSTEM VALUE SELECT * FROM ONLY %1$s LIMIT 1', t);
			EXCEPTION WHEN OTHERS THEN
				NULL; -- a key, a generated column: deleting will do
			END;`),
	apply.Merge: fmt.Sprintf(damageSQL, ""),
}

// targetDB is a project's database that restores go into.
type targetDB struct {
	DB    string
	Mode  apply.Mode
	Svc   *ticket.Service
	Keyed map[string]bool // its tables with a primary key
}

// target creates a project (a database owned by its own role), loads the
// snapshot into it as that role, as on the platform, and damages it for
// mode; nil when the snapshot was refused.
func (h *harness) target(s *snapshot, mode apply.Mode) *targetDB {
	if s.Err != nil {
		return nil
	}
	db, _ := h.pg.CreateProject(h.t)
	h.pg.LoadScriptAs(h.t, db, db, s.Path)
	h.pg.Exec(h.t, db, damage[mode])
	svc := &ticket.Service{Store: h.store, TargetTemplate: h.pg.URL(db), PgDump: h.pg.Bin("pg_dump"), Operator: "torture"}
	return &targetDB{DB: db, Mode: mode, Svc: svc, Keyed: h.keyedTables(db)}
}

// targetChecks restores every table of the snapshot into the damaged
// target, in batches (see batchSize), and checks each table's rows.
// Merge takes the tables without a primary key one by one: each is
// refused, and would take down every batch it were in.
func (h *harness) targetChecks(s *snapshot, tgt *targetDB, check string) {
	tables := h.platTables
	for _, table := range missing(h.fullTables, tables) {
		h.rep.set(check, table, cell{notRun, "not in the platform variant"})
	}
	if s.Err != nil {
		for _, table := range tables {
			h.rep.set(check, table, cell{fail, "snapshot refused: " + firstError(s.Err)})
		}
		return
	}
	var batches [][]string
	if tgt.Mode == apply.Merge {
		var unkeyed []string
		tables, unkeyed = partition(tables, func(t string) bool { return tgt.Keyed[t] })
		for _, table := range unkeyed {
			batches = append(batches, []string{table})
		}
	}
	for batch := range slices.Chunk(tables, batchSize) {
		batches = append(batches, batch)
	}
	for _, batch := range batches {
		h.restoreBatch(s, tgt, check, batch)
	}
}

// restoreBatch restores the tables of batch at once; if that does not
// pass, each half on its own, down to single tables.
func (h *harness) restoreBatch(s *snapshot, tgt *targetDB, check string, batch []string) {
	ctx := h.t.Context()
	mode := tgt.Mode
	names, err := s.Snap.Tables(batch)
	var res *apply.Result
	if err == nil {
		res, err = tgt.Svc.Restore(ctx, ticket.Request{Snapshot: s.Snap, Mode: mode, Tables: names, Cascade: mode == apply.Overwrite,
			Ticket: "TORTURE", Timeout: restoreTimeout}, nil)
	}
	verdict := restoreVerdict(res, err)
	cells := map[string]cell{}
	if verdict.Status == pass {
		for _, table := range batch {
			cells[table] = h.compare(ctx, s.Database, tgt.DB, table)
		}
	}
	if len(batch) > 1 && (verdict.Status != pass || slices.ContainsFunc(slices.Collect(maps.Values(cells)), func(c cell) bool { return c.Status != pass })) {
		h.restoreBatch(s, tgt, check, batch[:len(batch)/2])
		h.restoreBatch(s, tgt, check, batch[len(batch)/2:])
		return
	}
	for _, table := range batch {
		c := verdict
		if c.Status == pass {
			c = cells[table]
		}
		h.rep.set(check, table, c)
	}
}

// restoreVerdict is what a restore's error (or its verification) says.
func restoreVerdict(res *apply.Result, err error) cell {
	var refusal *apply.RefusedError
	switch {
	case errors.As(err, &refusal):
		return cell{refused, firstError(err)}
	case err != nil:
		return cell{fail, firstError(err)}
	case !res.Verified():
		var bad []string
		for _, c := range res.Checks {
			if !c.OK {
				bad = append(bad, fmt.Sprintf("%s %d of %d rows", c.Table, c.Got, c.Want))
			}
		}
		return cell{fail, "not verified: " + strings.Join(bad, ", ")}
	}
	return cell{Status: pass}
}

// keyedTables are the tables of db with a primary key.
func (h *harness) keyedTables(db string) map[string]bool {
	const q = `SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'p'`
	keyed := map[string]bool{}
	conn, err := pgx.Connect(h.t.Context(), h.pg.URL(db))
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(h.t.Context(), q)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatal(err)
	}
	for _, n := range names {
		keyed[n] = true
	}
	return keyed
}

// targetAll restores the whole snapshot (--all) into a damaged target in
// mode, and checks every table.
func (h *harness) targetAll(s *snapshot, mode apply.Mode) {
	name := string(mode) + " --all"
	if mode == apply.Overwrite {
		name += " --cascade"
	}
	name += ", damaged target"
	if s.Err != nil {
		h.rep.run(name, fail, "snapshot refused: "+firstError(s.Err))
		return
	}
	tgt := h.target(s, mode)
	res, err := tgt.Svc.Restore(h.t.Context(), ticket.Request{Snapshot: s.Snap, Mode: mode, All: true, Cascade: mode == apply.Overwrite,
		Ticket: "TORTURE", Timeout: restoreTimeout}, nil)
	h.allVerdict(name, s, tgt.DB, restoreVerdict(res, err))
}

// newProject restores the whole snapshot into a new project: with its
// index and four connections (its per-table results are the new project
// column), or scanning it serially.
func (h *harness) newProject(s *snapshot, indexed bool) {
	name := "new project --all, scan, serial"
	if indexed {
		name = "new project --all, index, parallel"
	}
	fail1 := func(detail string) {
		h.rep.run(name, fail, detail)
		if indexed {
			for _, table := range h.platTables {
				h.rep.set(checkNewProject, table, cell{fail, detail})
			}
		}
	}
	if indexed {
		for _, table := range missing(h.fullTables, h.platTables) {
			h.rep.set(checkNewProject, table, cell{notRun, "not in the platform variant"})
		}
	}
	if s.Err != nil {
		fail1("snapshot refused: " + firstError(s.Err))
		return
	}
	snap := s.Snap
	if !indexed {
		var err error
		if snap, err = ticket.Open(h.t.Context(), s.Snap.Resolved, ticket.OpenOptions{NoIndex: true}); err != nil {
			fail1(firstError(err))
			return
		}
	}
	db := uniqueName("torture_np")
	h.t.Cleanup(func() {
		if err := h.admin(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			h.t.Errorf("drop database %s: %v", db, err)
		}
	})
	svc := &ticket.Service{Store: h.store, AdminURL: h.pg.URL("postgres"), Owner: "torture_owner", Operator: "torture"}
	res, err := svc.Restore(h.t.Context(), ticket.Request{Snapshot: snap, Mode: apply.NewProject, All: true, Database: db,
		Parallel: 4, Ticket: "TORTURE", Timeout: restoreTimeout}, nil)
	v := restoreVerdict(res, err)
	if v.Status != pass {
		fail1(v.Detail)
		return
	}
	cells := h.allVerdict(name, s, db, v)
	if indexed {
		for table, c := range cells {
			h.rep.set(checkNewProject, table, c)
		}
	}
}

// allVerdict records an --all run: its verdict, or (when it passed) the
// comparison of every table and of the sequences with the source's;
// it returns the tables' comparisons.
func (h *harness) allVerdict(name string, s *snapshot, db string, v cell) map[string]cell {
	if v.Status != pass {
		h.rep.run(name, v.Status, v.Detail)
		return nil
	}
	ctx := h.t.Context()
	cells := map[string]cell{}
	var bad []string
	for _, table := range h.platTables {
		c := h.compare(ctx, s.Database, db, table)
		cells[table] = c
		if c.Status != pass {
			bad = append(bad, table+": "+c.Detail)
		}
	}
	want, got := h.pg.Sequences(h.t, s.Database), h.pg.Sequences(h.t, db)
	for _, seq := range slices.Sorted(maps.Keys(want)) {
		if got[seq] != want[seq] {
			bad = append(bad, fmt.Sprintf("sequence %s at %q, snapshot %q", seq, got[seq], want[seq]))
		}
	}
	if len(bad) > 0 {
		h.rep.run(name, fail, fmt.Sprintf("%d differences, first: %s", len(bad), bad[0]))
	} else {
		h.rep.run(name, pass, fmt.Sprintf("%d tables and %d sequences as in the snapshot", len(cells), len(want)))
	}
	return cells
}

// missing returns the tables of all that are not in some.
func missing(all, some []string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(t string) bool { return slices.Contains(some, t) })
}

// partition splits tables by keep, keeping their order.
func partition(tables []string, keep func(string) bool) (kept, rest []string) {
	for _, t := range tables {
		if keep(t) {
			kept = append(kept, t)
		} else {
			rest = append(rest, t)
		}
	}
	return kept, rest
}

// serverVersion is the cluster's server_version.
func serverVersion(t *testing.T, pg *testenv.Postgres) string {
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(t.Context(), "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
