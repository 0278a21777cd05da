package dump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// DefaultLevel is the gzip level used when Config.Level is 0.
//
// Measured on a 318 MB plain pg_dump (pgbench -s 10 + 20k rows of 384-dim
// real[] embeddings + 100k text/jsonb documents), on 2 CPUs, against
// `gzip -6` (43.56 MB; `pg_dump | gzip -6` takes 6.4 s, pg_dump alone 1.1 s).
// Compression alone (pgzip, 1 MiB blocks, 4 blocks):
//
//	level 1: 44.57 MB (1.023×) 1.27 s
//	level 2: 43.98 MB (1.010×) 1.04 s
//	level 3: 43.58 MB (1.000×) 1.89 s
//	level 4: 45.79 MB (1.051×) 1.73 s
//	level 5: 44.61 MB (1.024×) 2.53 s
//	level 6: 44.39 MB (1.019×) 4.23 s
//
// A whole daily backup (backupjob.BackupProject) into a local store: level 1
// 1.10 s (22 MB peak RSS), level 2 1.06 s (24 MB), level 3 1.09 s (30 MB),
// i.e. 0.17× the gzip -6 pipeline, bound by pg_dump itself. BenchmarkCompress
// on synthetic dump text: level 1 479 MB/s, 2 492 MB/s, 3 402 MB/s, 6 234 MB/s.
//
// Level 2 is the fastest that stays well within 1.05× of gzip -6's size.
const DefaultLevel = 2

// MinDumpSize is the smallest compressed dump accepted: the platform treats
// anything smaller as a silent failure.
const MinDumpSize = 100

// dumpTrailer ends every complete plain-format pg_dump (newer versions may
// follow it with a "\unrestrict <key>" line).
const dumpTrailer = "-- PostgreSQL database dump complete\n"

const (
	tailSize    = 4 << 10 // how much of the dump's end is kept to find the trailer
	stderrSize  = 8 << 10 // how much of pg_dump's stderr is kept
	stderrLines = 5       // how many of its last lines go into errors
	blockSize   = 1 << 20 // pgzip block size
	waitDelay   = 10 * time.Second
)

// ErrLockWait is wrapped by the error of a dump whose pg_dump gave up
// waiting for a table lock (Config.LockWaitTimeout).
var ErrLockWait = errors.New("lock wait timeout")

// Config says how to run pg_dump and compress what it writes. The zero
// value works: pg_dump from PATH, an empty environment, DefaultLevel, no
// lock wait timeout, no progress.
type Config struct {
	// PgDump is the pg_dump binary; "" means "pg_dump", looked up in PATH.
	// It must be at least the server's major version.
	PgDump string
	// Env is pg_dump's whole environment (the CLI passes os.Environ(), so
	// PGHOST, PGUSER, PGSSLMODE, ... work). nil means an empty environment:
	// this package never reads the process's environment itself. A
	// PGPASSWORD in it is scrubbed from every error like the URL's password.
	Env []string
	// Level is the gzip level, 1 (fastest) to 9 (smallest); 0 means DefaultLevel.
	// A dump holds up to about 2.5 MiB × min(max(2×GOMAXPROCS, 4), 32) of
	// compression buffers plus what the store buffers.
	Level int
	// LockWaitTimeout makes pg_dump fail (wrapping ErrLockWait) instead of
	// waiting longer than this for a table lock (a long ACCESS EXCLUSIVE
	// lock would otherwise stall the dump); 0 waits as long as it takes.
	LockWaitTimeout time.Duration
	// Time is the snapshot's time (its key's timestamp): it goes into every
	// gzip member's header and into the error when the key is already
	// taken. The zero Time writes no time into the headers.
	Time time.Time
	// Progress receives progress events; nil means NoProgress.
	Progress Progress
}

func (c Config) withDefaults() Config {
	if c.PgDump == "" {
		c.PgDump = "pg_dump"
	}
	if c.Env == nil {
		c.Env = []string{}
	}
	if c.Level == 0 {
		c.Level = DefaultLevel
	}
	if c.Progress == nil {
		c.Progress = NoProgress{}
	}
	return c
}

// Source is what to dump: one project's database, or some of its tables.
type Source struct {
	// Ref is the project ref: it names the project in errors and, when
	// DatabaseURL is empty, its database.
	Ref string
	// DatabaseURL is a postgres:// URL or a libpq keyword/value string that
	// reaches the database directly (not through PgBouncer). Empty means
	// "--dbname=<Ref>" with host, port and user from pg_dump's PG*
	// environment (Config.Env). Its password goes to pg_dump as PGPASSWORD,
	// never on its command line, and never appears in an error.
	DatabaseURL string
	// Tables, when not empty, limits the dump to these tables (pg_dump
	// --table, each name matched literally, and --strict-names: a table
	// that does not exist fails the dump). A name without schema matches
	// the table of that name in every schema.
	Tables []extract.Name
	// Snapshot, when not empty, is a snapshot exported by another session
	// (pg_export_snapshot()) that pg_dump reads in (--snapshot); that
	// session's transaction must stay open until the dump is done.
	Snapshot string
}

// String names the source without its database URL (which may hold a
// password); so do GoString and LogValue, for %#v and slog.
func (s Source) String() string { return s.Ref }

// GoString implements fmt.GoStringer without the database URL.
func (s Source) GoString() string { return fmt.Sprintf("dump.Source{Ref: %q}", s.Ref) }

// LogValue implements slog.LogValuer without the database URL.
func (s Source) LogValue() slog.Value { return slog.StringValue(s.Ref) }

// Result describes what a dump wrote. Write fills it in even when it
// returns an error.
type Result struct {
	Key string // where the snapshot went (or would have gone) in the store
	// Committed reports that the snapshot was stored at Key. It can be true
	// when Write returns an error: the check after the commit failed or was
	// cancelled, and the snapshot was kept.
	Committed bool
	// RawBytes is what pg_dump wrote; CompressedBytes what went to the store.
	RawBytes, CompressedBytes int64
	// IndexErr says why the snapshot's sidecar index was not written. The
	// snapshot is valid without it (readers scan it instead); it does not
	// make Write fail.
	IndexErr error
}

// Error is the error of a failed dump: where it failed and why. Its text
// names the project and says what to try, and never holds a password.
type Error struct {
	Stage string // StageConfig, StageConnect, StageDump, StageVerify, StageUpload or StageCancelled
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause, so that errors.Is finds ErrLockWait,
// catalog.ErrExists and the context's error.
func (e *Error) Unwrap() error { return e.Err }

// Job is a dump whose configuration and connection string have been
// checked, ready to Write. Prepare makes one; it does no I/O.
type Job struct {
	cfg Config
	src Source
	t   target
}

// Prepare checks cfg and src and splits the connection string into what
// pg_dump gets on its command line and the password it gets through its
// environment. Its error is an *Error at StageConfig.
func Prepare(cfg Config, src Source) (*Job, error) {
	cfg = cfg.withDefaults()
	if err := catalog.ValidateRef(src.Ref); err != nil {
		return nil, &Error{Stage: StageConfig, Err: err}
	}
	if cfg.Level < 1 || cfg.Level > 9 {
		return nil, &Error{Stage: StageConfig, Err: fmt.Errorf("backup of project %s: gzip level %d is out of range: use 1 (fastest) to 9 (smallest), or 0 for the default %d", src.Ref, cfg.Level, DefaultLevel)}
	}
	t, err := newTarget(src.Ref, src.DatabaseURL, cfg.Env)
	if err != nil {
		return nil, &Error{Stage: StageConfig, Err: err}
	}
	return &Job{cfg: cfg, src: src, t: t}, nil
}

// Scrub removes the source's password (and PGPASSWORD's), and anything
// shaped like a password (Redact), from s: for messages about the job that
// did not come from it.
func (j *Job) Scrub(s string) string { return j.t.scrub(s) }

// Write is Prepare followed by Job.Write.
func Write(ctx context.Context, cfg Config, src Source, store catalog.Store, key string) (Result, error) {
	j, err := Prepare(cfg, src)
	if err != nil {
		return Result{Key: key}, err
	}
	return j.Write(ctx, store, key)
}

// Write runs pg_dump, compresses its output into independent gzip members
// and streams them into store at key, with no temporary file; verifies the
// dump (pg_dump exited 0, its trailer is there, it is at least MinDumpSize
// compressed); commits it with CreateExclusive (a snapshot already at key
// is kept, and the error wraps catalog.ErrExists); checks the stored size;
// and writes the sidecar index beside it. Nothing becomes visible in the
// store unless the dump is complete, and a committed snapshot is never
// deleted. The error, if any, is an *Error.
func (j *Job) Write(ctx context.Context, store catalog.Store, key string) (Result, error) {
	w := &writer{Job: j, store: store, res: Result{Key: key}}
	j.cfg.Progress.Event(Event{Key: key, Stage: StageConnect})
	w.write(ctx)
	if w.err != nil {
		return w.res, w.err
	}
	return w.res, nil
}

// writer is one Job.Write.
type writer struct {
	*Job
	store catalog.Store
	res   Result
	err   *Error
}

// fail records a failure at stage.
func (w *writer) fail(stage string, format string, args ...any) {
	w.err = &Error{Stage: stage, Err: fmt.Errorf("backup of project %s: "+format, append([]any{w.src.Ref}, args...)...)}
}

// cancelled records a cancellation before the commit; the error wraps
// ctx.Err().
func (w *writer) cancelled(ctx context.Context, during string) {
	w.fail(StageCancelled, "cancelled during %s, nothing was stored: %w", during, ctx.Err())
}

// abortUpload discards the uncommitted upload after a failure (or a
// cancellation) that w already records, adding the abort's own failure to
// the error: S3 keeps an unaborted upload's parts, and the operator must
// know.
func (w *writer) abortUpload(ow catalog.ObjectWriter) {
	if err := ow.Abort(); err != nil && w.err != nil {
		w.err.Err = fmt.Errorf("%w; discarding the upload failed too: %s", w.err.Err, oneLine(w.t.scrub(err.Error())))
	}
}

// oneLine joins the lines of a message (errors.Join makes several) for
// log lines and alerts.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

func (w *writer) progress(stage string) {
	w.cfg.Progress.Event(Event{Key: w.res.Key, Stage: stage, RawBytes: w.res.RawBytes, CompressedBytes: w.res.CompressedBytes})
}

func (w *writer) write(ctx context.Context) {
	cfg, t, r, key := w.cfg, w.t, &w.res, w.res.Key
	if w.store == nil {
		w.fail(StageConfig, "no snapshot store configured")
		return
	}
	if ctx.Err() != nil {
		w.cancelled(ctx, "start")
		return
	}

	// Exclusive: two backups of a project in the same second have the same
	// key, and the second must not replace the first's snapshot.
	ow, err := w.store.CreateExclusive(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			w.cancelled(ctx, "upload start")
			return
		}
		w.fail(StageUpload, "start upload to %s at %s: %s; check the store's credentials and that it is reachable", w.store, key, t.scrub(err.Error()))
		return
	}
	defer func() {
		if !r.Committed {
			w.abortUpload(ow)
		}
	}()

	comp := &countingWriter{w: ow}
	zw, err := pgzip.NewWriterLevel(comp, cfg.Level)
	if err != nil {
		w.fail(StageConfig, "gzip level %d: %v", cfg.Level, err)
		return
	}
	if err := zw.SetConcurrency(blockSize, gzipBlocks()); err != nil {
		w.fail(StageConfig, "gzip concurrency: %v", err)
		return
	}
	zw.Name = w.src.Ref + ".sql"
	zw.ModTime = cfg.Time
	mw := newMemberWriter(ctx, zw, comp, gzipBlocks())

	sink := &dumpSink{zw: mw, tail: newTail(tailSize), progress: func(raw int64) {
		cfg.Progress.Event(Event{Key: key, Stage: StageDump, RawBytes: raw, CompressedBytes: comp.n.Load()})
	}}
	stderr := newTail(stderrSize)

	args := []string{"--no-owner", "--no-privileges", "--format=plain", "--no-password", "--dbname=" + t.dbname}
	if cfg.LockWaitTimeout > 0 {
		args = append(args, fmt.Sprintf("--lock-wait-timeout=%d", max(cfg.LockWaitTimeout.Milliseconds(), 1)))
	}
	args = append(args, tableArgs(w.src.Tables)...)
	if w.src.Snapshot != "" {
		args = append(args, "--snapshot="+w.src.Snapshot)
	}
	cmd := exec.CommandContext(ctx, cfg.PgDump, args...)
	cmd.Env = append([]string(nil), cfg.Env...)
	if t.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+t.password) // the last duplicate wins
	}
	cmd.Stdout = sink
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)

	waitErr := cmd.Run()
	closeErr := mw.Close()
	r.RawBytes = sink.raw
	r.CompressedBytes = comp.n.Load()

	switch {
	case ctx.Err() != nil:
		w.cancelled(ctx, "dump")
		return
	case comp.err != nil:
		w.fail(StageUpload, "write to %s at %s: %s; check the store (credentials, space, network) and try again", w.store, key, oneLine(t.scrub(comp.err.Error())))
		return
	case waitErr != nil:
		msg := t.scrub(lastLines(stderr.bytes(), stderrLines))
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			w.fail(StageDump, "run %s: %s; install the PostgreSQL client (pg_dump at least the server's major version) or pass its path", cfg.PgDump, t.scrub(waitErr.Error()))
			return
		}
		if isConnectError(msg) && sink.raw == 0 {
			w.fail(StageConnect, "pg_dump could not connect (%v): %s; check the project's database URL and that it reaches Postgres directly (not PgBouncer)", waitErr, msg)
			return
		}
		if cfg.LockWaitTimeout > 0 && strings.Contains(msg, "LOCK TABLE") && strings.Contains(msg, "timeout") {
			w.fail(StageDump, "pg_dump gave up: a table is locked by another session for longer than the lock wait timeout (%v): %s; find the blocker in pg_locks and pg_stat_activity, or run again later: %w", cfg.LockWaitTimeout, msg, ErrLockWait)
			return
		}
		w.fail(StageDump, "pg_dump failed after %d bytes (%v): %s; check pg_dump's message (pg_dump must be at least the server's major version)", sink.raw, waitErr, msg)
		return
	case sink.err != nil || closeErr != nil:
		err := sink.err
		if err == nil {
			err = closeErr
		}
		w.fail(StageUpload, "compress into %s at %s: %s; try again", w.store, key, t.scrub(err.Error()))
		return
	}

	w.progress(StageVerify)
	if !bytes.Contains(sink.tail.bytes(), []byte("\n"+dumpTrailer)) {
		w.fail(StageVerify, "pg_dump exited 0 but its output (%d bytes) does not end with %q: the dump is incomplete and was not stored; check pg_dump and the database", r.RawBytes, strings.TrimSpace(dumpTrailer))
		return
	}
	if r.CompressedBytes < MinDumpSize {
		w.fail(StageVerify, "the compressed dump is only %d bytes (less than %d): treated as a silent failure and not stored; check that the database URL names the project's database", r.CompressedBytes, MinDumpSize)
		return
	}

	w.progress(StageUpload)
	if err := ow.Commit(); err != nil {
		switch {
		case errors.Is(err, catalog.ErrExists):
			w.fail(StageUpload, "a snapshot of project %s for %s already exists at %s in %s (%w): it was kept and this dump was not stored (two backups of the project started within the same second); run the backup again if another snapshot is needed",
				w.src.Ref, cfg.Time.UTC().Format(catalog.TimestampLayout), key, w.store, catalog.ErrExists)
		case ctx.Err() != nil:
			w.cancelled(ctx, "commit")
		default:
			w.fail(StageUpload, "commit %s in %s: %s; try again", key, w.store, oneLine(t.scrub(err.Error())))
		}
		return
	}
	r.Committed = true

	// From here on the snapshot is complete and verified: whatever fails or
	// is cancelled later, it is reported and the snapshot is kept, never
	// deleted (a failed check says nothing certain about the snapshot, and
	// deleting it would leave the project with none).
	obj, err := w.store.Stat(ctx, key)
	switch {
	case err != nil && ctx.Err() != nil:
		w.fail(StageCancelled, "cancelled after snapshot %s was stored in %s: it is kept, but its stored size was not checked (%d bytes were written): %w",
			key, w.store, r.CompressedBytes, ctx.Err())
		return
	case err != nil:
		w.fail(StageVerify, "snapshot %s is stored in %s and was kept, but checking it failed: %s; check that it holds %d bytes before restoring from it, or run the backup again",
			key, w.store, oneLine(t.scrub(err.Error())), r.CompressedBytes)
		return
	case obj.Size != r.CompressedBytes:
		w.fail(StageVerify, "snapshot %s is stored in %s, but its stored size is %d bytes where %d were written: it was kept, not deleted; check the store and do not restore from it before it is understood, and run the backup again",
			key, w.store, obj.Size, r.CompressedBytes)
		return
	}

	r.IndexErr = writeIndex(ctx, w.store, key, obj, mw)
	if r.IndexErr != nil {
		r.IndexErr = errors.New(t.scrub(r.IndexErr.Error()))
	}
}

// tableArgs limits a dump to tables: one --table each, matched literally,
// and --strict-names so that a table that is not there fails the dump
// rather than leaving it out silently.
func tableArgs(tables []extract.Name) []string {
	if len(tables) == 0 {
		return nil
	}
	args := make([]string, 0, len(tables)+1)
	args = append(args, "--strict-names")
	for _, t := range tables {
		args = append(args, "--table="+tablePattern(t))
	}
	return args
}

// tablePattern writes name as a pg_dump --table pattern that matches
// exactly that table. Outside double quotes a pattern folds case and reads
// *, ?, . and regular-expression characters specially; inside them every
// character is literal, and a double quote is written twice. A name
// without schema matches in every schema.
func tablePattern(name extract.Name) string {
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if name.Schema == "" {
		return quote(name.Name)
	}
	return quote(name.Schema) + "." + quote(name.Name)
}

// writeIndex stores the snapshot's sidecar index, built from what the
// member writer's scan found, for the committed object obj.
func writeIndex(ctx context.Context, s catalog.Store, key string, obj catalog.Object, mw *memberWriter) error {
	toc, err := mw.TOC()
	if err != nil {
		return fmt.Errorf("index of %s not written: %w", key, err)
	}
	ix := extract.BuildIndex(toc, mw.Members(), obj.Size, obj.ETag)
	ix.Snapshot.Key = key
	return extract.StoreIndex(ctx, s, key, ix)
}

// gzipBlocks is how many 1 MiB blocks pgzip compresses at once: enough to
// keep every CPU busy while one block is being uploaded, capped so that
// memory stays bounded on large machines.
func gzipBlocks() int {
	return min(max(2*runtime.GOMAXPROCS(0), 4), 32)
}

func isConnectError(stderr string) bool {
	for _, s := range []string{"connection to server", "connection to database", "could not connect", "could not translate host name", "password authentication failed", "no password supplied"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// lastLines returns the last n non-empty lines of b, joined by " | ".
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.ToValidUTF8(string(b), "?"), "\n")
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append(out, l)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) == 0 {
		return "(pg_dump printed nothing on stderr)"
	}
	return strings.Join(out, " | ")
}

// dumpSink receives pg_dump's stdout (from os/exec's copying goroutine):
// it counts, keeps the tail and compresses.
type dumpSink struct {
	zw       io.Writer // the member writer
	tail     *tail
	raw      int64
	next     int64
	err      error
	progress func(raw int64)
}

func (s *dumpSink) Write(p []byte) (int, error) {
	s.tail.Write(p)
	n, err := s.zw.Write(p)
	s.raw += int64(n)
	if err != nil {
		s.err = err
		return n, err
	}
	if s.raw >= s.next {
		s.next = s.raw + ProgressEvery
		s.progress(s.raw)
	}
	return n, nil
}

// countingWriter counts what pgzip writes to the store and remembers the
// store's first error.
type countingWriter struct {
	w   catalog.ObjectWriter
	n   atomic.Int64
	err error // only touched by pgzip's single output goroutine, read after Close
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf []byte
	max int
}

func newTail(max int) *tail { return &tail{buf: make([]byte, 0, max), max: max} }

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[over:])]
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tail) bytes() []byte { return t.buf }
