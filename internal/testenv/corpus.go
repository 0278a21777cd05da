package testenv

import (
	"bufio"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	neturl "net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The corpus: fixture databases shaped like the platform's projects, dumped
// by the real pg_dump, so the extraction engine is tested on what the backup
// job really produces rather than on hand-written dumps.
//
// Each fixture file starts with a comment saying what it covers. The
// platform fixture creates the roles anon, authenticated and service_role
// (cluster-wide, as on the platform) because its policies name them; a
// script restoring those policies into another database of the same cluster
// finds them. Some values (now(), pg_dump's \restrict key) differ from run
// to run, so compare with the source database, never with stored sums.

//go:embed corpus/*.sql
var corpusFS embed.FS

// Fixture is one corpus database definition.
type Fixture struct {
	Name string // the file name without ".sql", e.g. "platform"
	SQL  string // a psql script that fills an empty database
}

// CorpusFixtures returns every fixture, sorted by name.
func CorpusFixtures() []Fixture {
	files, err := fs.Glob(corpusFS, "corpus/*.sql")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	fixtures := make([]Fixture, 0, len(files))
	for _, file := range files {
		b, err := corpusFS.ReadFile(file)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		name := strings.TrimSuffix(path.Base(file), ".sql")
		fixtures = append(fixtures, Fixture{Name: name, SQL: string(b)})
	}
	sort.Slice(fixtures, func(i, j int) bool { return fixtures[i].Name < fixtures[j].Name })
	return fixtures
}

// CorpusDump is one fixture loaded into a fresh database and dumped with the
// cluster's pg_dump --no-owner --no-privileges, as the backup job does.
type CorpusDump struct {
	Fixture  string // the fixture's name
	Database string // the source database; treat it as read-only, other tests share it
	URL      string // the source database's URL
	Path     string // the plain .sql dump, in the cluster's temp dir (removed with it)
	GzipPath string // the same dump, gzipped
}

// corpusEntry caches one fixture's dump for the whole test binary.
type corpusEntry struct {
	once sync.Once
	dump CorpusDump
	err  error
}

// There is one cluster per test binary, so the cache can be global.
var (
	corpusMu      sync.Mutex
	corpusEntries = map[string]*corpusEntry{}
)

// corpusTimeout bounds loading and dumping one fixture. The work is shared
// by every test that asks for it, so no single test's context applies.
const corpusTimeout = 5 * time.Minute

// Corpus loads and dumps the named fixtures (all of them when none are
// named), in parallel. Each fixture is loaded and dumped once per test
// binary and shared by every test that asks for it; its database and files
// stay until the binary ends.
func (p *Postgres) Corpus(t testing.TB, names ...string) []CorpusDump {
	t.Helper()
	fixtures, err := selectFixtures(names)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dumps := make([]CorpusDump, len(fixtures))
	errs := make([]error, len(fixtures))
	var wg sync.WaitGroup
	for i, f := range fixtures {
		wg.Go(func() { dumps[i], errs[i] = p.corpusDump(f) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dumps
}

// selectFixtures returns the named fixtures in the order given, or all.
func selectFixtures(names []string) ([]Fixture, error) {
	all := CorpusFixtures()
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]Fixture{}
	var known []string
	for _, f := range all {
		byName[f.Name] = f
		known = append(known, f.Name)
	}
	var selected []Fixture
	for _, name := range names {
		f, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("no corpus fixture %q (have: %s)", name, strings.Join(known, ", "))
		}
		selected = append(selected, f)
	}
	return selected, nil
}

// corpusDump returns the fixture's dump, making it on first use.
func (p *Postgres) corpusDump(f Fixture) (CorpusDump, error) {
	corpusMu.Lock()
	e := corpusEntries[f.Name]
	if e == nil {
		e = &corpusEntry{}
		corpusEntries[f.Name] = e
	}
	corpusMu.Unlock()
	e.once.Do(func() { e.dump, e.err = p.makeCorpusDump(f) })
	return e.dump, e.err
}

// makeCorpusDump loads the fixture into database corpus_NAME and dumps it
// into the cluster's temp dir, which goes away with the cluster.
func (p *Postgres) makeCorpusDump(f Fixture) (CorpusDump, error) {
	ctx, cancel := context.WithTimeout(context.Background(), corpusTimeout)
	defer cancel()
	dir := filepath.Join(p.root, "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return CorpusDump{}, fmt.Errorf("corpus %s: %w", f.Name, err)
	}
	d := CorpusDump{
		Fixture:  f.Name,
		Database: "corpus_" + f.Name,
		Path:     filepath.Join(dir, f.Name+".sql"),
		GzipPath: filepath.Join(dir, f.Name+".sql.gz"),
	}
	d.URL = p.URL(d.Database)
	if err := p.loadAndDump(ctx, f, d); err != nil {
		return CorpusDump{}, fmt.Errorf("corpus fixture %s: %w", f.Name, err)
	}
	return d, nil
}

// loadAndDump creates d's database, runs the fixture in it with psql, and
// writes the dump and its gzipped copy.
func (p *Postgres) loadAndDump(ctx context.Context, f Fixture, d CorpusDump) error {
	script := strings.TrimSuffix(d.Path, ".sql") + ".fixture.sql"
	if err := os.WriteFile(script, []byte(f.SQL), 0o644); err != nil {
		return err
	}
	if err := p.exec(ctx, "postgres", "CREATE DATABASE "+pgx.Identifier{d.Database}.Sanitize()); err != nil {
		return err
	}
	if err := p.psql(ctx, d.URL, script, nil); err != nil {
		return err
	}
	if err := p.pgDump(ctx, d.URL, d.Path); err != nil {
		return err
	}
	return gzipFile(d.Path, d.GzipPath)
}

// pgDump dumps the database at url into file the way the backup job does.
func (p *Postgres) pgDump(ctx context.Context, url, file string) error {
	cmd := exec.CommandContext(ctx, p.Bin("pg_dump"), "--no-owner", "--no-privileges", "-f", file, url)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump: %w\n%s", err, tail(string(out), 20))
	}
	return nil
}

// gzipFile writes a gzipped copy of src to dst.
func gzipFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		return fmt.Errorf("gzip %s: %w", src, err)
	}
	return zw.Close()
}

// LoadScript runs a SQL script (plain, or gzipped when path ends in ".gz")
// with psql -v ON_ERROR_STOP=1 in database db, as the runbook restores a
// dump, and fails the test on the first error.
func (p *Postgres) LoadScript(t testing.TB, db, path string) {
	t.Helper()
	p.LoadScriptAs(t, db, "", path)
}

// LoadScriptAs is LoadScript as role (psql's session becomes it first), so
// that what the script creates belongs to role; "" is the superuser.
func (p *Postgres) LoadScriptAs(t testing.TB, db, role, path string) {
	t.Helper()
	if err := p.RunScript(t.Context(), db, role, path); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

// RunScript is LoadScriptAs returning the error (with the end of psql's
// output) instead of failing the test, for callers that count failures,
// or that run it outside the test's goroutine.
func (p *Postgres) RunScript(ctx context.Context, db, role, path string) error {
	var stdin io.Reader
	file := path
	if strings.HasSuffix(path, ".gz") {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		stdin, file = zr, "-"
	}
	url := p.URL(db)
	if role != "" {
		url += "&options=" + strings.NewReplacer("+", "%20", "=", "%3D").Replace(neturl.QueryEscape("-c role="+role))
	}
	if err := p.psql(ctx, url, file, stdin); err != nil {
		return fmt.Errorf("load %s into database %s: %w", path, db, err)
	}
	return nil
}

// psql runs a script file ("-" for stdin) and stops at the first error.
// -X keeps a developer's ~/.psqlrc out of the tests; query results (such as
// a dump's setval calls) are discarded so that errors stand out.
func (p *Postgres) psql(ctx context.Context, url, file string, stdin io.Reader) error {
	cmd := exec.CommandContext(ctx, p.Bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-o", os.DevNull, "-f", file, "-d", url)
	cmd.Stdin = stdin
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql -f %s: %w\n%s", file, err, tail(string(out), 20))
	}
	return nil
}

// Tables returns every user table of database db (plain and partitioned
// tables and partitions, not those of extensions) as quoted qualified names
// such as `public.orders` or `"My Schema"."a.b"`, sorted.
func (p *Postgres) Tables(t testing.TB, db string) []string {
	t.Helper()
	return p.relations(t, db, "tables", "'r', 'p'")
}

// Views returns every user view and materialized view of database db (not
// those of extensions), named as Tables names tables, sorted.
func (p *Postgres) Views(t testing.TB, db string) []string {
	t.Helper()
	return p.relations(t, db, "views", "'v', 'm'")
}

// relations lists the user relations of db whose relkind is in relkinds
// (a constant SQL list).
func (p *Postgres) relations(t testing.TB, db, what, relkinds string) []string {
	t.Helper()
	q := `
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN (` + relkinds + `)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`
	var names []string
	err := p.withConn(t.Context(), db, func(conn *pgx.Conn) error {
		rows, _ := conn.Query(t.Context(), q)
		var err error
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("testenv: list %s of database %s: %v", what, db, err)
	}
	sort.Strings(names)
	return names
}

// TableChecksum returns "ROWS MD5" for the rows of table (a quoted qualified
// name) in database db: the md5 of the sorted md5s of every row's text. It
// depends only on the rows' values, not on their order, their physical
// layout or the order of the columns, so a table restored elsewhere has the
// same checksum exactly when it holds the same rows. A plain table counts
// only its own rows (ONLY: inheritance children are tables of their own); a
// partitioned table counts the rows of all its partitions.
func (p *Postgres) TableChecksum(t testing.TB, db, table string) string {
	t.Helper()
	sum, err := p.Checksum(t.Context(), db, table)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return sum
}

// Checksum is TableChecksum returning the error instead of failing the
// test (a table that is missing, say).
func (p *Postgres) Checksum(ctx context.Context, db, table string) (string, error) {
	sums, errs, err := p.Checksums(ctx, db, []string{table})
	if err == nil {
		err = errs[table]
	}
	return sums[table], err
}

// Checksums is Checksum of many tables of database db over one
// connection: sums by table, and errs for the tables whose checksum could
// not be taken; err when db cannot be reached at all.
func (p *Postgres) Checksums(ctx context.Context, db string, tables []string) (sums map[string]string, errs map[string]error, err error) {
	sums, errs = map[string]string{}, map[string]error{}
	err = p.withConn(ctx, db, func(conn *pgx.Conn) error {
		for _, table := range tables {
			var sum string
			q, err := checksumQuery(ctx, conn, table)
			if err == nil {
				err = conn.QueryRow(ctx, q).Scan(&sum)
			}
			if err != nil {
				errs[table] = fmt.Errorf("checksum of %s in database %s: %w", table, db, err)
				continue
			}
			sums[table] = sum
		}
		return nil
	})
	return sums, errs, err
}

// checksumQuery builds the checksum query of table. The columns are listed
// by name, not by position, because a restore may legitimately reorder them
// (e.g. a partition created with its parent's column order).
func checksumQuery(ctx context.Context, conn *pgx.Conn, table string) (string, error) {
	const q = `
SELECT c.relkind::text,
       coalesce(array_agg(quote_ident(a.attname) ORDER BY a.attname)
                FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped), '{}')
FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.oid = $1::text::regclass
GROUP BY c.relkind`
	var relkind string
	var columns []string
	if err := conn.QueryRow(ctx, q, table).Scan(&relkind, &columns); err != nil {
		return "", err
	}
	only := "ONLY "
	if relkind == "p" {
		only = "" // a partitioned table's rows live in its partitions
	}
	return fmt.Sprintf(`
SELECT count(*) || ' ' || coalesce(md5(string_agg(h, '' ORDER BY h COLLATE "C")), md5(''))
FROM (SELECT md5(ROW(%s)::text) AS h FROM %s%s) AS rows`,
		strings.Join(columns, ", "), only, table), nil
}

// checksumSettings pin every setting that changes how values print, so
// checksums taken in different databases or sessions compare.
const checksumSettings = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'`

// withConn runs fn on a connection to database db with checksumSettings.
func (p *Postgres) withConn(ctx context.Context, db string, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, p.URL(db))
	if err != nil {
		return fmt.Errorf("connect to database %s: %w", db, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, checksumSettings); err != nil {
		return err
	}
	return fn(conn)
}

// Sequences returns the position of every sequence of database db (not
// those of extensions), keyed by quoted qualified name, as "LAST_VALUE
// IS_CALLED" (e.g. "20000 true"): what the next nextval will return depends
// on both, and a restore must bring both back.
func (p *Postgres) Sequences(t testing.TB, db string) map[string]string {
	t.Helper()
	const list = `
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S'
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`
	positions := map[string]string{}
	err := p.withConn(t.Context(), db, func(conn *pgx.Conn) error {
		rows, _ := conn.Query(t.Context(), list)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range names {
			var pos string
			q := "SELECT last_value || ' ' || is_called FROM " + name
			if err := conn.QueryRow(t.Context(), q).Scan(&pos); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			positions[name] = pos
		}
		return nil
	})
	if err != nil {
		t.Fatalf("testenv: sequences of database %s: %v", db, err)
	}
	return positions
}
