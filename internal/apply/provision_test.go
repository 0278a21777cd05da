package apply

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
		killAdmin(t, pg, d.admin)
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
	p := &PostgresProvisioner{AdminURL: admin, Owner: "np_owner_nopw"}
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

// customerRole creates a role as a customer has one: not a superuser,
// with CREATEDB (it may create, rename and comment its own databases).
// Created first, it is dropped last, after the test's databases.
func customerRole(t testing.TB, pg *testenv.Postgres) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	role := "np_cust_" + hex.EncodeToString(b[:])
	adminExec(t, pg, "CREATE ROLE "+role+" NOLOGIN NOSUPERUSER CREATEDB")
	t.Cleanup(func() { adminExec(t, pg, "DROP ROLE IF EXISTS "+role) })
	return role
}

// asRole runs sql in database dbname as role (SET ROLE from the
// superuser): what that role's owner can do.
func asRole(t testing.TB, pg *testenv.Postgres, dbname, role, sql string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL(dbname))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET ROLE "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, sql)
	return err
}

// registered returns how many entries of the registry of restores name
// databases LIKE pattern.
func registered(t testing.TB, pg *testenv.Postgres, pattern string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM restorectl.restoring WHERE datname LIKE $1", pattern).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// killAdmin ends conn's backend as a killed restore's ends, and waits
// until the cluster no longer lists it.
func killAdmin(t testing.TB, pg *testenv.Postgres, conn *pgx.Conn) {
	t.Helper()
	pid := conn.PgConn().PID()
	adminExec(t, pg, "SELECT pg_terminate_backend($1)", pid)
	conn.Close(context.Background())
	waitGone(t, pg, pid)
}

// waitGone waits until backend pid is gone from pg_stat_activity.
func waitGone(t testing.TB, pg *testenv.Postgres, pid uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for {
		var alive bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", pid).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("backend %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sweepNow runs a Create, hence a sweep, and drops what it created.
func sweepNow(t testing.TB, pg *testenv.Postgres, p *PostgresProvisioner) {
	t.Helper()
	db, err := p.Create(t.Context(), newDBName(t, pg))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Drop(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

// TestProvisionerSweep: the sweep drops the databases of restores that
// died, and nothing else, whatever a customer names or comments.
func TestProvisionerSweep(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx := t.Context()
	cust := customerRole(t, pg)
	owner := "np_owner_sweep"
	p := &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: owner}
	const deadPID = 4194000
	forged := fmt.Sprintf("restorectl: restoring x; admin backend pid %d", deadPID)

	t.Run("forged comment", func(t *testing.T) {
		var live bool
		conn, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", deadPID).Scan(&live); err != nil || live {
			t.Fatalf("pid %d runs a backend (%v)", deadPID, err)
		}
		conn.Close(ctx)
		// The customer's databases: one it created, one given to it, both
		// named and commented like a restore's.
		mine, given := newDBName(t, pg), newDBName(t, pg)+"_restoring_abcdef"
		if err := asRole(t, pg, "postgres", cust, "CREATE DATABASE "+mine); err != nil {
			t.Fatal(err)
		}
		adminExec(t, pg, "CREATE DATABASE "+given+" OWNER "+cust)
		for _, d := range []string{mine, given} {
			if err := asRole(t, pg, "postgres", cust, "COMMENT ON DATABASE "+d+" IS "+extract.QuoteLiteral(forged)); err != nil {
				t.Fatalf("the customer comments its database: %v", err)
			}
		}
		sweepNow(t, pg, p)
		for _, d := range []string{mine, given} {
			if got := databaseComments(t, pg, d); got[d] != forged {
				t.Errorf("the customer's database %s was swept: %v", d, got)
			}
		}
	})

	t.Run("registry closed to customers", func(t *testing.T) {
		sweepNow(t, pg, p) // the registry exists
		for _, sql := range []string{
			"SELECT count(*) FROM restorectl.restoring",
			fmt.Sprintf("INSERT INTO restorectl.restoring (datname, project, admin_role, backend_pid, backend_start) VALUES ('x', 'x', 10, %d, now())", deadPID),
			"UPDATE restorectl.restoring SET datoid = 1",
			"CREATE TABLE restorectl.t ()",
		} {
			err := asRole(t, pg, "postgres", cust, sql)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				t.Errorf("a customer runs %s: %v, want permission denied", sql, err)
			}
		}
	})

	t.Run("registry made by a customer", func(t *testing.T) {
		// An admin database where the customer got there first: its
		// registry names the customer's own database as a dead restore's.
		admindb, _ := pg.CreateDatabase(t)
		victim := newDBName(t, pg)
		if err := asRole(t, pg, "postgres", cust, "CREATE DATABASE "+victim); err != nil {
			t.Fatal(err)
		}
		adminExec(t, pg, "GRANT CREATE ON DATABASE "+admindb+" TO "+cust)
		err := asRole(t, pg, admindb, cust, fmt.Sprintf(`CREATE SCHEMA restorectl;
			CREATE TABLE restorectl.restoring (id bigint, datname name, datoid oid, project text, admin_role oid, backend_pid int, backend_start timestamptz);
			INSERT INTO restorectl.restoring SELECT 1, datname, oid, 'x', datdba, %d, now() FROM pg_database WHERE datname = '%s'`, deadPID, victim))
		if err != nil {
			t.Fatal(err)
		}
		q := &PostgresProvisioner{AdminURL: pg.URL(admindb), Owner: owner}
		_, err = q.Create(ctx, newDBName(t, pg))
		if err == nil || !strings.Contains(err.Error(), "schema restorectl in database "+admindb+" belongs to role "+cust+", not to the admin role postgres") {
			t.Errorf("Create with a customer's registry: %v", err)
		}
		if got := databases(t, pg, victim); !slices.Equal(got, []string{victim}) {
			t.Errorf("the customer's database was swept: %v", got)
		}
	})

	t.Run("registry made by restores at once", func(t *testing.T) {
		admindb, _ := pg.CreateDatabase(t)
		q := &PostgresProvisioner{AdminURL: pg.URL(admindb), Owner: owner}
		names := []string{newDBName(t, pg), newDBName(t, pg), newDBName(t, pg), newDBName(t, pg)}
		errs := make(chan error, len(names))
		for _, name := range names {
			go func() {
				db, err := q.Create(ctx, name)
				if err == nil {
					err = q.Drop(context.Background(), db)
				}
				errs <- err
			}()
		}
		for range names {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("killed restore", func(t *testing.T) {
		terminated, closed := newDBName(t, pg), newDBName(t, pg)
		q := &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: cust}
		d1, err := q.Create(ctx, terminated)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := q.Create(ctx, closed)
		if err != nil {
			t.Fatal(err)
		}
		killAdmin(t, pg, d1.admin)
		// A restore whose process dies: the connection closes.
		pid := d2.admin.PgConn().PID()
		d2.admin.Close(ctx)
		waitGone(t, pg, pid)
		sweepNow(t, pg, p)
		for _, name := range []string{terminated, closed} {
			if got := databases(t, pg, name+"%"); len(got) != 0 {
				t.Errorf("the killed restore's database is still there: %v", got)
			}
			if n := registered(t, pg, name+"%"); n != 0 {
				t.Errorf("%s: %d registry entries left", name, n)
			}
		}
	})

	t.Run("killed around CREATE DATABASE", func(t *testing.T) {
		before, after := newDBName(t, pg), newDBName(t, pg)
		kill := func(name string, create bool) string {
			conn, err := pgx.Connect(ctx, pg.URL("postgres"))
			if err != nil {
				t.Fatal(err)
			}
			if err := ensureRegistry(ctx, conn); err != nil {
				t.Fatal(err)
			}
			tmp := name + "_restoring_000000"
			if _, err := register(ctx, conn, tmp, name); err != nil {
				t.Fatal(err)
			}
			if create {
				if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp); err != nil {
					t.Fatal(err)
				}
			}
			killAdmin(t, pg, conn)
			return tmp
		}
		// Killed between the registration and CREATE DATABASE; then the
		// customer takes the name.
		taken := kill(before, false)
		if err := asRole(t, pg, "postgres", cust, "CREATE DATABASE "+taken); err != nil {
			t.Fatal(err)
		}
		// Killed between CREATE DATABASE and recording the OID.
		kill(after, true)
		sweepNow(t, pg, p)
		if got := databases(t, pg, before+"%"); !slices.Equal(got, []string{taken}) {
			t.Errorf("the customer's database under a registered name: %v, want %s", got, taken)
		}
		if got := databases(t, pg, after+"%"); len(got) != 0 {
			t.Errorf("the database created without its OID recorded is still there: %v", got)
		}
		if n := registered(t, pg, before+"%") + registered(t, pg, after+"%"); n != 0 {
			t.Errorf("%d registry entries left", n)
		}
	})

	t.Run("renamed or replaced by its owner", func(t *testing.T) {
		name := newDBName(t, pg)
		q := &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: cust}
		d, err := q.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		killAdmin(t, pg, d.admin)
		// The owner keeps the database under another name, and puts one of
		// its own under the registered name.
		if err := asRole(t, pg, "postgres", cust, "ALTER DATABASE "+d.Temp+" RENAME TO "+name+"_kept"); err != nil {
			t.Fatal(err)
		}
		if err := asRole(t, pg, "postgres", cust, "CREATE DATABASE "+d.Temp); err != nil {
			t.Fatal(err)
		}
		sweepNow(t, pg, p)
		if got, want := databases(t, pg, name+"%"), []string{name + "_kept", d.Temp}; !slices.Equal(got, want) {
			t.Errorf("databases %v, want %v", got, want)
		}
		if n := registered(t, pg, name+"%"); n != 0 {
			t.Errorf("%d registry entries left", n)
		}
	})

	t.Run("running restore", func(t *testing.T) {
		alive, reused := newDBName(t, pg), newDBName(t, pg)
		a, err := p.Create(ctx, alive)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Drop(context.Background(), a)
		r, err := p.Create(ctx, reused)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Drop(context.Background(), r)
		// As if reused's restore had died and a new backend held its pid.
		adminExec(t, pg, "UPDATE restorectl.restoring SET backend_start = backend_start - interval '1 hour' WHERE datname = $1", r.Temp)
		sweepNow(t, pg, p)
		if got := databases(t, pg, alive+"%"); !slices.Equal(got, []string{a.Temp}) {
			t.Errorf("the running restore's database: %v, want %s", got, a.Temp)
		}
		if got := databases(t, pg, reused+"%"); len(got) != 0 {
			t.Errorf("the database of a restore whose pid was reused is still there: %v", got)
		}
		if err := p.Commit(ctx, a); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("committed", func(t *testing.T) {
		name := newDBName(t, pg)
		d, err := p.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if n := registered(t, pg, d.Temp); n != 1 {
			t.Fatalf("%d registry entries for %s, want 1", n, d.Temp)
		}
		if err := p.Commit(ctx, d); err != nil {
			t.Fatal(err)
		}
		if n := registered(t, pg, name+"%"); n != 0 {
			t.Errorf("%d registry entries after Commit", n)
		}
		// Even with a comment that says otherwise.
		adminExec(t, pg, "COMMENT ON DATABASE "+name+" IS "+extract.QuoteLiteral(forged))
		sweepNow(t, pg, p)
		if got := databases(t, pg, name+"%"); !slices.Equal(got, []string{name}) {
			t.Errorf("the committed database was swept: %v", got)
		}
		if err := p.Drop(ctx, d); err == nil {
			t.Error("Drop of a committed database succeeded")
		}
	})
}
