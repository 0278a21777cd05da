//go:build torture

package torture

import (
	"cmp"
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
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The per-table checks, one column each, all on the platform variant's
// snapshot. The extract scripts are loaded with psql -v ON_ERROR_STOP=1
// as the superuser, as the runbook loads them; the restores run as
// restorectl runs them, into projects owned by their own role.
const (
	checkExtract    = "extract alone"
	checkSplit      = "schema-only, then data-only"
	checkOverwrite  = "overwrite, damaged target (--cascade)"
	checkMerge      = "merge, rows deleted"
	checkNewProject = "new project (--all, index, parallel)"
)

// batchSize is how many tables one job checks at once where a job per
// table would be too slow: a restore takes a safety snapshot (a pg_dump
// reading the whole catalog, a second or more here), and a split script
// needs a database of its own. A batch that does not pass is split in
// halves until the tables that fail or are refused stand alone, each
// with its own error. "Extract alone" is never batched: in a batch, one
// table's script could bring what another's lacks.
const batchSize = 32

// restoreTimeout bounds one restore, so that a hang fails the check.
const restoreTimeout = 10 * time.Minute

// snapshotRefused is the error of every check of a snapshot restorectl
// refuses as a whole; the report's header says why.
const snapshotRefused = "snapshot refused (see above)"

// TestTorture: see the package documentation.
func TestTorture(t *testing.T) {
	start := time.Now()
	pg := testenv.StartPostgres(t)
	h := &harness{t: t, pg: pg, rep: newReport([]string{checkExtract, checkSplit, checkOverwrite, checkMerge, checkNewProject})}
	// step runs one stage and notes how long it took (live with -v).
	step := func(name string, fn func()) {
		t0 := time.Now()
		fn()
		line := fmt.Sprintf("%-42s %s", name+":", time.Since(t0).Round(time.Second))
		t.Log(line)
		h.rep.note("%s", line)
	}

	var src string
	var built regressRun
	var dropped []string
	var full, plat *snapshot
	step("fetch PostgreSQL's regression tests", func() { src = regressSource(t, pg) })
	step("build the regression database", func() {
		skip := map[string]string{}
		for _, name := range strings.FieldsFunc(os.Getenv("RESTORECTL_TORTURE_SKIP"), func(r rune) bool { return r == ',' || r == ' ' }) {
			skip[name] = "RESTORECTL_TORTURE_SKIP"
		}
		built = buildRegression(t, pg, src, skip)
	})
	step("derive the platform variant", func() { dropped = platformVariant(t, pg) })
	step("take the snapshots as the backup job does", func() {
		storeDir := t.TempDir()
		store, err := catalog.NewLocal(storeDir)
		if err != nil {
			t.Fatal(err)
		}
		h.store = store
		full = takeSnapshot(t, pg, store, storeDir, "regression", "regression")
		plat = takeSnapshot(t, pg, store, storeDir, "platform", "regression_platform")
	})
	step("checksum the source tables", func() {
		h.fullTables, h.platTables = pg.Tables(t, full.Database), pg.Tables(t, plat.Database)
		h.sums = map[string]map[string]string{full.Database: h.sourceSums(full.Database, h.fullTables), plat.Database: h.sourceSums(plat.Database, h.platTables)}
		h.rep.tables = h.platTables
	})
	step("extract alone, split (in batches)", func() { h.extractChecks(plat) })
	step("overwrite and merge (in batches)", func() {
		// Two targets, restored into at the same time: the restores
		// mostly wait on pg_dump and the server.
		overwrite, merge := h.target(plat, apply.Overwrite), h.target(plat, apply.Merge)
		var wg sync.WaitGroup
		wg.Go(func() { h.targetChecks(plat, overwrite, checkOverwrite) })
		wg.Go(func() { h.targetChecks(plat, merge, checkMerge) })
		wg.Wait()
	})
	step("--all runs", func() {
		h.extractAll(full)
		h.newProject(plat, true)
		h.newProject(plat, false)
		h.targetAll(plat, apply.Overwrite)
		h.targetAll(plat, apply.Merge)
	})
	h.rep.note("%-42s %s", "total:", time.Since(start).Round(time.Second))

	h.rep.header = []string{
		fmt.Sprintf("torture run: PostgreSQL %s, regression tests of %s: %d tables; platform variant (the per-table checks): %d tables",
			serverVersion(t, pg), filepath.Base(filepath.Dir(src)), len(h.fullTables), len(h.platTables)),
		fmt.Sprintf("regression schedule: %d tests, %d differ from their expected output (as expected: regress.so and refint.so are not built): %s",
			built.Tests, len(built.Differ), strings.Join(built.Differ, " ")),
		"skipped regression tests: " + cmp.Or(strings.Join(slices.Sorted(maps.Keys(built.Skipped)), " "), "none"),
		fmt.Sprintf("platform variant drops what only a superuser may create (%d): %s; tables gone with them: %s",
			len(dropped), strings.Join(dropped, "; "), strings.Join(missing(h.fullTables, h.platTables), " ")),
	}
	for _, s := range []*snapshot{full, plat} {
		if s.Err != nil {
			h.rep.header = append(h.rep.header, fmt.Sprintf("snapshot of %s REFUSED, every check reading it fails: %s", s.Database, firstError(s.Err)))
		} else {
			h.rep.header = append(h.rep.header, fmt.Sprintf("snapshot of %s: %s", s.Database, s.Snap.How()))
		}
	}

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
// checksum cannot be taken is left out (its checks then fail, saying so).
func (h *harness) sourceSums(db string, tables []string) map[string]string {
	sums, errs, err := h.pg.Checksums(h.t.Context(), db, tables)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, err := range errs {
		h.rep.note("harness: %v", err)
	}
	return sums
}

// compare checks that the tables hold in db what they hold in source.
func (h *harness) compare(ctx context.Context, source, db string, tables []string) map[string]cell {
	cells := map[string]cell{}
	got, errs, err := h.pg.Checksums(ctx, db, tables)
	for _, table := range tables {
		want, ok := h.sums[source][table]
		switch {
		case err != nil:
			cells[table] = cell{fail, firstError(err)}
		case !ok:
			cells[table] = cell{fail, "the source's checksum cannot be taken"}
		case errs[table] != nil:
			cells[table] = cell{fail, firstError(errs[table])}
		case got[table] != want:
			cells[table] = cell{fail, fmt.Sprintf("rows and md5 %s, snapshot %s", got[table], want)}
		default:
			cells[table] = cell{Status: pass}
		}
	}
	return cells
}

// bisect runs try on batch; unless every table passes, it tries each half
// on its own, down to single tables, and records their cells in check.
func (h *harness) bisect(check string, batch []string, try func([]string) map[string]cell) {
	cells := try(batch)
	if len(batch) > 1 && slices.ContainsFunc(batch, func(t string) bool { return cells[t].Status != pass }) {
		h.bisect(check, batch[:len(batch)/2], try)
		h.bisect(check, batch[len(batch)/2:], try)
		return
	}
	for _, table := range batch {
		h.rep.set(check, table, cells[table])
	}
}

// all is the same cell for every table of batch.
func all(batch []string, c cell) map[string]cell {
	cells := map[string]cell{}
	for _, table := range batch {
		cells[table] = c
	}
	return cells
}

// extractChecks runs checkExtract (the script of one table, loaded with
// psql -v ON_ERROR_STOP=1 into an empty database, holds the source's
// rows) for every table, and checkSplit (a schema-only script, then a
// data-only one) in batches, over GOMAXPROCS workers.
func (h *harness) extractChecks(s *snapshot) {
	type job struct {
		check string
		batch []string
		modes []extract.Mode
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		dir := h.t.TempDir()
		wg.Go(func() {
			for j := range jobs {
				h.bisect(j.check, j.batch, func(batch []string) map[string]cell { return h.extractBatch(s, dir, batch, j.modes...) })
			}
		})
	}
	for _, table := range h.platTables {
		jobs <- job{checkExtract, []string{table}, []extract.Mode{extract.SchemaAndData}}
	}
	for batch := range slices.Chunk(h.platTables, batchSize) {
		jobs <- job{checkSplit, batch, []extract.Mode{extract.SchemaOnly, extract.DataOnly}}
	}
	close(jobs)
	wg.Wait()
}

// extractBatch writes the batch's scripts in modes and loads them, in
// order, into a fresh database.
func (h *harness) extractBatch(s *snapshot, dir string, batch []string, modes ...extract.Mode) map[string]cell {
	ctx := h.t.Context()
	if s.Err != nil {
		return all(batch, cell{fail, snapshotRefused})
	}
	names, err := s.Snap.Tables(batch)
	if err != nil {
		return all(batch, cell{fail, firstError(err)})
	}
	sel := s.Snap.Select(names)
	db, drop, err := h.createDatabase(ctx)
	if err != nil {
		return all(batch, cell{fail, "harness: " + err.Error()})
	}
	defer drop()
	for _, mode := range modes {
		script := filepath.Join(dir, "script.sql")
		if _, _, err := s.Snap.ExportReplacing(ctx, script, sel, mode); err != nil {
			return all(batch, cell{fail, fmt.Sprintf("%s script: %s", mode, firstError(err))})
		}
		if err := h.pg.RunScript(ctx, db, "", script); err != nil {
			return all(batch, cell{fail, fmt.Sprintf("%s script: %s", mode, firstError(err))})
		}
	}
	return h.compare(ctx, s.Database, db, batch)
}

// extractAll loads the script of every table of the full snapshot (what
// only a superuser may create included) into an empty database as the
// superuser, and compares every table.
func (h *harness) extractAll(s *snapshot) {
	const name = "extract of every table of the full snapshot, psql as the superuser"
	if s.Err != nil {
		h.rep.run(name, fail, snapshotRefused)
		return
	}
	ctx := h.t.Context()
	script := filepath.Join(h.t.TempDir(), "all.sql")
	var names []extract.Name
	for _, t := range s.Snap.TOC().Tables {
		if t.Kind == extract.KindTable {
			names = append(names, t.Name)
		}
	}
	if _, _, err := s.Snap.Export(ctx, script, s.Snap.Select(names), extract.SchemaAndData); err != nil {
		h.rep.run(name, fail, firstError(err))
		return
	}
	db, drop, err := h.createDatabase(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	defer drop()
	if err := h.pg.RunScript(ctx, db, "", script); err != nil {
		h.rep.run(name, fail, firstError(err))
		return
	}
	h.allVerdict(name, s, db, h.fullTables)
}

// createDatabase creates an empty database; drop drops it. FILE_COPY, not
// PostgreSQL 15's default WAL_LOG: the run creates a database for each
// table, and copying the template's files is about twice as fast.
func (h *harness) createDatabase(ctx context.Context) (name string, drop func(), err error) {
	name = uniqueName("torture")
	if err := h.admin(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY"); err != nil {
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
		-- A partition is referenced through its ancestors' keys too;
		-- pg_partition_ancestors has no rows for a table outside a tree.
		SELECT c.oid, EXISTS (SELECT FROM pg_constraint k WHERE k.contype = 'f'
		                      AND (k.confrelid = c.oid OR k.confrelid IN (SELECT relid FROM pg_partition_ancestors(c.oid))))
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
	for _, n := range h.execNotices(db, damage[mode]) {
		if strings.HasPrefix(n, "cannot damage ") { // not the customer code's
			h.rep.note("harness: %s target: %s", mode, n)
		}
	}
	svc := &ticket.Service{Store: h.store, TargetTemplate: h.pg.URL(db), PgDump: h.pg.Bin("pg_dump"), Operator: "torture"}
	return &targetDB{DB: db, Mode: mode, Svc: svc, Keyed: h.keyedTables(db)}
}

// targetChecks restores every table of the snapshot into the damaged
// target, in batches, and checks each table's rows. Merge takes the
// tables without a primary key one by one: each is refused, and would
// take down every batch it were in.
func (h *harness) targetChecks(s *snapshot, tgt *targetDB, check string) {
	if s.Err != nil {
		for _, table := range h.platTables {
			h.rep.set(check, table, cell{fail, snapshotRefused})
		}
		return
	}
	tables := h.platTables
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
		h.bisect(check, batch, func(batch []string) map[string]cell { return h.restoreBatch(s, tgt, batch) })
	}
}

// restoreBatch restores the tables of batch into the target at once.
func (h *harness) restoreBatch(s *snapshot, tgt *targetDB, batch []string) map[string]cell {
	ctx := h.t.Context()
	names, err := s.Snap.Tables(batch)
	if err != nil {
		return all(batch, cell{fail, firstError(err)})
	}
	res, err := tgt.Svc.Restore(ctx, ticket.Request{Snapshot: s.Snap, Mode: tgt.Mode, Tables: names, Cascade: tgt.Mode == apply.Overwrite,
		Ticket: "TORTURE", Timeout: restoreTimeout}, nil)
	if v := restoreVerdict(res, err); v.Status != pass {
		return all(batch, v)
	}
	return h.compare(ctx, s.Database, tgt.DB, batch)
}

// restoreVerdict is what a restore's error (or its verification) says.
func restoreVerdict(res *apply.Result, err error) cell {
	var refusal *apply.RefusedError
	switch {
	case errors.As(err, &refusal):
		return cell{refused, strings.Join(refusal.Reasons, "; ")} // abbreviated when printed
	case err != nil:
		return cell{fail, firstError(err)}
	case !res.Verified():
		bad := []string{}
		for _, c := range res.Checks {
			if !c.OK {
				bad = append(bad, fmt.Sprintf("%s %d of %d rows", c.Table, c.Got, c.Want))
			}
		}
		if len(res.Checks) == 0 {
			// Committed, and yet its JSON output and audit record say
			// "verified": false, and the console "verification FAILED".
			bad = append(bad, "the restore committed and verified no table")
		}
		return cell{fail, "not verified: " + strings.Join(bad, ", ")}
	}
	return cell{Status: pass}
}

// execNotices runs sql as the superuser in db and returns its notices.
func (h *harness) execNotices(db, sql string) []string {
	cfg, err := pgx.ParseConfig(h.pg.URL(db))
	if err != nil {
		h.t.Fatal(err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Message) }
	conn, err := pgx.ConnectConfig(h.t.Context(), cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(h.t.Context(), sql); err != nil {
		h.t.Fatalf("%v\nSQL: %s", err, sql)
	}
	return notices
}

// keyedTables are the tables of db with a primary key.
func (h *harness) keyedTables(db string) map[string]bool {
	const q = `SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'p'`
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
	keyed := map[string]bool{}
	for _, n := range names {
		keyed[n] = true
	}
	return keyed
}

// targetAll restores the whole snapshot (--all) into a damaged target in
// mode, and checks every table.
func (h *harness) targetAll(s *snapshot, mode apply.Mode) {
	name := string(mode) + " --all, damaged target"
	if mode == apply.Overwrite {
		name = "overwrite --all --cascade, damaged target"
	}
	if s.Err != nil {
		h.rep.run(name, fail, snapshotRefused)
		return
	}
	tgt := h.target(s, mode)
	res, err := tgt.Svc.Restore(h.t.Context(), ticket.Request{Snapshot: s.Snap, Mode: mode, All: true, Cascade: mode == apply.Overwrite,
		Ticket: "TORTURE", Timeout: restoreTimeout}, nil)
	if v := restoreVerdict(res, err); v.Status != pass {
		h.rep.run(name, v.Status, v.Detail)
		return
	}
	h.allVerdict(name, s, tgt.DB, h.platTables)
}

// newProject restores the whole snapshot into a new project: with its
// index and four connections (its per-table results are the new project
// column), or scanning it serially.
func (h *harness) newProject(s *snapshot, indexed bool) {
	name := "new project --all, scan, serial"
	if indexed {
		name = "new project --all, index, parallel"
	}
	failed := func(detail string) {
		h.rep.run(name, fail, detail)
		if indexed {
			for _, table := range h.platTables {
				h.rep.set(checkNewProject, table, cell{fail, detail})
			}
		}
	}
	if s.Err != nil {
		failed(snapshotRefused)
		return
	}
	snap := s.Snap
	if !indexed {
		var err error
		if snap, err = ticket.Open(h.t.Context(), s.Snap.Resolved, ticket.OpenOptions{NoIndex: true}); err != nil {
			failed(firstError(err))
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
	if v := restoreVerdict(res, err); v.Status != pass {
		failed(v.Detail)
		return
	}
	cells := h.allVerdict(name, s, db, h.platTables)
	if indexed {
		for table, c := range cells {
			h.rep.set(checkNewProject, table, c)
		}
	}
}

// allVerdict records an --all run that went through: the comparison of
// the tables and of every sequence with the source's. It returns the
// tables' comparisons.
func (h *harness) allVerdict(name string, s *snapshot, db string, tables []string) map[string]cell {
	cells := h.compare(h.t.Context(), s.Database, db, tables)
	var bad []string
	for _, table := range tables {
		if c := cells[table]; c.Status != pass {
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
		h.rep.run(name, pass, fmt.Sprintf("%d tables and %d sequences as in the snapshot", len(tables), len(want)))
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
