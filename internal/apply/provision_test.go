package apply

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// newDBName returns a fresh database name, dropped (with any temporary
// database of a restore to it) when the test ends.
func newDBName(t testing.TB, pg *testenv.Postgres) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := "np_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		for _, d := range databases(t, pg, name+"%") {
			adminExec(t, pg, "DROP DATABASE IF EXISTS "+pgx.Identifier{d}.Sanitize()+" WITH (FORCE)")
		}
	})
	return name
}

// adminExec runs sql on the cluster's postgres database, also from a
// cleanup (when t.Context is done).
func adminExec(t testing.TB, pg *testenv.Postgres, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// databases returns the databases whose names are LIKE pattern, with the
// comment of each.
func databaseComments(t testing.TB, pg *testenv.Postgres, pattern string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname LIKE $1", pattern)
	out := map[string]string{}
	var name, comment string
	_, err = pgx.ForEachRow(rows, []any{&name, &comment}, func() error {
		out[name] = comment
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func databases(t testing.TB, pg *testenv.Postgres, pattern string) []string {
	var names []string
	for n := range databaseComments(t, pg, pattern) {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestTempName(t *testing.T) {
	for _, name := range []string{"demo", strings.Repeat("a", 63), strings.Repeat("é", 30), "with space", strings.Repeat("x", 46)} {
		tmp, err := tempName(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(tmp) > 63 || !utf8.ValidString(tmp) || !strings.Contains(tmp, "_restoring_") {
			t.Errorf("tempName(%q) = %q (%d bytes)", name, tmp, len(tmp))
		}
		if prefix, _, _ := strings.Cut(tmp, "_restoring_"); !strings.HasPrefix(name, prefix) || prefix == "" {
			t.Errorf("tempName(%q) = %q: not a prefix of the name", name, tmp)
		}
	}
}

func TestQuoteLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain":    "'plain'",
		"it's":     "'it''s'",
		`back\'sl`: `E'back\\''sl'`,
	} {
		if got := quoteLiteral(in); got != want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestProvisioner: a database is created under a temporary name with its
// marker comment, committed into place, or dropped.
func TestProvisioner(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx := t.Context()
	p := &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner_" + strings.ToLower(t.Name()[:4])}

	t.Run("commit", func(t *testing.T) {
		name := newDBName(t, pg)
		db, err := p.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		got := databaseComments(t, pg, name+"%")
		if len(got) != 1 || !strings.HasPrefix(got[db.Temp], "restorectl: restoring "+name+"; admin backend pid ") {
			t.Fatalf("after Create: %v (temp %s)", got, db.Temp)
		}
		var owner string
		conn, err := pgx.ConnectConfig(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").Scan(&owner); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if owner != p.Owner {
			t.Errorf("owner %s, want %s", owner, p.Owner)
		}
		if err := p.Commit(ctx, db); err != nil {
			t.Fatal(err)
		}
		got = databaseComments(t, pg, name+"%")
		if len(got) != 1 || got[name] != "restorectl: restored "+name {
			t.Errorf("after Commit: %v", got)
		}
		if want := fmt.Sprintf("postgresql://postgres@%s:%d/%s", pg.Host, pg.Port, name); db.Connect != want {
			t.Errorf("Connect %s, want %s", db.Connect, want)
		}
		if _, err := p.Create(ctx, name); err == nil || !strings.Contains(err.Error(), "exists already: choose another name with --new-project") {
			t.Errorf("Create of an existing name: %v", err)
		}
	})

	t.Run("name taken meanwhile", func(t *testing.T) {
		name := newDBName(t, pg)
		db, err := p.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		adminExec(t, pg, "CREATE DATABASE "+name)
		if err := p.Commit(ctx, db); err == nil || !strings.Contains(err.Error(), "created meanwhile: choose another name with --new-project") {
			t.Fatalf("Commit onto a name taken meanwhile: %v", err)
		}
		if err := p.Drop(ctx, db); err != nil {
			t.Fatal(err)
		}
		if got := databases(t, pg, name+"%"); !slices.Equal(got, []string{name}) {
			t.Errorf("databases %v, want only %s", got, name)
		}
	})

	t.Run("drop", func(t *testing.T) {
		name := newDBName(t, pg)
		db, err := p.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		// A connection left open does not keep the database.
		conn, err := pgx.ConnectConfig(ctx, db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := p.Drop(context.WithoutCancel(cctx), db); err != nil {
			t.Fatal(err)
		}
		if got := databases(t, pg, name+"%"); len(got) != 0 {
			t.Errorf("after Drop: %v", got)
		}
	})

	t.Run("sweep", func(t *testing.T) {
		dead, alive, next := newDBName(t, pg), newDBName(t, pg), newDBName(t, pg)
		d, err := p.Create(ctx, dead)
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.Create(ctx, alive)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Drop(context.Background(), a)
		// As if the restore were killed: its admin backend goes away.
		adminExec(t, pg, "SELECT pg_terminate_backend($1)", d.admin.PgConn().PID())
		for range 100 {
			if err := d.admin.Ping(ctx); err != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		n, err := p.Create(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Drop(context.Background(), n)
		if got := databases(t, pg, dead+"%"); len(got) != 0 {
			t.Errorf("the dead restore's database is still there: %v", got)
		}
		if got := databases(t, pg, alive+"%"); !slices.Equal(got, []string{a.Temp}) {
			t.Errorf("the running restore's database: %v, want %s", got, a.Temp)
		}
	})
}

// TestProvisionerNoPassword: a password in the admin URL appears nowhere:
// not in Connect, the plan, the result, nor errors.
func TestProvisionerNoPassword(t *testing.T) {
	pg := testenv.StartPostgres(t)
	const secret = "s3cret-pw-9f8e7d"
	// The cluster trusts loopback: the password is accepted and ignored.
	admin := fmt.Sprintf("postgres://postgres:%s@%s:%d/postgres?sslmode=disable", secret, pg.Host, pg.Port)
	p := &PostgresProvisioner{AdminURL: admin}
	name := newDBName(t, pg)
	var leaks []string
	check := func(what, s string) {
		if strings.Contains(s, secret) {
			leaks = append(leaks, what+": "+s)
		}
	}
	check("Connect before", p.Connect(name))

	d := pg.Corpus(t, "shapes")[0]
	src := fileSource(t, d.GzipPath)
	cfg := Config{Store: localStore(t), Provisioner: p}
	req := Request{Mode: NewProject, All: true, Project: "demo", Database: name, Source: src}
	dry := req
	dry.DryRun = true
	res, err := Run(t.Context(), cfg, dry)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(res)
	check("dry-run result", string(js))
	if res.Plan.Target != fmt.Sprintf("postgresql://postgres@%s:%d/%s", pg.Host, pg.Port, name) {
		t.Errorf("plan target %s", res.Plan.Target)
	}
	res, err = Run(t.Context(), cfg, req)
	if err != nil {
		t.Fatal(err)
	}
	js, _ = json.Marshal(res)
	check("result", string(js))
	check("Connect", res.Database.Connect)
	_, err = Run(t.Context(), cfg, req)
	if err == nil {
		t.Fatal("a second restore to the same name succeeded")
	}
	check("error of an existing name", err.Error())
	bad := &PostgresProvisioner{AdminURL: fmt.Sprintf("postgres://postgres:%s@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", secret)}
	_, err = bad.Create(t.Context(), name+"x")
	if err == nil {
		t.Fatal("Create on a closed port succeeded")
	}
	check("error of a connection", err.Error())
	bad.AdminURL = "postgres://postgres:" + secret + "@127.0.0.1:99999999/x"
	_, err = bad.Create(t.Context(), name+"x")
	if err == nil {
		t.Fatal("Create with an unparseable URL succeeded")
	}
	check("error of a parse", err.Error())
	for _, l := range leaks {
		t.Errorf("password leaked in %s", l)
	}
}

// rangedSource is a Concurrent Source over a dump: its text cut into small
// gzip members (at COPY boundaries and every few KB, mid-statement and
// mid-row too) and indexed, read with ranged reads of the bytes.
func rangedSource(t testing.TB, plainPath string, every int64) *Source {
	t.Helper()
	text, err := os.ReadFile(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	var cuts []int64
	_, err = extract.ScanTOC(context.Background(), extract.NewReader(bytes.NewReader(text)), extract.ScanHooks{
		Boundary: func(off int64) { cuts = append(cuts, off) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for off := every; off < int64(len(text)); off += every {
		cuts = append(cuts, off)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	cuts = append([]int64{0}, slices.DeleteFunc(cuts, func(c int64) bool { return c <= 0 || c >= int64(len(text)) })...)
	var gz bytes.Buffer
	for k, c := range cuts {
		end := int64(len(text))
		if k+1 < len(cuts) {
			end = cuts[k+1]
		}
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		zw.Write(text[c:end])
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	obj := gz.Bytes()
	ix, err := extract.IndexSnapshotStream(context.Background(), bytes.NewReader(obj), int64(len(obj)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Seekable() {
		t.Fatalf("%s: index not seekable", plainPath)
	}
	rg := &extract.Ranged{Index: ix, Open: func(_ context.Context, off, length int64) (io.ReadCloser, error) {
		if off < 0 || length < 0 || off+length > int64(len(obj)) {
			return nil, fmt.Errorf("range [%d, +%d) outside the %d-byte object", off, length, len(obj))
		}
		return io.NopCloser(bytes.NewReader(obj[off : off+length])), nil
	}}
	return RangedSource(plainPath, rg)
}

func localStore(t testing.TB) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
