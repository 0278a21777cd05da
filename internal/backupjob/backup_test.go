package backupjob

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

const fixtureSQL = `
CREATE SCHEMA ai;
CREATE SEQUENCE public.order_seq START 1000;
CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL, note text);
INSERT INTO public.customers (name, note) VALUES
  ('Ann', E'tab\there'), ('Bø', E'line1\nline2\r\n'), ('Zoë 😀 日本', NULL),
  ('back\slash', '"quotes" and ''single'''), ('copy-special', E'\\.\n\\N');
CREATE TABLE public.orders (
  id bigint PRIMARY KEY DEFAULT nextval('public.order_seq'),
  customer_id int REFERENCES public.customers(id),
  amount numeric(10,2), created_at timestamptz);
INSERT INTO public.orders (customer_id, amount, created_at)
  SELECT (g % 5) + 1, g * 1.5, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour'
  FROM generate_series(1, 500) g;
CREATE TABLE ai.documents (id int PRIMARY KEY, body text, embedding real[], meta jsonb);
INSERT INTO ai.documents
  SELECT g, repeat('ünïcødé ', g % 10) || E'\t' || g, ARRAY[g, g / 2.0, -g]::real[], jsonb_build_object('g', g, 's', E'a\nb')
  FROM generate_series(1, 200) g;
SELECT setval('public.order_seq', 5000);
`

var fixtureTables = []string{"public.customers", "public.orders", "ai.documents"}

// tableDigests returns each fixture table's row count and content digest,
// and the sequence's state.
func tableDigests(t *testing.T, pg *testenv.Postgres, db string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range fixtureTables {
		out[tbl] = query(t, pg, db, fmt.Sprintf(
			"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM %s t", tbl))
	}
	out["order_seq"] = query(t, pg, db, "SELECT last_value || ':' || is_called FROM public.order_seq")
	return out
}

func TestBackupRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, fixtureSQL)
	want := tableDigests(t, pg, db)
	if !strings.HasPrefix(want["public.orders"], "500:") {
		t.Fatalf("fixture not loaded: %v", want)
	}

	for _, tc := range []struct {
		name  string
		store func(t *testing.T) catalog.Store
		dsn   string
	}{
		{"local/url", localStore, dumptest.WithPassword(url)},
		{"minio/url", func(t *testing.T) catalog.Store { s, _, _ := minioStore(t); return s }, dumptest.WithPassword(url)},
		{"local/keyword-value", localStore, fmt.Sprintf("host=%s port=%d user=%s dbname=%s password='%s' sslmode=disable", pg.Host, pg.Port, pg.User, db, secret)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := tc.store(t)
			var logs logBuffer
			var mu sync.Mutex
			var events []Event
			cfg := Config{
				Store:    store,
				PgDump:   pg.Bin("pg_dump"),
				Logger:   newLogger(&logs),
				Now:      func() time.Time { return fixedTime },
				Progress: ProgressFunc(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }),
			}
			res := BackupProject(t.Context(), cfg, Project{Ref: "abcd1234", DatabaseURL: tc.dsn})
			if res.Err != nil {
				t.Fatalf("backup failed at %s: %v", res.Stage, res.Err)
			}
			wantKey := "abcd1234/20260314T150926Z.sql.gz"
			if res.Key != wantKey || res.Stage != StageDone {
				t.Fatalf("key, stage = %q, %q; want %q, done", res.Key, res.Stage, wantKey)
			}
			if keys := listKeys(t, store); len(keys) != 2 || keys[0] != wantKey || keys[1] != wantKey+catalog.IndexSuffix {
				t.Fatalf("store holds %v, want [%s and its index]", keys, wantKey)
			}
			obj, err := store.Stat(t.Context(), wantKey)
			if err != nil || obj.Size != res.CompressedBytes || res.RawBytes <= res.CompressedBytes {
				t.Fatalf("stat = %+v, %v; result raw %d compressed %d", obj, err, res.RawBytes, res.CompressedBytes)
			}

			// An index beside it that matches the object (package dump's
			// tests check its members and contents against a scan).
			if ix, err := extract.LoadIndex(t.Context(), store, wantKey, obj); err != nil || ix.Snapshot.Key != wantKey || ix.Snapshot.Size != obj.Size || len(ix.Members) < 7 {
				t.Errorf("index of %s: %v", wantKey, err)
			}
			if lines := logs.lines(t); len(lines) != 1 || lines[0]["indexed"] != true || lines[0]["level"] != "INFO" {
				t.Errorf("log = %s", logs.String())
			}

			restored := restore(t, pg, store, wantKey)
			got := tableDigests(t, pg, restored)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: restored %q, want %q", k, got[k], v)
				}
			}

			lines := logs.lines(t)
			if len(lines) != 1 || lines[0]["msg"] != "backup ok" || lines[0]["project"] != "abcd1234" ||
				lines[0]["key"] != wantKey || lines[0]["stage"] != StageDone ||
				lines[0]["compressed_bytes"] != float64(res.CompressedBytes) || lines[0]["raw_bytes"] != float64(res.RawBytes) {
				t.Errorf("log = %s", logs.String())
			}
			if _, ok := lines[0]["duration_ms"]; !ok {
				t.Errorf("log has no duration_ms: %s", logs.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(events) < 2 || events[0].Stage != StageConnect || !events[len(events)-1].Done ||
				events[len(events)-1].RawBytes != res.RawBytes {
				t.Errorf("progress events = %+v", events)
			}
			dumptest.AssertNoSecret(t, "log", logs.String())
			for _, e := range events {
				dumptest.AssertNoSecret(t, "progress", fmt.Sprint(e))
			}
		})
	}
}

func TestBackupEmptyURLUsesRefAsDatabase(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, _ := pg.CreateDatabase(t)
	pg.Exec(t, db, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)")
	store := localStore(t)
	cfg := Config{
		Store:  store,
		PgDump: pg.Bin("pg_dump"),
		Env:    []string{"PGHOST=" + pg.Host, fmt.Sprintf("PGPORT=%d", pg.Port), "PGUSER=" + pg.User, "PGPASSWORD=" + secret},
	}
	res := BackupProject(t.Context(), cfg, Project{Ref: db})
	if res.Err != nil {
		t.Fatalf("backup: %v", res.Err)
	}
	restored := restore(t, pg, store, res.Key)
	if got := query(t, pg, restored, "SELECT sum(x) FROM t"); got != "55" {
		t.Fatalf("restored sum = %s", got)
	}
}

func TestBackupConnectFailure(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, tc := range []struct {
		name, dsn string
	}{
		{"url", dumptest.WithPassword(pg.URL("no_such_db"))},
		{"keyword-value", fmt.Sprintf("host=%s port=%d user=postgres password=%s dbname=no_such_db", pg.Host, pg.Port, secret)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := localStore(t)
			hook := newWebhook(t)
			var logs logBuffer
			cfg := Config{Store: store, PgDump: pg.Bin("pg_dump"), Webhook: hook.URL, Logger: newLogger(&logs),
				Now: func() time.Time { return fixedTime }}
			res := BackupProject(t.Context(), cfg, Project{Ref: "proj1", DatabaseURL: tc.dsn})
			if res.Err == nil || res.Stage != StageConnect {
				t.Fatalf("stage %q err %v, want connect failure", res.Stage, res.Err)
			}
			if !strings.Contains(res.Err.Error(), `database "no_such_db" does not exist`) || !strings.Contains(res.Err.Error(), "proj1") {
				t.Errorf("error does not say what happened: %v", res.Err)
			}
			if keys := listKeys(t, store); len(keys) != 0 {
				t.Errorf("store holds %v after a failed backup", keys)
			}
			alerts := hook.alerts(t)
			if len(alerts) != 1 {
				t.Fatalf("%d alerts, want 1", len(alerts))
			}
			a := alerts[0]
			if a["project"] != "proj1" || a["stage"] != StageConnect || a["error"] != res.Err.Error() ||
				a["key"] != "proj1/20260314T150926Z.sql.gz" || a["started_at"] != "2026-03-14T15:09:26Z" {
				t.Errorf("alert = %v", a)
			}
			if text, _ := a["text"].(string); !strings.HasPrefix(text, "restorectl backup FAILED for project proj1 at stage connect: ") || strings.Contains(text, "\n") {
				t.Errorf("alert text = %q", text)
			}
			lines := logs.lines(t)
			if len(lines) != 1 || lines[0]["msg"] != "backup failed" || lines[0]["stage"] != StageConnect || lines[0]["error"] != res.Err.Error() {
				t.Errorf("log = %s", logs.String())
			}
			dumptest.AssertNoSecret(t, "error", res.Err.Error())
			dumptest.AssertNoSecret(t, "log", logs.String())
			dumptest.AssertNoSecret(t, "alert", hook.raw())
		})
	}
}

func TestBackupVerifyFailures(t *testing.T) {
	for _, tc := range []struct {
		name, script, wantStage, wantErr string
	}{
		{"tiny dump", "printf -- '--\\n-- PostgreSQL database dump complete\\n--\\n'\n", StageVerify, "less than 100"},
		{"no trailer", "i=0; while [ $i -lt 2000 ]; do echo \"INSERT INTO t VALUES ($i, 'some row text $i');\"; i=$((i+1)); done\n", StageVerify, "does not end with"},
		{"trailer not at end", "echo '-- PostgreSQL database dump complete'; i=0; while [ $i -lt 2000 ]; do echo \"INSERT INTO t VALUES ($i);\"; i=$((i+1)); done\n", StageVerify, "does not end with"},
		{"exit 1 after output", "i=0; while [ $i -lt 2000 ]; do echo \"INSERT INTO t VALUES ($i);\"; i=$((i+1)); done\necho 'pg_dump: error: Dumping the contents of table \"t\" failed: PQgetResult() failed. password=" + secret + "' >&2\nexit 1\n", StageDump, "Dumping the contents"},
		{"not found", "", StageDump, "install the PostgreSQL client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := localStore(t)
			hook := newWebhook(t)
			var logs logBuffer
			pgDump := dumptest.FakePgDump(t, tc.script)
			if tc.script == "" {
				pgDump = "/nonexistent/pg_dump"
			}
			cfg := Config{Store: store, PgDump: pgDump, Webhook: hook.URL, Logger: newLogger(&logs)}
			res := BackupProject(t.Context(), cfg, Project{Ref: "proj1", DatabaseURL: "postgres://u:" + secret + "@localhost/proj1"})
			if res.Stage != tc.wantStage || res.Err == nil || !strings.Contains(res.Err.Error(), tc.wantErr) {
				t.Fatalf("stage %q err %v; want %s containing %q", res.Stage, res.Err, tc.wantStage, tc.wantErr)
			}
			if keys := listKeys(t, store); len(keys) != 0 {
				t.Errorf("store holds %v", keys)
			}
			if a := hook.alerts(t); len(a) != 1 || a[0]["stage"] != tc.wantStage {
				t.Errorf("alerts = %v", a)
			}
			dumptest.AssertNoSecret(t, "error", res.Err.Error())
			dumptest.AssertNoSecret(t, "log", logs.String())
			dumptest.AssertNoSecret(t, "alert", hook.raw())
		})
	}
}

// The fake pg_dump gets the password through PGPASSWORD, not on its command line.
func TestBackupPasswordNotOnCommandLine(t *testing.T) {
	out := t.TempDir() + "/seen"
	script := fmt.Sprintf("echo \"$@\" > %s; echo \"PGPASSWORD=$PGPASSWORD\" >> %s\nhead -c 5000 /dev/zero | tr '\\0' x\nprintf '\\n--\\n-- PostgreSQL database dump complete\\n--\\n\\n\\\\unrestrict abc\\n'\n", out, out)
	for _, dsn := range []string{
		"postgres://u:" + secret + "@db.internal:5432/proj1?sslmode=require",
		"postgresql://u@db.internal/proj1?password=" + secret,
		"host=db.internal user=u password='" + secret + "' dbname=proj1",
	} {
		store := localStore(t)
		res := BackupProject(t.Context(), Config{Store: store, PgDump: dumptest.FakePgDump(t, script)}, Project{Ref: "proj1", DatabaseURL: dsn})
		if res.Err != nil {
			t.Fatalf("%v", res.Err)
		}
		seen := readFile(t, out)
		args, env, _ := strings.Cut(seen, "\n")
		if strings.Contains(args, secret) || !strings.Contains(args, "--dbname=") || !strings.Contains(args, "db.internal") || !strings.Contains(args, "proj1") {
			t.Errorf("pg_dump args: %s", args)
		}
		if strings.TrimSpace(env) != "PGPASSWORD="+secret {
			t.Errorf("pg_dump env: %s", env)
		}
	}
}

func TestBackupCancelled(t *testing.T) {
	store, m, bucket := minioStore(t)
	hook := newWebhook(t)
	var logs logBuffer
	// Writes ~16 MiB of incompressible data (several 5 MiB parts), then hangs.
	pgDump := dumptest.FakePgDump(t, "head -c 16777216 /dev/urandom\nsleep 60\n")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := Config{Store: store, PgDump: pgDump, Webhook: hook.URL, Logger: newLogger(&logs)}
	// Cancel once parts have reached the bucket.
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		for ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			if multipartUploads(t, m, bucket) > 0 {
				time.Sleep(300 * time.Millisecond)
				cancel()
			}
		}
	}()
	start := time.Now()
	res := BackupProject(ctx, cfg, Project{Ref: "proj1", DatabaseURL: "postgres://u:" + secret + "@h/proj1"})
	if time.Since(start) > 30*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	<-watcher
	if res.Stage != StageCancelled || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("stage %q err %v; want cancelled", res.Stage, res.Err)
	}
	if res.CompressedBytes < 5<<20 {
		t.Errorf("cancelled after %d compressed bytes, before a part was uploaded: not a mid-upload cancellation", res.CompressedBytes)
	}
	if keys := listKeys(t, store); len(keys) != 0 {
		t.Errorf("bucket holds %v", keys)
	}
	if n := multipartUploads(t, m, bucket); n != 0 {
		t.Errorf("%d multipart uploads left in the bucket", n)
	}
	if res.Outcome() != OutcomeCancelled || res.Committed {
		t.Errorf("outcome %s, committed %v; want cancelled, nothing stored", res.Outcome(), res.Committed)
	}
	// Reported as cancelled, not failed: the job was stopped, nothing broke.
	if a := hook.alerts(t); len(a) != 1 || a[0]["stage"] != StageCancelled || a[0]["outcome"] != OutcomeCancelled ||
		!strings.HasPrefix(a[0]["text"].(string), "restorectl backup CANCELLED for project proj1: ") {
		t.Errorf("alerts = %v", a)
	}
	if lines := logs.lines(t); len(lines) != 1 || lines[0]["msg"] != "backup cancelled" || lines[0]["outcome"] != OutcomeCancelled {
		t.Errorf("log = %s", logs.String())
	}
	dumptest.AssertNoSecret(t, "log", logs.String())
}

func TestBackupUploadFailure(t *testing.T) {
	dir := t.TempDir()
	// A file where the project's directory should be: the store cannot write.
	if err := os.WriteFile(filepath.Join(dir, "proj1"), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	hook := newWebhook(t)
	pgDump := dumptest.FakePgDump(t, "head -c 3000000 /dev/urandom | od -x\nprintf -- '--\\n-- PostgreSQL database dump complete\\n--\\n'\n")
	res := BackupProject(t.Context(), Config{Store: store, PgDump: pgDump, Webhook: hook.URL}, Project{Ref: "proj1", DatabaseURL: "postgres://u:" + secret + "@h/db"})
	if res.Stage != StageUpload || res.Err == nil || !strings.Contains(res.Err.Error(), store.String()) {
		t.Fatalf("stage %s err %v; want upload failure naming the store", res.Stage, res.Err)
	}
	if a := hook.alerts(t); len(a) != 1 || a[0]["stage"] != StageUpload {
		t.Errorf("alerts = %v", a)
	}
	dumptest.AssertNoSecret(t, "error", res.Err.Error())
}

// A table locked by someone else fails the backup after LockWaitTimeout,
// with a message saying so, instead of stalling until the job's deadline.
func TestBackupLockWaitTimeout(t *testing.T) {
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
	cfg := Config{Store: store, PgDump: pg.Bin("pg_dump"), LockWaitTimeout: 500 * time.Millisecond}
	res := BackupProject(t.Context(), cfg, Project{Ref: "locked", DatabaseURL: url})
	if res.OK() || res.Stage != StageDump || !strings.Contains(res.Err.Error(), "locked by another session") || !errors.Is(res.Err, dump.ErrLockWait) {
		t.Fatalf("stage %q, err %v: want a dump failure explaining the lock", res.Stage, res.Err)
	}
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("backup took %v to give up", elapsed)
	}
	if keys := listKeys(t, store); len(keys) != 0 {
		t.Errorf("store holds %v", keys)
	}
}

// failIndexStore refuses to create sidecar indexes.
type failIndexStore struct{ catalog.Store }

func (s failIndexStore) Create(ctx context.Context, key string) (catalog.ObjectWriter, error) {
	if strings.HasSuffix(key, catalog.IndexSuffix) {
		return nil, errors.New("injected failure")
	}
	return s.Store.Create(ctx, key)
}

// A failure to write the index leaves a valid snapshot and a successful
// backup, whose log line (a warning) says so.
func TestBackupIndexFailure(t *testing.T) {
	dumpFile := filepath.Join(t.TempDir(), "dump.sql")
	var text strings.Builder
	text.WriteString("--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.t (id integer);\n\nCOPY public.t (id) FROM stdin;\n")
	for i := range 2000 {
		fmt.Fprintf(&text, "%d\n", i)
	}
	text.WriteString("\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n")
	if err := os.WriteFile(dumpFile, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	store := localStore(t)
	var logs logBuffer
	cfg := Config{Store: failIndexStore{store}, PgDump: dumptest.FakePgDump(t, "cat "+dumpFile+"\n"), Logger: newLogger(&logs)}
	res := BackupProject(t.Context(), cfg, Project{Ref: "proj1"})
	if res.Err != nil || res.IndexErr == nil {
		t.Fatalf("err %v, index err %v", res.Err, res.IndexErr)
	}
	if keys := listKeys(t, store); len(keys) != 1 || keys[0] != res.Key {
		t.Errorf("store holds %v", keys)
	}
	lines := logs.lines(t)
	if len(lines) != 1 || lines[0]["msg"] != "backup ok" || lines[0]["level"] != "WARN" || lines[0]["indexed"] != false ||
		!strings.Contains(fmt.Sprint(lines[0]["index_error"]), "injected failure") {
		t.Errorf("log = %s", logs.String())
	}
}
