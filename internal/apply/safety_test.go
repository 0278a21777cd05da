package apply

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

const safetyFixture = `
CREATE TABLE public.orders (id serial PRIMARY KEY, amount numeric(10,2), note text);
INSERT INTO public.orders (amount, note) SELECT g * 1.5, E'tab\there ' || g FROM generate_series(1, 200) g;
CREATE TABLE public.events (id bigint PRIMARY KEY, body jsonb);
INSERT INTO public.events SELECT g, jsonb_build_object('g', g, 's', E'a\nb') FROM generate_series(1, 50) g;
CREATE TABLE public.untouched (x int);
INSERT INTO public.untouched VALUES (1);
`

// safetyRun is a run of an overwrite of project proj1 on the database at
// url (with a password added), collecting its events.
func safetyRun(t *testing.T, pg *testenv.Postgres, url string, store catalog.Store) (*run, func() []Event) {
	t.Helper()
	var mu sync.Mutex
	var events []Event
	r := &run{
		cfg: Config{Store: store, PgDump: pg.Bin("pg_dump"), Now: func() time.Time { return auditTime },
			Progress: ProgressFunc(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })},
		req: Request{Mode: Overwrite, Project: "proj1", Target: strings.Replace(url, "postgres://postgres@", "postgres://postgres:"+safetySecret+"@", 1)},
		rec: &Record{ID: "id1"},
	}
	if !strings.Contains(r.req.Target, safetySecret) {
		t.Fatalf("no password put into %s", Redact(url))
	}
	return r, func() []Event { mu.Lock(); defer mu.Unlock(); return slices.Clone(events) }
}

// safetySecret is the password of the safety tests' targets (trust auth
// ignores it).
const safetySecret = "safetyS3cret"

// safetyLockAndExport opens the restore's transaction as overwrite does: locks
// tables against writers and exports its snapshot.
func safetyLockAndExport(t *testing.T, url string, lock ...string) (pgx.Tx, string) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	for _, table := range lock {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
	}
	var snap string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
		t.Fatal(err)
	}
	return tx, snap
}

// The safety snapshot holds the tables as the restore's transaction saw
// them at the export, even a table another session changed since, and it
// restores with psql to the same rows.
func TestSafetySnapshot(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, safetyFixture)
	store, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, events := safetyRun(t, pg, url, store)
	tables := []extract.Name{{Schema: "public", Name: "orders"}, {Schema: "public", Name: "events"}}

	_, snap := safetyLockAndExport(t, url, "public.orders")
	want := map[string]string{}
	for _, tb := range []string{"public.orders", "public.events"} {
		want[tb] = pg.TableChecksum(t, db, tb)
	}
	// Another session changes the table the transaction did not lock.
	pg.Exec(t, db, `DELETE FROM public.events WHERE id <= 10; UPDATE public.events SET body = '{}' WHERE id = 20;
		INSERT INTO public.events SELECT g, '{"late": true}' FROM generate_series(100, 120) g`)
	if pg.TableChecksum(t, db, "public.events") == want["public.events"] {
		t.Fatal("public.events did not change")
	}

	key, err := r.safety(t.Context(), snap, tables)
	if err != nil {
		t.Fatalf("safety: %v", err)
	}
	if want := catalog.SafetyKey("proj1", auditTime, "id1"); key != want {
		t.Errorf("key %q, want %q", key, want)
	}
	if got := storetest.Keys(t, store, ""); !slices.Equal(got, []string{key, key + catalog.IndexSuffix}) {
		t.Errorf("store holds %q, want the safety snapshot and its index", got)
	}
	obj, err := store.Stat(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := extract.LoadIndex(t.Context(), store, key, obj); err != nil {
		t.Errorf("index of the safety snapshot: %v", err)
	}

	// Restore it, as the runbook would, into an empty database.
	path := filepath.Join(t.TempDir(), "safety.sql.gz")
	rc, err := store.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	restored, _ := pg.CreateDatabase(t)
	pg.LoadScript(t, restored, path)
	if got := pg.Tables(t, restored); !slices.Equal(got, []string{"public.events", "public.orders"}) {
		t.Errorf("the safety snapshot restores tables %q, want public.events and public.orders", got)
	}
	for tb, sum := range want {
		if got := pg.TableChecksum(t, restored, tb); got != sum {
			t.Errorf("%s restored from the safety snapshot: %s, want %s (its state at the export)", tb, got, sum)
		}
	}

	evs := events()
	if len(evs) < 2 || evs[0].Phase != PhaseSafety || !strings.Contains(evs[len(evs)-1].Message, "safety snapshot written") {
		t.Errorf("events %+v", evs)
	}
	for _, e := range evs {
		if e.Phase != PhaseSafety || strings.Contains(e.Message, safetySecret) {
			t.Errorf("event %+v", e)
		}
	}
}

// A safety snapshot that cannot be written is an error saying nothing was
// changed, without the password; nothing is left in the store. With no
// tables there is nothing to keep.
func TestSafetySnapshotErrors(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, safetyFixture)
	orders := []extract.Name{{Schema: "public", Name: "orders"}}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	cases := []struct {
		name     string
		pgDump   string
		snapshot string
		tables   []extract.Name
		ctx      context.Context
		want     string
		is       error
	}{
		{"no pg_dump", "/nonexistent/pg_dump", "", orders, t.Context(), "install the PostgreSQL client", nil},
		{"unknown snapshot", "", "00000003-0000001B-1", orders, t.Context(), "snapshot", nil},
		{"missing table", "", "", []extract.Name{{Schema: "public", Name: "Orders"}}, t.Context(), "Orders", nil},
		{"cancelled", "", "", orders, cancelled, "cancelled", context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store, err := catalog.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			r, _ := safetyRun(t, pg, url, store)
			if c.pgDump != "" {
				r.cfg.PgDump = c.pgDump
			}
			key, err := r.safety(c.ctx, c.snapshot, c.tables)
			if err == nil {
				t.Fatalf("safety = %q, want an error", key)
			}
			msg := err.Error()
			if key != "" || !strings.HasPrefix(msg, "write the safety snapshot of ") || !strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, c.want) {
				t.Errorf("safety = %q, %v; want an error about %q", key, err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v does not wrap %v", err, c.is)
			}
			if strings.Contains(msg, safetySecret) {
				t.Errorf("the password appears in %v", err)
			}
			if got := storetest.Keys(t, store, ""); len(got) != 0 {
				t.Errorf("a failed safety snapshot left %q", got)
			}
		})
	}

	t.Run("no tables", func(t *testing.T) {
		store, err := catalog.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r, _ := safetyRun(t, pg, url, store)
		if key, err := r.safety(t.Context(), "", nil); key != "" || err != nil {
			t.Errorf("safety of no tables = %q, %v", key, err)
		}
		if got := storetest.Keys(t, store, ""); len(got) != 0 {
			t.Errorf("store holds %q", got)
		}
	})
}
