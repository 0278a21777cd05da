package apply

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// restoreNew restores src (all of it, or tables) into a new database name.
func restoreNew(t testing.TB, pg *testenv.Postgres, src *Source, name string, tables []extract.Name, parallel int, progress Progress) (*Result, error) {
	t.Helper()
	cfg := Config{Store: localStore(t), Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner"}, Progress: progress}
	req := Request{Mode: NewProject, All: tables == nil, Tables: tables, Project: "demo", Database: name, Source: src, Parallel: parallel}
	return Run(t.Context(), cfg, req)
}

// TestNewProjectRoundTrip: every corpus dump, restored whole into a new
// project (scanned, serially; and indexed, in parallel), has the source's
// tables, rows and sequence positions.
func TestNewProjectRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			sources := map[string]func() *Source{
				"serial":   func() *Source { return fileSource(t, d.GzipPath) },
				"parallel": func() *Source { return rangedSource(t, d.Path, 16<<10) },
			}
			for _, how := range []string{"serial", "parallel"} {
				t.Run(how, func(t *testing.T) {
					t.Parallel()
					src := sources[how]()
					name := newDBName(t, pg)
					var mu sync.Mutex
					phases := map[string]bool{}
					res, err := restoreNew(t, pg, src, name, nil, 4, ProgressFunc(func(e Event) {
						mu.Lock()
						phases[e.Phase] = true
						mu.Unlock()
					}))
					if err != nil {
						t.Fatal(err)
					}
					if !res.Verified() || res.Database == nil || res.Database.Name != name {
						t.Fatalf("result: verified %v, database %+v", res.Verified(), res.Database)
					}
					for _, p := range []string{PhaseSchema, PhaseVerify, PhaseCommit} {
						if !phases[p] {
							t.Errorf("no %s event (events: %v)", p, slices.Sorted(maps.Keys(phases)))
						}
					}
					compareDatabases(t, pg, d.Database, name)
					if got := databases(t, pg, name+"_restoring_%"); len(got) > 0 {
						t.Errorf("temporary databases left: %v", got)
					}
				})
			}
		})
	}
}

// compareDatabases checks that restored has source's tables, rows and
// sequence positions.
func compareDatabases(t *testing.T, pg *testenv.Postgres, source, restored string) {
	t.Helper()
	want, got := pg.Tables(t, source), pg.Tables(t, restored)
	if !slices.Equal(got, want) {
		t.Fatalf("tables\n got %v\nwant %v", got, want)
	}
	for _, table := range want {
		if g, w := pg.TableChecksum(t, restored, table), pg.TableChecksum(t, source, table); g != w {
			t.Errorf("%s: checksum %s, source %s", table, g, w)
		}
	}
	if g, w := pg.Sequences(t, restored), pg.Sequences(t, source); !maps.Equal(g, w) {
		t.Errorf("sequences\n got %v\nwant %v", g, w)
	}
}

// TestNewProjectSelected: with some tables selected, the whole schema
// comes, their rows and sequences come, and the other tables are empty;
// a foreign key to a table whose rows do not come is left out.
func TestNewProjectSelected(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	selected := []string{"public.orders", "public.categories"}
	for _, how := range []string{"serial", "parallel"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			src := fileSource(t, d.GzipPath)
			if how == "parallel" {
				src = rangedSource(t, d.Path, 16<<10)
			}
			names, err := src.TOC.Resolve(selected)
			if err != nil {
				t.Fatal(err)
			}
			name := newDBName(t, pg)
			res, err := restoreNew(t, pg, src, name, names, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pg.Tables(t, name), pg.Tables(t, d.Database)) {
				t.Errorf("tables %v, want %v", pg.Tables(t, name), pg.Tables(t, d.Database))
			}
			for _, table := range pg.Tables(t, d.Database) {
				got := pg.TableChecksum(t, name, table)
				switch {
				case slices.Contains(selected, table):
					if want := pg.TableChecksum(t, d.Database, table); got != want || strings.HasPrefix(got, "0 ") {
						t.Errorf("%s: checksum %s, source %s", table, got, want)
					}
				case !strings.HasPrefix(got, "0 "):
					t.Errorf("%s (not selected) holds rows: %s", table, got)
				}
			}
			seqs := pg.Sequences(t, name)
			if want := pg.Sequences(t, d.Database)["public.orders_id_seq"]; seqs["public.orders_id_seq"] != want {
				t.Errorf("public.orders_id_seq at %s, want %s", seqs["public.orders_id_seq"], want)
			}
			if got := seqs["public.items_id_seq"]; got != "1 false" {
				t.Errorf("public.items_id_seq (not selected) at %s, want its initial position", got)
			}
			if !slices.ContainsFunc(res.Plan.Warnings, func(w string) bool { return strings.Contains(w, "public.profiles") }) {
				t.Errorf("no warning about the foreign key to public.profiles: %v", res.Plan.Warnings)
			}
			for _, tp := range res.Plan.Tables {
				if slices.Contains(selected, tp.Name) != (tp.Inserted > 0) || tp.Exists {
					t.Errorf("plan of %s: %+v", tp.Name, tp)
				}
			}
		})
	}
}

// TestNewProjectDryRun: the plan lists every table and what runs, and
// nothing is created.
func TestNewProjectDryRun(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	name := newDBName(t, pg)
	cfg := Config{Store: localStore(t), Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner"}}
	res, err := Run(t.Context(), cfg, Request{Mode: NewProject, All: true, DryRun: true, Project: "demo", Database: name, Source: fileSource(t, d.GzipPath)})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Plan
	if p.Role != "np_owner" || !slices.ContainsFunc(p.Statements, func(s string) bool { return strings.HasPrefix(s, "SET ROLE np_owner ") }) {
		t.Errorf("the plan does not say it loads as role np_owner: role %q, statements %q", p.Role, p.Statements)
	}
	if len(p.Statements) < 3 || p.Statements[0] != "CREATE DATABASE "+name || !slices.ContainsFunc(p.Statements, func(s string) bool { return strings.HasSuffix(s, " schema statements") }) ||
		!slices.Contains(p.Statements, fmt.Sprintf("COPY public.orders: %s rows", catalog.FormatExact(p.Tables[slices.IndexFunc(p.Tables, func(tp TablePlan) bool { return tp.Name == "public.orders" })].SnapshotRows))) ||
		!strings.HasSuffix(p.Statements[len(p.Statements)-1], " index/constraint statements") {
		t.Errorf("statements: %q", p.Statements)
	}
	for _, tp := range p.Tables {
		if tp.Exists || tp.RowsNow != 0 || tp.RowsAfter != tp.SnapshotRows || tp.Inserted != tp.SnapshotRows {
			t.Errorf("plan of %s: %+v", tp.Name, tp)
		}
	}
	if res.Database != nil || len(databases(t, pg, name+"%")) > 0 {
		t.Errorf("a dry run created a database")
	}
}

// TestNewProjectFailure: a statement the target refuses, or a cancelled
// restore, leaves no database behind.
func TestNewProjectFailure(t *testing.T) {
	pg := testenv.StartPostgres(t)
	// A dump whose rows break the primary key that comes after them.
	src, _ := pg.CreateDatabase(t)
	pg.Exec(t, src, "CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t SELECT i, 'v' || i FROM generate_series(1, 1000) i;"+
		"CREATE TABLE public.u (id int); INSERT INTO public.u SELECT generate_series(1, 5000)")
	dir := t.TempDir()
	out, err := exec.Command(pg.Bin("pg_dump"), "--no-owner", "--no-privileges", "-f", filepath.Join(dir, "good.sql"), pg.URL(src)).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	good, err := os.ReadFile(filepath.Join(dir, "good.sql"))
	if err != nil {
		t.Fatal(err)
	}
	badPath := filepath.Join(dir, "bad.sql")
	if err := os.WriteFile(badPath, []byte(strings.Replace(string(good), "\n2\tv2\n", "\n1\tv2\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	goodPath := filepath.Join(dir, "good.sql")

	for _, tc := range []struct {
		name, dump string
		parallel   bool
		cancel     bool
		want       string
	}{
		{"violation serial", badPath, false, false, "23505"},
		{"violation parallel", badPath, true, false, "23505"},
		{"cancel serial", goodPath, false, true, "context canceled"},
		{"cancel parallel", goodPath, true, true, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fileSource(t, tc.dump)
			if tc.parallel {
				s = rangedSource(t, tc.dump, 4<<10)
			}
			name := newDBName(t, pg)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cfg := Config{Store: localStore(t), Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner"},
				Progress: ProgressFunc(func(e Event) {
					if tc.cancel && e.Phase == PhaseCopy {
						cancel()
					}
				})}
			res, err := Run(ctx, cfg, Request{Mode: NewProject, All: true, Project: "demo", Database: name, Source: s, Parallel: 2})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "was dropped") {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if res.Database != nil {
				t.Errorf("result has a database: %+v", res.Database)
			}
			if got := databases(t, pg, name+"%"); len(got) > 0 {
				t.Errorf("databases left: %v", got)
			}
			t.Log(err)
		})
	}
}

// TestNewProjectNoRows: a snapshot without COPY blocks still brings its
// sequence positions, serially and in parallel.
func TestNewProjectNoRows(t *testing.T) {
	pg := testenv.StartPostgres(t)
	src, _ := pg.CreateDatabase(t)
	pg.Exec(t, src, "CREATE SEQUENCE public.s; SELECT setval('public.s', 42); CREATE VIEW public.v AS SELECT 1 AS one")
	path := filepath.Join(t.TempDir(), "dump.sql")
	if out, err := exec.Command(pg.Bin("pg_dump"), "--no-owner", "--no-privileges", "-f", path, pg.URL(src)).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	for _, s := range []*Source{fileSource(t, path), rangedSource(t, path, 512)} {
		name := newDBName(t, pg)
		if _, err := restoreNew(t, pg, s, name, nil, 4, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := pg.Sequences(t, name), pg.Sequences(t, src); !maps.Equal(got, want) {
			t.Errorf("concurrent %v: sequences %v, want %v", s.Concurrent, got, want)
		}
	}
}

// benchDump dumps a generated database of a few MB (two big tables, some
// small ones, indexes and foreign keys).
func benchDump(b *testing.B, pg *testenv.Postgres) string {
	db, _ := pg.CreateDatabase(b)
	pg.Exec(b, db, `
CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2));
INSERT INTO public.accounts SELECT i, 'account ' || i, i * 1.5 FROM generate_series(1, 60000) i;
CREATE INDEX accounts_name_idx ON public.accounts (name);
CREATE TABLE public.events (id bigserial PRIMARY KEY, account_id bigint REFERENCES public.accounts, payload jsonb);
INSERT INTO public.events (account_id, payload) SELECT 1 + i % 60000, jsonb_build_object('n', i, 's', md5(i::text)) FROM generate_series(1, 60000) i;
CREATE INDEX events_account_idx ON public.events (account_id);
CREATE TABLE public.small1 (id int PRIMARY KEY, v text); INSERT INTO public.small1 SELECT i, md5(i::text) FROM generate_series(1, 5000) i;
CREATE TABLE public.small2 (id int PRIMARY KEY, v text); INSERT INTO public.small2 SELECT i, md5(i::text) FROM generate_series(1, 5000) i;`)
	path := filepath.Join(b.TempDir(), "bench.sql")
	if out, err := exec.Command(pg.Bin("pg_dump"), "--no-owner", "--no-privileges", "-f", path, pg.URL(db)).CombinedOutput(); err != nil {
		b.Fatalf("pg_dump: %v\n%s", err, out)
	}
	return path
}

func benchmarkNewProject(b *testing.B, parallel bool) {
	pg := testenv.StartPostgres(b)
	path := benchDump(b, pg)
	src := fileSource(b, path)
	if parallel {
		src = rangedSource(b, path, 256<<10)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		name := newDBName(b, pg)
		if _, err := restoreNew(b, pg, src, name, nil, 4, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		adminExec(b, pg, "DROP DATABASE "+name)
		b.StartTimer()
	}
}

func BenchmarkNewProjectSerial(b *testing.B)   { benchmarkNewProject(b, false) }
func BenchmarkNewProjectParallel(b *testing.B) { benchmarkNewProject(b, true) }

// TestRunJobs: jobs start in order of preference, never before what they
// wait for is done; the first error stops the rest.
func TestRunJobs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		workers int
		fail    int // index of the job that fails, -1 for none
	}{
		{"one worker", 1, -1},
		{"three workers", 3, -1},
		{"failure", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c1 := &loadJob{size: 10}
			c2 := &loadJob{size: 5}
			jobs := []*loadJob{c1, {size: 10, index: true, wait: c1}, c2, {size: 5, index: true, wait: c2}, {size: 1, index: true}}
			var mu sync.Mutex
			var ran []int
			err := runJobs(t.Context(), tc.workers, jobs, func(ctx context.Context, w int, j *loadJob) error {
				k := slices.Index(jobs, j)
				mu.Lock()
				ran = append(ran, k)
				if j.wait != nil && !j.wait.done {
					t.Errorf("job %d started before the job it waits for", k)
				}
				mu.Unlock()
				if k == tc.fail {
					return fmt.Errorf("job %d failed", k)
				}
				return nil
			})
			switch {
			case tc.fail < 0 && (err != nil || len(ran) != len(jobs)):
				t.Errorf("err %v, ran %v", err, ran)
			case tc.fail >= 0 && (err == nil || slices.Contains(ran, 3)):
				t.Errorf("err %v, ran %v (job 3 waits for the failed one)", err, ran)
			}
			if tc.workers == 1 && !slices.Equal(ran, []int{0, 1, 2, 3, 4}) {
				t.Errorf("order %v", ran)
			}
		})
	}
}

// TestNewProjectLargeObject: the BEGIN and COMMIT pg_dump writes around a
// large object's data do not end the load's own transaction early, and
// the object arrives, owned by the project's role.
func TestNewProjectLargeObject(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := newTgtScenario(t, `CREATE TABLE public.docs (id integer PRIMARY KEY, blob oid);
		INSERT INTO public.docs SELECT 1, lo_from_bytea(0, 'hello, large object');`, "")
	name := newDBName(t, pg)
	cfg := Config{Store: s.store, Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner"}}
	if _, err := Run(t.Context(), cfg, Request{Mode: NewProject, All: true, Project: "abcd1234", Database: name, Source: s.source}); err != nil {
		t.Fatalf("new project: %v", err)
	}
	got := s.query(t, name, "SELECT convert_from(lo_get(blob), 'UTF8') || ' ' || pg_get_userbyid(m.lomowner) FROM public.docs JOIN pg_largeobject_metadata m ON m.oid = blob")
	if want := "hello, large object np_owner"; got != want {
		t.Errorf("large object: %q, want %q", got, want)
	}
}
