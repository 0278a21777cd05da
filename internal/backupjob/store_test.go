package backupjob

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/testenv"
)

// smallDump is a fake pg_dump writing a small but complete dump that
// carries $MARK, so that tests can tell two snapshots apart.
const smallDump = "echo \"-- written by $MARK\"\nhead -c 3000 /dev/urandom | od -x\nprintf -- '--\\n-- PostgreSQL database dump complete\\n--\\n'\n"

// stores are the store kinds every test here runs against.
var stores = []struct {
	name string
	new  func(t *testing.T) catalog.Store
}{
	{"local", localStore},
	{"minio", func(t *testing.T) catalog.Store { s, _, _ := minioStore(t); return s }},
}

// snapshotText reads a snapshot and gunzips it.
func snapshotText(t *testing.T, s catalog.Store, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatalf("gunzip %s: %v", key, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip %s: %v", key, err)
	}
	return string(b)
}

// Two backups of one project in the same second have the same key: the
// second is refused, saying why, and the first's snapshot (and index)
// stay as they were; also when both commit at once.
func TestBackupSameSecond(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.new(t)
			hook := newWebhook(t)
			cfg := Config{Store: store, PgDump: dumptest.FakePgDump(t, smallDump), Webhook: hook.URL,
				Now: func() time.Time { return fixedTime }}
			first := cfg
			first.Env = []string{"MARK=first"}
			r1 := BackupProject(t.Context(), first, Project{Ref: "proj1"})
			if !r1.OK() {
				t.Fatalf("first backup: %v", r1.Err)
			}
			before, err := store.Stat(t.Context(), r1.Key)
			if err != nil {
				t.Fatal(err)
			}
			keys := listKeys(t, store)

			second := cfg
			second.Env = []string{"MARK=second"}
			r2 := BackupProject(t.Context(), second, Project{Ref: "proj1"})
			if r2.OK() || r2.Stage != StageUpload || r2.Committed || r2.Key != r1.Key {
				t.Fatalf("second backup: stage %s, committed %v, err %v; want a refusal at the same key", r2.Stage, r2.Committed, r2.Err)
			}
			want := "a snapshot of project proj1 for 20260314T150926Z already exists at " + r1.Key
			if !strings.Contains(r2.Err.Error(), want) || !errors.Is(r2.Err, catalog.ErrExists) {
				t.Errorf("second backup: %v; want an error containing %q", r2.Err, want)
			}
			after, err := store.Stat(t.Context(), r1.Key)
			if err != nil || after.Size != before.Size || after.ETag != before.ETag || !after.ModTime.Equal(before.ModTime) {
				t.Errorf("first snapshot changed: %+v, %v; was %+v", after, err, before)
			}
			if text := snapshotText(t, store, r1.Key); !strings.Contains(text, "written by first") {
				t.Errorf("the snapshot is not the first backup's:\n%.100s", text)
			}
			if after := listKeys(t, store); !reflect.DeepEqual(after, keys) {
				t.Errorf("store holds %v, held %v before the second backup", after, keys)
			}
			if a := hook.alerts(t); len(a) != 1 || a[0]["outcome"] != OutcomeFailed {
				t.Errorf("alerts = %v, want one for the refused backup", a)
			}

			// Racing: both dump at once, and exactly one commits.
			var wg sync.WaitGroup
			rs := make([]Result, 2)
			for i, mark := range []string{"racer0", "racer1"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := cfg
					c.Env, c.Webhook = []string{"MARK=" + mark}, ""
					rs[i] = BackupProject(t.Context(), c, Project{Ref: "proj2"})
				}()
			}
			wg.Wait()
			if rs[0].OK() == rs[1].OK() {
				t.Fatalf("racing backups: ok %v and %v (%v, %v); want exactly one ok", rs[0].OK(), rs[1].OK(), rs[0].Err, rs[1].Err)
			}
			winner, loser := rs[0], rs[1]
			mark := "racer0"
			if !winner.OK() {
				winner, loser, mark = rs[1], rs[0], "racer1"
			}
			if !strings.Contains(loser.Err.Error(), "already exists") {
				t.Errorf("losing racer: %v", loser.Err)
			}
			if text := snapshotText(t, store, winner.Key); !strings.Contains(text, "written by "+mark) {
				t.Errorf("the snapshot is not the winner's (%s)", mark)
			}
		})
	}
}

// faultStore is a real store with failures injected after the snapshot's
// commit: a hook run right after it, and a Stat answer rewritten.
type faultStore struct {
	catalog.Store
	afterCommit func()
	stat        func(catalog.Object, error) (catalog.Object, error)
}

func (s faultStore) CreateExclusive(ctx context.Context, key string) (catalog.ObjectWriter, error) {
	w, err := s.Store.CreateExclusive(ctx, key)
	if err != nil || s.afterCommit == nil {
		return w, err
	}
	return hookedWriter{ObjectWriter: w, after: s.afterCommit}, nil
}

func (s faultStore) Stat(ctx context.Context, key string) (catalog.Object, error) {
	o, err := s.Store.Stat(ctx, key)
	if s.stat != nil {
		return s.stat(o, err)
	}
	return o, err
}

type hookedWriter struct {
	catalog.ObjectWriter
	after func()
}

func (w hookedWriter) Commit() error {
	err := w.ObjectWriter.Commit()
	if err == nil {
		w.after()
	}
	return err
}

// Once the snapshot is committed, nothing that fails or is cancelled
// afterwards deletes it: the result says it was kept.
func TestBackupKeepsCommittedSnapshot(t *testing.T) {
	tests := []struct {
		name      string
		fault     func(cancel context.CancelFunc) faultStore
		wantStage string
		wantErr   string
	}{
		{"cancelled right after commit", func(cancel context.CancelFunc) faultStore {
			return faultStore{afterCommit: cancel} // SIGTERM as Commit returns
		}, StageCancelled, "cancelled after snapshot proj1/20260314T150926Z.sql.gz was stored"},
		{"check fails", func(context.CancelFunc) faultStore {
			return faultStore{stat: func(catalog.Object, error) (catalog.Object, error) {
				return catalog.Object{}, errors.New("injected: connection reset by peer")
			}}
		}, StageVerify, "was kept, but checking it failed: injected: connection reset by peer"},
		{"size differs", func(context.CancelFunc) faultStore {
			return faultStore{stat: func(o catalog.Object, err error) (catalog.Object, error) {
				o.Size++
				return o, err
			}}
		}, StageVerify, "it was kept, not deleted"},
	}
	for _, st := range stores {
		for _, tt := range tests {
			t.Run(st.name+"/"+tt.name, func(t *testing.T) {
				store := st.new(t)
				hook := newWebhook(t)
				var logs logBuffer
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				fs := tt.fault(cancel)
				fs.Store = store
				cfg := Config{Store: fs, PgDump: dumptest.FakePgDump(t, smallDump), Webhook: hook.URL, Logger: newLogger(&logs),
					Now: func() time.Time { return fixedTime }}
				res := BackupProject(ctx, cfg, Project{Ref: "proj1"})
				if res.OK() || res.Stage != tt.wantStage || !res.Committed || !strings.Contains(res.Err.Error(), tt.wantErr) {
					t.Fatalf("stage %s, committed %v, err %v; want stage %s, committed, an error containing %q",
						res.Stage, res.Committed, res.Err, tt.wantStage, tt.wantErr)
				}
				obj, err := store.Stat(t.Context(), res.Key)
				if err != nil || obj.Size != res.CompressedBytes {
					t.Fatalf("snapshot after the failed check: %+v, %v; want it kept, %d bytes", obj, err, res.CompressedBytes)
				}
				if text := snapshotText(t, store, res.Key); !strings.HasSuffix(text, "-- PostgreSQL database dump complete\n--\n") {
					t.Errorf("kept snapshot is incomplete: ...%q", text[max(0, len(text)-80):])
				}
				a := hook.alerts(t)
				if len(a) != 1 || a[0]["committed"] != true || a[0]["stage"] != tt.wantStage {
					t.Errorf("alerts = %v", a)
				}
				if lines := logs.lines(t); len(lines) != 1 || lines[0]["committed"] != true {
					t.Errorf("log = %s", logs.String())
				}
			})
		}
	}
}

// A backup sweeps the hidden partial files that killed writes left in its
// project's directory more than a day ago; recent ones (a write that may
// still be running) and other projects' are left alone.
func TestBackupSweepsPartialFiles(t *testing.T) {
	dir := t.TempDir()
	store, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-catalog.PartialMaxAge - time.Hour)
	files := map[string]bool{ // path → swept
		"proj1/.20260312T020000Z.sql.gz.partial-1111":                true,
		"proj1/pre-restore/.20260312T020000Z-r1.sql.gz.partial-2222": true,
		"proj1/.20260314T020000Z.sql.gz.partial-3333":                false, // fresh
		"proj2/.20260312T020000Z.sql.gz.partial-4444":                false, // another project
		"proj1/.hidden":                 false, // not a partial write
		"proj1/20260301T020000Z.sql.gz": false, // a snapshot
		"proj1/.20260312T020000Z.sql.gz.index.json.partial-5555":             true,
		"proj1/audit/.20260312T020000Z-r1.json.partial-6666":                 true,
		"proj1-x/.20260312T020000Z.sql.gz.partial-7777":                      false, // a project whose ref starts alike
		"proj1/pre-restore/.20260314T020000Z-r2.sql.gz.index.json.partial-8": false, // fresh
	}
	for name := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("left behind"), 0o644); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(name, "20260314") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	var logs logBuffer
	cfg := Config{Store: store, PgDump: dumptest.FakePgDump(t, smallDump), Logger: newLogger(&logs), Now: func() time.Time { return fixedTime }}
	res := BackupProject(t.Context(), cfg, Project{Ref: "proj1"})
	if !res.OK() || res.SweepErr != nil {
		t.Fatalf("backup: %v, sweep: %v", res.Err, res.SweepErr)
	}
	if res.Swept != 4 {
		t.Errorf("Swept = %d, want 4", res.Swept)
	}
	for name, swept := range files {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if swept && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: not swept (%v)", name, err)
		}
		if !swept && err != nil {
			t.Errorf("%s: %v, want it kept", name, err)
		}
	}
	if lines := logs.lines(t); len(lines) != 1 || lines[0]["swept_partial"] != float64(4) {
		t.Errorf("log = %s", logs.String())
	}
}

// An S3 endpoint that freezes mid-upload (SIGSTOP: connections stay open,
// nothing answers) fails the backup within a bounded time, saying it timed
// out, and reports that aborting the multipart upload failed too, rather
// than hanging until the job is killed.
func TestBackupFrozenS3(t *testing.T) {
	m := testenv.StartPrivateMinIO(t)
	bucket := m.CreateBucket(t)
	opts := m.Options()
	opts.PartSize = 5 << 20
	opts.S3DialTimeout = 2 * time.Second
	opts.S3IdleTimeout = time.Second
	opts.S3RequestTimeout = 2 * time.Second
	store, err := catalog.Open(t.Context(), "s3://"+bucket+"/backups", opts)
	if err != nil {
		t.Fatal(err)
	}
	hook := newWebhook(t)
	// 256 MiB of incompressible dump: far more than the socket buffers hold.
	pgDump := dumptest.FakePgDump(t, "head -c 268435456 /dev/urandom\nprintf -- '\\n--\\n-- PostgreSQL database dump complete\\n--\\n'\n")
	cfg := Config{Store: store, PgDump: pgDump, Webhook: hook.URL, Now: func() time.Time { return fixedTime }}

	done := make(chan Result, 1)
	start := time.Now()
	go func() { done <- BackupProject(t.Context(), cfg, Project{Ref: "proj1"}) }()
	// Freeze once the multipart upload has begun.
	for multipartUploads(t, m, bucket) == 0 {
		if time.Since(start) > time.Minute {
			t.Fatal("no multipart upload began within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Freeze(t)
	var res Result
	select {
	case res = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("backup still hanging 2 minutes after S3 froze") // the cleanup thaws MinIO, which ends it
	}
	// A bound on hang detection (3 attempts of 1 s idle, backoff, a 2 s
	// abort), not a benchmark.
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("backup gave up %v after it started; want within 30s of S3 freezing", elapsed)
	}
	if res.OK() || res.Stage != StageUpload || res.Committed {
		t.Fatalf("stage %s, committed %v, err %v; want an upload failure", res.Stage, res.Committed, res.Err)
	}
	msg := res.Err.Error()
	for _, want := range []string{"timeout", "discarding the upload failed too", "abort upload"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if errors.Is(res.Err, context.Canceled) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want a one-line failure, not a cancellation", msg)
	}
	if a := hook.alerts(t); len(a) != 1 || a[0]["outcome"] != OutcomeFailed || !bytes.Contains([]byte(a[0]["error"].(string)), []byte("abort upload")) {
		t.Errorf("alerts = %v", a)
	}
	m.Thaw(t)
	if keys := listKeys(t, store); len(keys) != 0 {
		t.Errorf("store holds %v after a failed upload", keys)
	}
}
