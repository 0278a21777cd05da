package backupjob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
// The whole BackupProject into a local store: level 1 1.10 s (22 MB peak
// RSS), level 2 1.06 s (24 MB), level 3 1.09 s (30 MB), i.e. 0.17× the
// gzip -6 pipeline, bound by pg_dump itself. BenchmarkCompress on synthetic
// dump text: level 1 479 MB/s, 2 492 MB/s, 3 402 MB/s, 6 234 MB/s.
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

// Config configures the backup job. Only Store is required.
type Config struct {
	// Store receives the snapshots.
	Store catalog.Store
	// PgDump is the pg_dump binary; "" means "pg_dump", looked up in PATH.
	// It must be at least the servers' major version.
	PgDump string
	// Env is pg_dump's whole environment (the CLI passes os.Environ(), so
	// PGHOST, PGUSER, PGSSLMODE, ... work). nil means an empty environment:
	// this package never reads the process's environment itself.
	Env []string
	// Level is the gzip level, 1 (fastest) to 9 (smallest); 0 means DefaultLevel.
	Level int
	// Concurrency is how many projects Run backs up at once; 0 means 1.
	// Each running backup holds up to about 2.5 MiB × min(max(2×GOMAXPROCS,
	// 4), 32) of compression buffers plus what the store buffers.
	Concurrency int
	// Webhook is the URL failures are POSTed to (Slack-compatible JSON);
	// "" sends no alerts. It is never logged (it usually holds a token).
	Webhook string
	// HTTPClient sends the alerts; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives one line per project ("backup ok"/"backup failed");
	// nil discards them.
	Logger *slog.Logger
	// Progress receives progress events; nil means NoProgress.
	Progress Progress
	// Retention, when non-nil, prunes each project's old snapshots after a
	// successful backup (catalog.Prune).
	Retention *catalog.Retention
	// Now gives the snapshot time (the key's timestamp); nil means time.Now.
	Now func() time.Time
	// LockWaitTimeout makes pg_dump fail instead of waiting longer than this
	// for a table lock (a long ACCESS EXCLUSIVE lock would otherwise stall
	// the backup until the job's deadline); 0 waits as long as it takes.
	LockWaitTimeout time.Duration
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
	if c.Concurrency < 1 {
		c.Concurrency = 1
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Progress == nil {
		c.Progress = NoProgress{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if c.Store == nil {
		return errors.New("no snapshot store configured")
	}
	if c.Level < 1 || c.Level > 9 {
		return fmt.Errorf("gzip level %d is out of range: use 1 (fastest) to 9 (smallest), or 0 for the default %d", c.Level, DefaultLevel)
	}
	if c.Retention != nil {
		if err := c.Retention.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// ErrLockWait is wrapped by the error of a backup whose pg_dump gave up
// waiting for a table lock (Config.LockWaitTimeout).
var ErrLockWait = errors.New("lock wait timeout")

// Result is the outcome of one project's backup.
type Result struct {
	Ref   string
	Key   string // the snapshot's key in the store (set even when it failed: where it would have gone)
	Stage string // StageDone on success, StageCancelled if cancelled, else where it failed
	// Committed reports that the snapshot was stored at Key. It can be true
	// when Err is set: a step after the commit (checking the stored size,
	// pruning) failed or was cancelled, and the snapshot was kept.
	Committed bool
	// RawBytes is what pg_dump wrote; CompressedBytes what went to the store.
	RawBytes, CompressedBytes int64
	Started                   time.Time // the snapshot time (Config.Now)
	Duration                  time.Duration
	Err                       error // nil on success; never contains a password
	Pruned                    int   // old snapshots deleted after the backup
	// IndexErr says why the snapshot's sidecar index was not written. The
	// snapshot is valid without it (readers scan it instead); it does not
	// make the backup fail.
	IndexErr error
	// Swept counts what killed writes of the project had left in the store
	// (catalog.PartialSweeper) and this backup removed; SweepErr says why
	// that sweep failed, which does not make the backup fail.
	Swept    int
	SweepErr error
}

// Outcomes of a backup, as Result.Outcome gives them.
const (
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled" // the context was cancelled (SIGTERM) or its deadline passed
)

// OK reports whether the backup succeeded.
func (r Result) OK() bool { return r.Err == nil }

// Cancelled reports whether the backup was stopped by its context rather
// than by a failure.
func (r Result) Cancelled() bool { return r.Err != nil && r.Stage == StageCancelled }

// Outcome is OutcomeOK, OutcomeCancelled or OutcomeFailed.
func (r Result) Outcome() string {
	switch {
	case r.OK():
		return OutcomeOK
	case r.Cancelled():
		return OutcomeCancelled
	default:
		return OutcomeFailed
	}
}

// Summarize counts the results by outcome.
func Summarize(rs []Result) (ok, failed, cancelled int) {
	for _, r := range rs {
		switch r.Outcome() {
		case OutcomeOK:
			ok++
		case OutcomeCancelled:
			cancelled++
		default:
			failed++
		}
	}
	return ok, failed, cancelled
}

// BackupProject dumps one project with pg_dump, compresses the dump and
// streams it into cfg.Store at catalog.SnapshotKey(p.Ref, cfg.Now()) (or
// p.Key),
// verifies it, commits it and (with cfg.Retention) prunes old snapshots.
// Nothing becomes visible in the store unless the dump is complete. It
// logs one line, reports progress and, on failure, sends the alert.
func BackupProject(ctx context.Context, cfg Config, p Project) Result {
	cfg = cfg.withDefaults()
	start := cfg.Now()
	clock := time.Now()
	r := Result{Ref: p.Ref, Started: start}
	if catalog.ValidateRef(p.Ref) == nil {
		r.Key = catalog.SnapshotKey(p.Ref, start)
		if p.Key != "" {
			r.Key = p.Key
		}
	}
	cfg.Progress.Event(Event{Project: p.Ref, Key: r.Key, Stage: StageConnect})
	backup(ctx, cfg, p, &r)
	r.Duration = time.Since(clock)
	if r.Err == nil {
		r.Stage = StageDone
	}
	finish(ctx, cfg, r)
	return r
}

// finish logs, reports and alerts one result.
func finish(ctx context.Context, cfg Config, r Result) {
	attrs := []any{
		slog.String("project", r.Ref),
		slog.String("key", r.Key),
		slog.String("outcome", r.Outcome()),
		slog.String("stage", r.Stage),
		slog.Int64("raw_bytes", r.RawBytes),
		slog.Int64("compressed_bytes", r.CompressedBytes),
		slog.Int64("duration_ms", r.Duration.Milliseconds()),
	}
	if r.Swept > 0 {
		attrs = append(attrs, slog.Int("swept_partial", r.Swept))
	}
	if r.SweepErr != nil {
		attrs = append(attrs, slog.String("sweep_error", r.SweepErr.Error()))
	}
	switch {
	case r.Err == nil:
		attrs = append(attrs, slog.Int("pruned", r.Pruned), slog.Bool("indexed", r.IndexErr == nil))
		level := slog.LevelInfo
		if r.IndexErr != nil {
			// The snapshot is fine; only its index is missing.
			attrs = append(attrs, slog.String("index_error", r.IndexErr.Error()))
			level = slog.LevelWarn
		}
		if r.SweepErr != nil {
			level = slog.LevelWarn
		}
		cfg.Logger.Log(context.WithoutCancel(ctx), level, "backup ok", attrs...)
	case r.Cancelled():
		attrs = append(attrs, slog.Bool("committed", r.Committed), slog.String("error", r.Err.Error()))
		cfg.Logger.ErrorContext(context.WithoutCancel(ctx), "backup cancelled", attrs...)
	default:
		attrs = append(attrs, slog.Bool("committed", r.Committed), slog.String("error", r.Err.Error()))
		cfg.Logger.ErrorContext(context.WithoutCancel(ctx), "backup failed", attrs...)
	}
	cfg.Progress.Event(Event{Project: r.Ref, Key: r.Key, Stage: r.Stage, RawBytes: r.RawBytes,
		CompressedBytes: r.CompressedBytes, Done: true, Err: r.Err})
	if r.Err != nil && cfg.Webhook != "" {
		alertResult(ctx, cfg, r)
	}
}

// fail records a failure at stage.
func (r *Result) fail(stage string, format string, args ...any) {
	r.Stage = stage
	r.Err = fmt.Errorf("backup of project %s: "+format, append([]any{r.Ref}, args...)...)
}

// cancelled records a cancellation before the commit; the error wraps
// ctx.Err().
func (r *Result) cancelled(ctx context.Context, during string) {
	r.fail(StageCancelled, "cancelled during %s, nothing was stored: %w", during, ctx.Err())
}

// abortUpload discards the uncommitted upload after a failure (or a
// cancellation) that r already records, adding the abort's own failure to
// r.Err: S3 keeps an unaborted upload's parts, and the operator must know.
func (r *Result) abortUpload(ow catalog.ObjectWriter, t target) {
	if err := ow.Abort(); err != nil && r.Err != nil {
		r.Err = fmt.Errorf("%w; discarding the upload failed too: %s", r.Err, oneLine(t.scrub(err.Error())))
	}
}

// oneLine joins the lines of a message (errors.Join makes several) for
// log lines and alerts.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// sweepPartial removes what killed writes of ref's left in the store
// more than catalog.PartialMaxAge ago, if the store can leave any.
func sweepPartial(ctx context.Context, s catalog.Store, ref string, t target) (int, error) {
	sw, ok := s.(catalog.PartialSweeper)
	if !ok {
		return 0, nil
	}
	n, err := sw.SweepPartial(ctx, catalog.ProjectPrefix(ref), catalog.PartialMaxAge)
	if err != nil {
		err = fmt.Errorf("removing what interrupted backups of project %s left in %s failed (the backup went on): %s", ref, s, oneLine(t.scrub(err.Error())))
	}
	return n, err
}

func backup(ctx context.Context, cfg Config, p Project, r *Result) {
	if err := catalog.ValidateRef(p.Ref); err != nil {
		r.fail(StageConfig, "%v: fix the projects list", err)
		return
	}
	if err := cfg.validate(); err != nil {
		r.fail(StageConfig, "%v", err)
		return
	}
	t, err := newTarget(p.Ref, p.DatabaseURL, cfg.Env)
	if err != nil {
		r.Stage, r.Err = StageConfig, err
		return
	}
	if ctx.Err() != nil {
		r.cancelled(ctx, "start")
		return
	}
	if p.Key == "" {
		// Daily snapshots only: a restore's safety snapshot runs while the
		// restore holds its locks, and must not wait on housekeeping.
		r.Swept, r.SweepErr = sweepPartial(ctx, cfg.Store, p.Ref, t)
	}

	// Exclusive: two backups of a project in the same second have the same
	// key, and the second must not replace the first's snapshot.
	ow, err := cfg.Store.CreateExclusive(ctx, r.Key)
	if err != nil {
		if ctx.Err() != nil {
			r.cancelled(ctx, "upload start")
			return
		}
		r.fail(StageUpload, "start upload to %s at %s: %s; check the store's credentials and that it is reachable", cfg.Store, r.Key, t.scrub(err.Error()))
		return
	}
	defer func() {
		if !r.Committed {
			r.abortUpload(ow, t)
		}
	}()

	comp := &countingWriter{w: ow}
	zw, err := pgzip.NewWriterLevel(comp, cfg.Level)
	if err != nil {
		r.fail(StageConfig, "gzip level %d: %v", cfg.Level, err)
		return
	}
	if err := zw.SetConcurrency(blockSize, gzipBlocks()); err != nil {
		r.fail(StageConfig, "gzip concurrency: %v", err)
		return
	}
	zw.Name = p.Ref + ".sql"
	zw.ModTime = r.Started
	mw := newMemberWriter(ctx, zw, comp, gzipBlocks())

	sink := &dumpSink{zw: mw, tail: newTail(tailSize), progress: func(raw int64) {
		cfg.Progress.Event(Event{Project: p.Ref, Key: r.Key, Stage: StageDump, RawBytes: raw, CompressedBytes: comp.n.Load()})
	}}
	stderr := newTail(stderrSize)

	args := []string{"--no-owner", "--no-privileges", "--format=plain", "--no-password", "--dbname=" + t.dbname}
	if cfg.LockWaitTimeout > 0 {
		args = append(args, fmt.Sprintf("--lock-wait-timeout=%d", max(cfg.LockWaitTimeout.Milliseconds(), 1)))
	}
	args = append(args, tableArgs(p.Tables)...)
	if p.Snapshot != "" {
		args = append(args, "--snapshot="+p.Snapshot)
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
		r.cancelled(ctx, "dump")
		return
	case comp.err != nil:
		r.fail(StageUpload, "write to %s at %s: %s; check the store (credentials, space, network) and try again", cfg.Store, r.Key, oneLine(t.scrub(comp.err.Error())))
		return
	case waitErr != nil:
		msg := t.scrub(lastLines(stderr.bytes(), stderrLines))
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			r.fail(StageDump, "run %s: %s; install the PostgreSQL client (pg_dump at least the server's major version) or pass its path", cfg.PgDump, t.scrub(waitErr.Error()))
			return
		}
		if isConnectError(msg) && sink.raw == 0 {
			r.fail(StageConnect, "pg_dump could not connect (%v): %s; check the project's database URL and that it reaches Postgres directly (not PgBouncer)", waitErr, msg)
			return
		}
		if cfg.LockWaitTimeout > 0 && strings.Contains(msg, "LOCK TABLE") && strings.Contains(msg, "timeout") {
			r.fail(StageDump, "pg_dump gave up: a table is locked by another session for longer than the lock wait timeout (%v): %s; find the blocker in pg_locks and pg_stat_activity, or run again later: %w", cfg.LockWaitTimeout, msg, ErrLockWait)
			return
		}
		r.fail(StageDump, "pg_dump failed after %d bytes (%v): %s; check pg_dump's message (pg_dump must be at least the server's major version)", sink.raw, waitErr, msg)
		return
	case sink.err != nil || closeErr != nil:
		err := sink.err
		if err == nil {
			err = closeErr
		}
		r.fail(StageUpload, "compress into %s at %s: %s; try again", cfg.Store, r.Key, t.scrub(err.Error()))
		return
	}

	cfg.Progress.Event(Event{Project: p.Ref, Key: r.Key, Stage: StageVerify, RawBytes: r.RawBytes, CompressedBytes: r.CompressedBytes})
	if !bytes.Contains(sink.tail.bytes(), []byte("\n"+dumpTrailer)) {
		r.fail(StageVerify, "pg_dump exited 0 but its output (%d bytes) does not end with %q: the dump is incomplete and was not stored; check pg_dump and the database", r.RawBytes, strings.TrimSpace(dumpTrailer))
		return
	}
	if r.CompressedBytes < MinDumpSize {
		r.fail(StageVerify, "the compressed dump is only %d bytes (less than %d): treated as a silent failure and not stored; check that the database URL names the project's database", r.CompressedBytes, MinDumpSize)
		return
	}

	cfg.Progress.Event(Event{Project: p.Ref, Key: r.Key, Stage: StageUpload, RawBytes: r.RawBytes, CompressedBytes: r.CompressedBytes})
	if err := ow.Commit(); err != nil {
		switch {
		case errors.Is(err, catalog.ErrExists):
			r.fail(StageUpload, "a snapshot of project %s for %s already exists at %s in %s (%w): it was kept and this dump was not stored (two backups of the project started within the same second); run the backup again if another snapshot is needed",
				p.Ref, r.Started.UTC().Format(catalog.TimestampLayout), r.Key, cfg.Store, catalog.ErrExists)
		case ctx.Err() != nil:
			r.cancelled(ctx, "commit")
		default:
			r.fail(StageUpload, "commit %s in %s: %s; try again", r.Key, cfg.Store, oneLine(t.scrub(err.Error())))
		}
		return
	}
	r.Committed = true

	// From here on the snapshot is complete and verified: whatever fails or
	// is cancelled later, it is reported and the snapshot is kept, never
	// deleted (a failed check says nothing certain about the snapshot, and
	// deleting it would leave the project with none).
	obj, err := cfg.Store.Stat(ctx, r.Key)
	switch {
	case err != nil && ctx.Err() != nil:
		r.fail(StageCancelled, "cancelled after snapshot %s was stored in %s: it is kept, but its stored size was not checked (%d bytes were written): %w",
			r.Key, cfg.Store, r.CompressedBytes, ctx.Err())
		return
	case err != nil:
		r.fail(StageVerify, "snapshot %s is stored in %s and was kept, but checking it failed: %s; check that it holds %d bytes before restoring from it, or run the backup again",
			r.Key, cfg.Store, oneLine(t.scrub(err.Error())), r.CompressedBytes)
		return
	case obj.Size != r.CompressedBytes:
		r.fail(StageVerify, "snapshot %s is stored in %s, but its stored size is %d bytes where %d were written: it was kept, not deleted; check the store and do not restore from it before it is understood, and run the backup again",
			r.Key, cfg.Store, obj.Size, r.CompressedBytes)
		return
	}

	r.IndexErr = writeIndex(ctx, cfg.Store, r.Key, obj, mw)
	if r.IndexErr != nil {
		r.IndexErr = errors.New(t.scrub(r.IndexErr.Error()))
	}

	if cfg.Retention != nil {
		cfg.Progress.Event(Event{Project: p.Ref, Key: r.Key, Stage: StagePrune, RawBytes: r.RawBytes, CompressedBytes: r.CompressedBytes})
		deleted, err := catalog.Prune(ctx, cfg.Store, p.Ref, *cfg.Retention, r.Started, false)
		r.Pruned = len(deleted)
		switch {
		case err != nil && ctx.Err() != nil:
			r.fail(StageCancelled, "cancelled while pruning old snapshots, after snapshot %s was stored (it is kept): %w", r.Key, ctx.Err())
			return
		case err != nil:
			r.fail(StagePrune, "snapshot %s is stored, but pruning old snapshots failed: %s; run the prune again", r.Key, t.scrub(err.Error()))
			return
		}
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
