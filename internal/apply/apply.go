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

	Ticket, Operator string
}

// DefaultParallel is how many connections load a new project at once.
const DefaultParallel = 4

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

// Result is what a restore did.
type Result struct {
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
	r := &run{cfg: cfg, req: req, res: &Result{}}
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
	r.res.Duration = cfg.Now().Sub(start)
	r.rec.finish(r.res, err)
	// The outcome is recorded even when ctx was cancelled (Ctrl-C): give
	// the write a moment of its own.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, werr := writeRecord(wctx, cfg.Store, r.rec); werr != nil {
		err = errors.Join(err, fmt.Errorf("write the outcome to audit record %s: %w", key, werr))
	}
	r.progress(Event{Phase: PhaseDone})
	return r.res, err
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
