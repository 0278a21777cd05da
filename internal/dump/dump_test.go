package dump

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/testenv"
)

const fixtureSQL = `
CREATE SCHEMA ai;
CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO public.customers (name) VALUES ('Ann'), ('Bø'), ('Zoë 😀 日本');
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int REFERENCES public.customers(id), amount numeric(10,2));
INSERT INTO public.orders SELECT g, (g % 3) + 1, g * 1.5 FROM generate_series(1, 500) g;
CREATE TABLE ai.documents (id int PRIMARY KEY, body text, embedding real[]);
INSERT INTO ai.documents SELECT g, repeat('ünïcødé ', g % 10), ARRAY[g, g / 2.0, -g]::real[] FROM generate_series(1, 200) g;
`

// A real pg_dump into a local store and into MinIO: committed, sized,
// seekable (independent members and an index equal to a scan), with
// progress from start to commit and no password anywhere.
func TestWriteRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, fixtureSQL)
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) catalog.Store
	}{
		{"local", localStore},
		{"minio", func(t *testing.T) catalog.Store {
			m := testenv.StartMinIO(t)
			opts := m.Options()
			opts.PartSize = 5 << 20
			s, err := catalog.Open(t.Context(), "s3://"+m.CreateBucket(t)+"/backups", opts)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := tc.store(t)
			var mu sync.Mutex
			var events []Event
			cfg := Config{PgDump: pg.Bin("pg_dump"), Time: fixedTime,
				Progress: ProgressFunc(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })}
			key := catalog.SnapshotKey("abcd1234", fixedTime)
			res, err := Write(t.Context(), cfg, Source{Ref: "abcd1234", DatabaseURL: dumptest.WithPassword(url)}, store, key)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Committed || res.Key != key || res.IndexErr != nil || res.RawBytes <= res.CompressedBytes {
				t.Fatalf("result %+v", res)
			}
			obj, err := store.Stat(t.Context(), key)
			if err != nil || obj.Size != res.CompressedBytes {
				t.Fatalf("stat = %+v, %v; wrote %d", obj, err, res.CompressedBytes)
			}
			assertSeekableSnapshot(t, store, key, 7)
			mu.Lock()
			defer mu.Unlock()
			var stages []string
			for _, e := range events {
				stages = append(stages, e.Stage)
				dumptest.AssertNoSecret(t, "progress", fmt.Sprint(e))
			}
			if got := strings.Join(stages, ","); got != "connect,dump,verify,upload" {
				t.Errorf("progress stages %s", got)
			}
		})
	}
}

// Prepare refuses a bad level, ref or connection string without running
// anything, at StageConfig, without the password.
func TestPrepare(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		src  Source
		want string
	}{
		{"level", Config{Level: 10}, Source{Ref: "p1"}, "gzip level 10 is out of range"},
		{"ref", Config{}, Source{Ref: "../p1"}, "p1"},
		{"url", Config{}, Source{Ref: "p1", DatabaseURL: "postgres://u:" + secret + "@h:notaport/db"}, "not a valid postgres:// URL"},
		{"keyword-value", Config{}, Source{Ref: "p1", DatabaseURL: "host=h password='" + secret}, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare(tc.cfg, tc.src)
			var de *Error
			if !errors.As(err, &de) || de.Stage != StageConfig || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a config error saying %q", err, tc.want)
			}
			dumptest.AssertNoSecret(t, "error", err.Error())
		})
	}
	j, err := Prepare(Config{Env: []string{"PGPASSWORD=envpw123"}}, Source{Ref: "p1", DatabaseURL: "postgres://u:" + secret + "@h/db"})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Scrub("dial postgres://u:" + secret + "@h/db with envpw123 and " + secret); strings.Contains(got, secret) || strings.Contains(got, "envpw123") {
		t.Errorf("Scrub left a password: %s", got)
	}
}

// A Source never prints its database URL.
func TestSourceHidesURL(t *testing.T) {
	src := Source{Ref: "p1", DatabaseURL: "postgres://u:" + secret + "@h/db"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "source", src)
	dumptest.AssertNoSecret(t, "formatted source", fmt.Sprint(src), fmt.Sprintf("%v %+v %#v %s", src, src, src, src), b.String())
}

// A failed dump stores nothing and says where it failed: a pg_dump that
// cannot be run, one that cannot connect, one that writes no trailer, and
// one that writes too little.
func TestWriteFailures(t *testing.T) {
	trailer := `printf '\n--\n-- PostgreSQL database dump complete\n--\n'`
	for _, tc := range []struct {
		name, pgDump, stage, want string
	}{
		{"missing binary", "/nonexistent/pg_dump", StageDump, "install the PostgreSQL client"},
		{"connect", "echo 'pg_dump: error: connection to server at \"h\" failed: password authentication failed' >&2; exit 1", StageConnect, "could not connect"},
		{"no trailer", "head -c 5000 /dev/zero | tr '\\0' x", StageVerify, "does not end with"},
		{"too small", trailer, StageVerify, "treated as a silent failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pgDump := tc.pgDump
			if !strings.HasPrefix(pgDump, "/") {
				pgDump = dumptest.FakePgDump(t, pgDump+"\n")
			}
			store := localStore(t)
			key := catalog.SnapshotKey("p1", fixedTime)
			res, err := Write(t.Context(), Config{PgDump: pgDump}, Source{Ref: "p1", DatabaseURL: "postgres://u:" + secret + "@h/db"}, store, key)
			var de *Error
			if !errors.As(err, &de) || de.Stage != tc.stage || !strings.Contains(err.Error(), tc.want) || res.Committed {
				t.Fatalf("err %v (committed %v), want stage %s saying %q", err, res.Committed, tc.stage, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "backup of project p1: ") {
				t.Errorf("error does not name the project: %v", err)
			}
			dumptest.AssertNoSecret(t, "error", err.Error())
			if keys := listKeys(t, store); len(keys) != 0 {
				t.Errorf("store holds %v", keys)
			}
		})
	}
}

// A key already taken keeps the snapshot there and wraps catalog.ErrExists.
func TestWriteExclusive(t *testing.T) {
	script := "head -c 5000 /dev/urandom | base64\nprintf '\\n--\\n-- PostgreSQL database dump complete\\n--\\n'\n"
	cfg := Config{PgDump: dumptest.FakePgDump(t, script), Time: fixedTime}
	store := localStore(t)
	key := catalog.SnapshotKey("p1", fixedTime)
	if _, err := Write(t.Context(), cfg, Source{Ref: "p1"}, store, key); err != nil {
		t.Fatal(err)
	}
	res, err := Write(t.Context(), cfg, Source{Ref: "p1"}, store, key)
	if !errors.Is(err, catalog.ErrExists) || res.Committed || !strings.Contains(err.Error(), "20260314T150926Z") {
		t.Fatalf("second write: %v (committed %v), want ErrExists naming the time", err, res.Committed)
	}
}

// A table locked by someone else fails the dump after LockWaitTimeout with
// an error wrapping ErrLockWait, instead of waiting.
func TestWriteLockWait(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, fixtureSQL)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), "LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	store := localStore(t)
	start := time.Now()
	_, err = Write(t.Context(), Config{PgDump: pg.Bin("pg_dump"), LockWaitTimeout: 500 * time.Millisecond},
		Source{Ref: "locked", DatabaseURL: url}, store, catalog.SnapshotKey("locked", fixedTime))
	var de *Error
	if !errors.Is(err, ErrLockWait) || !errors.As(err, &de) || de.Stage != StageDump {
		t.Fatalf("err %v, want a dump failure wrapping ErrLockWait", err)
	}
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("dump took %v to give up", elapsed)
	}
	if keys := listKeys(t, store); len(keys) != 0 {
		t.Errorf("store holds %v", keys)
	}
}
