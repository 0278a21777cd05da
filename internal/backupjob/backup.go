package backupjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
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
	// Level is the gzip level, 1 (fastest) to 9 (smallest); 0 means
	// dump.DefaultLevel.
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

// withDefaults fills in the job's own defaults; package dump fills in
// PgDump, Env and Level.
func (c Config) withDefaults() Config {
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
	if c.Retention != nil {
		if err := c.Retention.Validate(); err != nil {
			return err
		}
	}
	return nil
}

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

// BackupProject dumps one project (dump.Write) into cfg.Store at
// catalog.SnapshotKey(p.Ref, cfg.Now()) and (with cfg.Retention) prunes
// old snapshots. Before the dump it sweeps up what killed writes of the
// project left in the store. Nothing becomes visible in the store unless
// the dump is complete. It logs one line, reports progress and, on
// failure, sends the alert.
func BackupProject(ctx context.Context, cfg Config, p Project) Result {
	cfg = cfg.withDefaults()
	start := cfg.Now()
	clock := time.Now()
	r := Result{Ref: p.Ref, Started: start}
	if catalog.ValidateRef(p.Ref) == nil {
		r.Key = catalog.SnapshotKey(p.Ref, start)
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

// oneLine joins the lines of a message (errors.Join makes several) for
// log lines and alerts.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// sweepPartial removes what killed writes of ref's left in the store
// more than catalog.PartialMaxAge ago, if the store can leave any.
func sweepPartial(ctx context.Context, s catalog.Store, ref string, scrub func(string) string) (int, error) {
	sw, ok := s.(catalog.PartialSweeper)
	if !ok {
		return 0, nil
	}
	n, err := sw.SweepPartial(ctx, catalog.ProjectPrefix(ref), catalog.PartialMaxAge)
	if err != nil {
		err = fmt.Errorf("removing what interrupted backups of project %s left in %s failed (the backup went on): %s", ref, s, oneLine(scrub(err.Error())))
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
	job, err := dump.Prepare(dump.Config{
		PgDump:          cfg.PgDump,
		Env:             cfg.Env,
		Level:           cfg.Level,
		LockWaitTimeout: cfg.LockWaitTimeout,
		Time:            r.Started,
		Progress: dump.ProgressFunc(func(e dump.Event) {
			if e.Stage == dump.StageConnect {
				return // BackupProject reported the start already, before the sweep
			}
			cfg.Progress.Event(Event{Project: p.Ref, Key: e.Key, Stage: e.Stage, RawBytes: e.RawBytes, CompressedBytes: e.CompressedBytes})
		}),
	}, dump.Source{Ref: p.Ref, DatabaseURL: p.DatabaseURL})
	if err != nil {
		r.setErr(err)
		return
	}
	if ctx.Err() != nil {
		r.cancelled(ctx, "start")
		return
	}
	r.Swept, r.SweepErr = sweepPartial(ctx, cfg.Store, p.Ref, job.Scrub)

	res, err := job.Write(ctx, cfg.Store, r.Key)
	r.Committed, r.RawBytes, r.CompressedBytes, r.IndexErr = res.Committed, res.RawBytes, res.CompressedBytes, res.IndexErr
	if err != nil {
		r.setErr(err)
		return
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
			r.fail(StagePrune, "snapshot %s is stored, but pruning old snapshots failed: %s; run the prune again", r.Key, job.Scrub(err.Error()))
			return
		}
	}
}

// setErr records the failure of dump.Prepare or dump's Write, at the
// stage it names. Its text is already complete ("backup of project ...").
func (r *Result) setErr(err error) {
	r.Stage, r.Err = StageDump, err
	var de *dump.Error
	if errors.As(err, &de) {
		r.Stage = de.Stage
	}
}
