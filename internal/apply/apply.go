package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// Mode is what a restore does to its target.
type Mode string

// Modes.
const (
	// NewProject provisions a new database with the snapshot's whole schema
	// and the selected tables' rows (all rows with Request.All).
	NewProject Mode = "new-project"
	// Overwrite replaces the selected tables' rows on the target.
	Overwrite Mode = "overwrite"
	// Merge inserts the snapshot's rows the target lacks, by primary key.
	Merge Mode = "merge"
)

// ParseMode parses a mode as the CLI spells it.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case NewProject, Overwrite, Merge:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q: use new-project, overwrite or merge", s)
}

// Destructive reports whether the mode changes an existing project.
func (m Mode) Destructive() bool { return m == Overwrite || m == Merge }

// Source is the snapshot a restore reads.
type Source struct {
	// Name is the snapshot as the user names it (s3://bucket/key, a file).
	Name string
	// Key and VersionID identify it in the store, for the audit record;
	// Key is empty for a snapshot read from a file.
	Key, VersionID string
	TOC            *extract.TOC
	// Walk reads the entries for which include is true, in dump order
	// (extract.Walk over a fresh scan, or Ranged.Walk).
	Walk func(ctx context.Context, include func(i int) bool, fn extract.Visit) error
	// Concurrent says that Walk may run several times at once at little
	// cost (ranged reads of an indexed, seekable snapshot): a new project
	// then loads tables in parallel.
	Concurrent bool
}

// Request is one restore.
type Request struct {
	Mode   Mode
	Source *Source
	// Tables are the selected tables, as TOC.Resolve returns them; All
	// selects every table of the snapshot instead.
	Tables []extract.Name
	All    bool
	// Cascade (overwrite) adds to the selection the tables outside it
	// that reference it by foreign key, instead of refusing.
	Cascade bool
	// UpdateChanged (merge) also brings back rows whose key exists on the
	// target with other values.
	UpdateChanged bool
	// DryRun plans (and, for merge, counts) without changing anything.
	DryRun bool

	// Project is the project ref: the store keeps its safety snapshots and
	// audit records under it.
	Project string
	// SnapshotProject is the project the snapshot belongs to (the ref its
	// key is filed under), "" when that is unknown (a local file). One
	// restore touches one project: a snapshot of another project than
	// Project is refused (*OtherProjectError) unless IntoOtherProject says
	// that is what the operator means. The audit record keeps both refs.
	SnapshotProject  string
	IntoOtherProject bool
	// Target is the connection string of the database overwrite and merge
	// change. It holds a password: never print it (see Redact).
	Target string
	// Database is the new project's database name (NewProject).
	Database string
	// Parallel is how many connections a new project loads with when the
	// source is Concurrent; 0 means DefaultParallel.
	Parallel int
	// LockTimeout bounds every wait for a lock on the target: the
	// restore's own and its safety dump's; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// Timeout bounds the whole restore (0: no bound). A restore that runs
	// out of time rolls back and is recorded as cancelled.
	Timeout time.Duration
	// RewindSequences (overwrite, merge) sets the selected tables'
	// sequences to the snapshot's values even when that moves them back;
	// by default a sequence only ever moves forward.
	RewindSequences bool

	Ticket, Operator string

	// UndoOf is the audit record of the restore this one undoes (from its
	// safety snapshot): the plan counts, table by table, the rows the
	// project wrote since.
	UndoOf *Record
}

// DefaultParallel is how many connections load a new project at once.
const DefaultParallel = 4

// DefaultLockTimeout is how long a restore waits for a lock on a table of
// a live project before giving up: long enough for a busy table's short
// transactions, short enough that the sessions queued behind the restore
// (every reader, once an ALTER waits too) are not stalled for long.
const DefaultLockTimeout = 10 * time.Second

// lockTimeout is the restore's bound on lock waits.
func (r *run) lockTimeout() time.Duration {
	if r.req.LockTimeout > 0 {
		return r.req.LockTimeout
	}
	return DefaultLockTimeout
}

// Config is what every restore shares.
type Config struct {
	// Store receives safety snapshots and audit records.
	Store catalog.Store
	// Provisioner creates new projects' databases (NewProject).
	Provisioner Provisioner
	// PgDump is the pg_dump binary for safety snapshots; "" means
	// "pg_dump" from PATH. Env is its whole environment.
	PgDump string
	Env    []string
	// Progress receives events; nil means NoProgress.
	Progress Progress
	// Now gives the time of records and keys; nil means time.Now.
	Now func() time.Time
}

// Outcome is what a restore did to its target, as a fact: the command
// line, the JSON output, the console and the audit record all say it from
// this.
type Outcome string

// Outcomes.
const (
	// NotStarted: the restore stopped before changing anything (refused,
	// failed while planning or taking its safety snapshot, a dry run).
	NotStarted Outcome = "not-started"
	// RolledBack: the restore had begun changing the target in its
	// transaction, which was rolled back: the target is as it was. A new
	// project's database was dropped.
	RolledBack Outcome = "rolled-back"
	// Committed: the restore's changes are on the target.
	Committed Outcome = "committed"
	// Unknown: COMMIT was sent and its acknowledgement lost, and asking
	// the target afterwards failed too: the changes may or may not be on
	// it. Result.XID names the transaction to ask about.
	Unknown Outcome = "unknown"
)

// Result is what a restore did.
type Result struct {
	// Outcome is what happened to the target.
	Outcome Outcome
	// XID is the restore's transaction on the target (txid_current), 0
	// before it wrote anything; txid_status(XID) says whether it committed.
	XID uint64
	// AuditID names the audit record (restorectl undo AUDIT-ID); AuditKey is
	// where it is.
	AuditID, AuditKey string
	Plan              *Plan
	// SafetyKey is the safety snapshot's key, "" when none was written
	// (dry run, new project, no existing table affected).
	SafetyKey string
	// Checks are the verification after the restore, one per table.
	Checks []Check
	// Created are the tables the restore created on the target.
	Created []extract.Name
	// Database is the new project's database (NewProject).
	Database *Database
	Duration time.Duration
}

// Verified reports whether every check passed.
func (r *Result) Verified() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Check is the verification of one restored table.
type Check struct {
	Table extract.Name
	// Want is the snapshot's row count; Got what the target holds (for
	// merge: how many of the snapshot's keys it holds).
	Want, Got int64
	OK        bool
}

// RefusedError is a restore refused before anything changed: foreign keys
// from outside the selection, incompatible drift, a table without primary
// key for merge. Reasons are meant for the user, one per line.
type RefusedError struct {
	Reasons []string
}

func (e *RefusedError) Error() string {
	s := "restore refused, nothing was changed:"
	for _, r := range e.Reasons {
		s += "\n  - " + r
	}
	return s
}

// BusyError is a restore that gave up waiting for a lock on the target
// (Request.LockTimeout) rather than stall the project's own sessions:
// nothing was changed.
type BusyError struct {
	// Tables are the tables waited for; Wait how long; Who what waited
	// ("the restore", "the safety snapshot").
	Tables []extract.Name
	Wait   time.Duration
	Who    string
}

func (e *BusyError) Error() string {
	what := "table " + describeTables(e.Tables)
	if len(e.Tables) > 1 {
		what = "one of the tables " + describeTables(e.Tables)
	}
	return fmt.Sprintf("%s is busy: %s got no lock on it within %s (another session holds or is queued for a conflicting lock): "+
		"nothing was changed; try again or pick a quieter time (pg_stat_activity and pg_locks show who holds it)", what, e.Who, e.Wait)
}

// OtherProjectError refuses a restore of one project's snapshot into
// another project that was not asked for (Request.IntoOtherProject):
// nothing was changed, and no audit record written.
type OtherProjectError struct {
	// Snapshot is the snapshot's name; SnapshotProject the project it
	// belongs to and Project the one the restore was for.
	Snapshot, SnapshotProject, Project string
}

func (e *OtherProjectError) Error() string {
	return fmt.Sprintf("restore refused, nothing was changed: snapshot %s belongs to project %s, not %s: "+
		"restoring one project's data into another project must be asked for explicitly", e.Snapshot, e.SnapshotProject, e.Project)
}

// run is one restore in progress.
type run struct {
	cfg Config
	req Request
	res *Result
	rec *Record
	// committedRecorded is set once the audit record says committed.
	committedRecorded bool
}

func (r *run) progress(e Event) { r.cfg.Progress.Event(e) }

func (r *run) now() time.Time { return r.cfg.Now().UTC() }

// Run carries out req: it writes a "running" audit record (so that a
// restore killed halfway leaves a trace), restores, verifies, and writes
// the record again with the outcome. A restore that cannot write its audit
// record changes nothing.
func Run(ctx context.Context, cfg Config, req Request) (*Result, error) {
	if cfg.Progress == nil {
		cfg.Progress = NoProgress{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := req.validate(cfg); err != nil {
		return nil, err
	}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, req.Timeout,
			fmt.Errorf("the restore ran longer than its time limit of %s: %w", req.Timeout, context.DeadlineExceeded))
		defer cancel()
	}
	r := &run{cfg: cfg, req: req, res: &Result{Outcome: NotStarted}}
	start := cfg.Now()
	r.rec = newRecord(req, start)
	r.res.AuditID = r.rec.ID
	key, err := writeRecord(ctx, cfg.Store, r.rec)
	if err != nil {
		return nil, fmt.Errorf("write the audit record of the restore (nothing was changed): %w", err)
	}
	r.res.AuditKey = key

	switch req.Mode {
	case Overwrite:
		err = r.overwrite(ctx)
	case Merge:
		err = r.merge(ctx)
	case NewProject:
		err = r.newProject(ctx)
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
		// Cancelled (Ctrl-C, Esc, SIGTERM, Timeout): what broke first is
		// often only the connection that the cancellation closed.
		err = fmt.Errorf("the restore was stopped (%w): %w", context.Cause(ctx), err)
	}
	r.res.Duration = cfg.Now().Sub(start)
	if werr := r.record(ctx, err); werr != nil {
		err = errors.Join(err, r.recordError(werr))
	}
	r.progress(Event{Phase: PhaseDone})
	return r.res, err
}

// record rewrites the audit record with what the restore did so far, and
// err, its error (nil: it succeeded, or has not ended). It is written even
// when ctx was cancelled (Ctrl-C): the write gets a moment of its own.
func (r *run) record(ctx context.Context, err error) error {
	r.rec.finish(r.res, err)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, werr := writeRecord(wctx, r.cfg.Store, r.rec)
	if werr == nil && r.res.Outcome == Committed {
		r.committedRecorded = true
	}
	return werr
}

// recordRunning rewrites the "running" audit record with what the restore
// knows before it changes anything (the safety snapshot's key, its
// transaction): a restore killed from now on can still be undone. A
// restore that cannot write it changes nothing.
func (r *run) recordRunning(ctx context.Context) error {
	r.rec.update(r.res)
	if _, err := writeRecord(ctx, r.cfg.Store, r.rec); err != nil {
		return fmt.Errorf("record the safety snapshot in audit record %s (nothing was changed): %w", r.res.AuditKey, err)
	}
	return nil
}

// recordError says what a failed write of the audit record means, from
// what the restore did.
func (r *run) recordError(err error) error {
	key := r.res.AuditKey
	switch {
	case r.res.Outcome != Committed:
		return fmt.Errorf("write the outcome to audit record %s: %w", key, err)
	case r.committedRecorded:
		// An earlier write (right after COMMIT) has the outcome; this
		// one only added details.
		return nil
	case r.res.SafetyKey != "":
		return fmt.Errorf("the restore was committed; recording it in audit record %s failed (it still says running): %w; undo still works: it asks the target whether transaction %d committed", key, err, r.res.XID)
	}
	return fmt.Errorf("the restore was committed; recording it in audit record %s failed (it still says running): %w", key, err)
}

func (req Request) validate(cfg Config) error {
	switch {
	case req.Source == nil || req.Source.TOC == nil || req.Source.Walk == nil:
		return errors.New("restore: no snapshot")
	case cfg.Store == nil:
		return errors.New("restore: no store for the audit record")
	case len(req.Tables) == 0 && !req.All:
		return errors.New("restore: no tables selected (name them, or restore all)")
	case catalog.ValidateRef(req.Project) != nil:
		return fmt.Errorf("restore: %w", catalog.ValidateRef(req.Project))
	}
	if err := req.CheckProject(); err != nil {
		return err
	}
	switch req.Mode {
	case Overwrite, Merge:
		if req.Target == "" {
			return fmt.Errorf("restore (%s): no target database", req.Mode)
		}
		if !req.DryRun && req.Ticket == "" {
			return fmt.Errorf("restore (%s): a ticket is required", req.Mode)
		}
	case NewProject:
		if cfg.Provisioner == nil && !req.DryRun {
			return errors.New("restore (new-project): no provisioner (an admin connection to the cluster)")
		}
		if req.Database == "" {
			return errors.New("restore (new-project): no database name")
		}
	default:
		return fmt.Errorf("restore: unknown mode %q", req.Mode)
	}
	return nil
}

// CheckProject is the rule that one restore touches one project: it
// refuses (*OtherProjectError) a snapshot of another project than
// req.Project unless req.IntoOtherProject. A snapshot whose project is
// unknown (SnapshotProject "") passes. Run checks it; a caller may check
// it earlier, before reading the snapshot, with only Source.Name and the
// project fields set.
func (req Request) CheckProject() error {
	if req.SnapshotProject == "" {
		return nil
	}
	if err := catalog.ValidateRef(req.SnapshotProject); err != nil {
		return fmt.Errorf("restore: the snapshot's project: %w", err)
	}
	if req.SnapshotProject != req.Project && !req.IntoOtherProject {
		e := &OtherProjectError{SnapshotProject: req.SnapshotProject, Project: req.Project}
		if req.Source != nil {
			e.Snapshot = req.Source.Name
		}
		return e
	}
	return nil
}

// selected returns the tables a restore covers: req.Tables, or with All
// every table of the snapshot that holds rows (views excluded).
func (r *run) selected() []extract.Name {
	if !r.req.All {
		return r.req.Tables
	}
	var names []extract.Name
	for _, t := range r.req.Source.TOC.Tables {
		if t.Kind == extract.KindTable || t.Kind == extract.KindMaterializedView {
			names = append(names, t.Name)
		}
	}
	return names
}
