package ticket

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// Service is the work of a ticket, configured once from where the
// operator points restorectl: the snapshot store, the project databases
// (a template with {ref}), the cluster new projects go on, and who is
// working. The command line and the console call it alike, so that both
// faces restore, plan and undo the same way; neither builds an apply
// request of its own.
type Service struct {
	// Store holds the snapshots, audit records and safety snapshots. It
	// may be nil on the command line when the snapshot is named by URL:
	// the snapshot's own store is used.
	Store catalog.Store
	// TargetTemplate is the project's database for overwrite and merge,
	// {ref} standing for the project's ref (a URL without {ref} is taken
	// as it is). AdminURL reaches the cluster new projects are created on;
	// Owner owns them ("" means the project ref, the platform's
	// convention). Empty: that kind of restore is not configured. They
	// hold passwords: never shown (Targets, apply.Redact).
	TargetTemplate, AdminURL, Owner string
	// PgDump and Env are for safety snapshots (pg_dump, "" from PATH).
	PgDump string
	Env    []string
	// Operator is who restores, for the audit record.
	Operator string
	// Location is the time zone of times typed without one (nil: UTC);
	// Now the current time (nil: time.Now).
	Location *time.Location
	Now      func() time.Time
	// Origin is how restorectl was started, for the undo lines printed.
	Origin Origin
}

// Errors of a restore that the configuration cannot run: each face says
// which flag or variable sets it.
var (
	ErrNoTarget = errors.New("no target database configured")
	ErrNoAdmin  = errors.New("no admin connection configured for new projects")
	ErrNoStore  = errors.New("no store for the audit record and the safety snapshot")
	// ErrUnknownProject: a snapshot outside any store's layout (a local
	// file) names no project; the restore must.
	ErrUnknownProject = errors.New("cannot tell the snapshot's project")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ParseTime reads a time as `snapshots --near` does, in s.Location.
func (s *Service) ParseTime(text string) (time.Time, error) {
	return catalog.ParseTime(text, s.now(), cmp.Or(s.Location, time.UTC))
}

// Snapshots lists the project's snapshots, nearest to t first. A project
// without any is a *catalog.NoSnapshotsError naming the store's refs
// closest to it: a mistyped ref must not read as "no backups".
func (s *Service) Snapshots(ctx context.Context, project string, t time.Time) ([]catalog.Ranked, error) {
	snaps, err := catalog.ListSnapshots(ctx, s.Store, project)
	if err != nil {
		return nil, err
	}
	if len(snaps) == 0 {
		return nil, catalog.NoSnapshots(ctx, s.Store, project)
	}
	return catalog.Nearest(snaps, t), nil
}

// Resolve is a snapshot of the store's listing, named as the command
// line names it (catalog.Listed).
func (s *Service) Resolve(snap catalog.Snapshot) catalog.Resolved {
	return catalog.Listed(s.Store, snap)
}

// Target is the project's database for overwrite and merge, with its
// password: only for connecting. ErrNoTarget when none is configured.
func (s *Service) Target(project string) (string, error) {
	if strings.TrimSpace(s.TargetTemplate) == "" {
		return "", ErrNoTarget
	}
	return strings.ReplaceAll(strings.TrimSpace(s.TargetTemplate), "{ref}", project), nil
}

// Targets says where restores into project can go, without passwords:
// its database (overwrite, merge) and the cluster new projects are
// created on, "" for what is not configured.
func (s *Service) Targets(project string) (target, admin string) {
	if t, err := s.Target(project); err == nil {
		target = apply.Redact(t)
	}
	if s.AdminURL != "" {
		admin = apply.Redact(s.AdminURL)
	}
	return target, admin
}

// Audit lists the project's restores, oldest first.
func (s *Service) Audit(ctx context.Context, project string) ([]apply.Record, error) {
	if s.Store == nil {
		return nil, ErrNoStore
	}
	return apply.ListRecords(ctx, s.Store, project)
}

// Request is a restore (or its dry run) of tables of an opened snapshot.
type Request struct {
	Snapshot *Snapshot
	Mode     apply.Mode
	// Tables are the selection, resolved in the snapshot's table of
	// contents (Snapshot.Tables); All takes every table instead.
	Tables []extract.Name
	All    bool
	// Cascade (overwrite) also restores the tables referencing the
	// selection; UpdateChanged (merge) also brings back changed rows.
	Cascade, UpdateChanged bool
	// Project is the ref restored into; "" is the snapshot's own.
	// IntoOtherProject allows another project's snapshot.
	Project          string
	IntoOtherProject bool
	Ticket           string
	// Database is a new project's database name ("" is
	// REF-restore-YYYYMMDD); Parallel how many connections load it.
	Database string
	Parallel int
	DryRun   bool
	// LockTimeout, Timeout and RewindSequences are apply.Request's.
	LockTimeout, Timeout time.Duration
	RewindSequences      bool
}

// Project is the project a restore of snap goes into: project, or the
// snapshot's own when it is "". Another project's snapshot is refused
// (*apply.OtherProjectError) unless intoOther: the faces ask before they
// read the snapshot, and the restore asks again.
func Project(snap catalog.Resolved, project string, intoOther bool) (string, error) {
	ref := cmp.Or(project, snap.Project())
	if ref == "" {
		return "", fmt.Errorf("snapshot %s: %w", snap.Name, ErrUnknownProject)
	}
	if err := catalog.ValidateRef(ref); err != nil {
		return "", err
	}
	early := apply.Request{Source: &apply.Source{Name: snap.Name}, Project: ref, SnapshotProject: snap.Project(), IntoOtherProject: intoOther}
	if err := early.CheckProject(); err != nil {
		return "", err
	}
	return ref, nil
}

// Restore runs the restore r, reporting on progress (nil: none). Its
// Result says what happened to the target even with an error.
func (s *Service) Restore(ctx context.Context, r Request, progress apply.Progress) (*apply.Result, error) {
	cfg, req, err := s.request(r)
	if err != nil {
		return nil, err
	}
	cfg.Progress = progress
	res, err := apply.Run(ctx, cfg, req)
	return res, r.Snapshot.StaleIndexError(err)
}

// Plan is what r would do: its dry run (read-only, no lock that blocks
// writers, an audit record left). A refusal (*apply.RefusedError) comes
// with the plan refused.
func (s *Service) Plan(ctx context.Context, r Request) (*apply.Plan, error) {
	r.DryRun = true
	res, err := s.Restore(ctx, r, nil)
	if res == nil {
		return nil, err
	}
	return res.Plan, err
}

// request turns r into apply's configuration and request.
func (s *Service) request(r Request) (apply.Config, apply.Request, error) {
	snap := r.Snapshot.Resolved
	project, err := Project(snap, r.Project, r.IntoOtherProject)
	if err != nil {
		return apply.Config{}, apply.Request{}, err
	}
	store := cmp.Or[catalog.Store](s.Store, snap.Store)
	if store == nil {
		return apply.Config{}, apply.Request{}, ErrNoStore
	}
	cfg := apply.Config{Store: store, PgDump: s.PgDump, Env: s.Env, Now: s.Now}
	req := apply.Request{Mode: r.Mode, Source: r.Snapshot.Source(), Tables: r.Tables, All: r.All,
		Cascade: r.Cascade, UpdateChanged: r.UpdateChanged, DryRun: r.DryRun,
		Project: project, SnapshotProject: snap.Project(), IntoOtherProject: r.IntoOtherProject,
		Database: r.Database, Parallel: r.Parallel, LockTimeout: r.LockTimeout, Timeout: r.Timeout,
		RewindSequences: r.RewindSequences, Ticket: r.Ticket, Operator: s.Operator}
	switch r.Mode {
	case apply.NewProject:
		if req.Database == "" {
			req.Database = project + "-restore-" + s.now().UTC().Format("20060102")
		}
		switch {
		case s.AdminURL != "":
			cfg.Provisioner = &apply.PostgresProvisioner{AdminURL: s.AdminURL, Owner: cmp.Or(s.Owner, project)}
		case !r.DryRun:
			return apply.Config{}, apply.Request{}, ErrNoAdmin
		}
	default:
		if req.Target, err = s.Target(project); err != nil {
			return apply.Config{}, apply.Request{}, err
		}
	}
	return cfg, req, nil
}

// UndoRequest is an undo of a restore recorded in the store.
type UndoRequest struct {
	// ID is the audit record's id, Project its project.
	ID, Project, Ticket string
	DryRun              bool
	// LockTimeout, Timeout and RewindSequences are apply.Request's.
	LockTimeout, Timeout time.Duration
	RewindSequences      bool
}

// Undo puts back the safety snapshot of restore u.ID: the tables it
// replaced, as they were just before. Only a restore that committed is
// undone (apply.Undoable), into the database it changed, from a safety
// snapshot of the project's own. opts opens the safety snapshot (notes,
// such as the objects the undo leaves in place, go to opts.Notes).
func (s *Service) Undo(ctx context.Context, u UndoRequest, opts OpenOptions, progress apply.Progress) (*apply.Result, error) {
	if s.Store == nil {
		return nil, ErrNoStore
	}
	rec, err := apply.FindRecord(ctx, s.Store, u.Project, u.ID)
	if err != nil {
		return nil, err
	}
	target, err := s.Target(u.Project)
	if err != nil {
		return nil, err
	}
	if rec.Target != "" && apply.Redact(target) != rec.Target {
		return nil, fmt.Errorf("undo %s: the restore changed %s, but the target is %s: pass the same database with --target", rec.ID, rec.Target, apply.Redact(target))
	}
	// Only what committed: undoing anything else would discard the
	// project's writes since for nothing.
	if err := apply.Undoable(ctx, rec, target); err != nil {
		return nil, err
	}
	snap := catalog.Resolved{Store: s.Store, Key: rec.SafetySnapshot, Name: catalog.KeyName(s.Store, rec.SafetySnapshot)}
	// The safety snapshot is the project's own (<ref>/pre-restore/...):
	// undo never writes another project's snapshot into this one, whatever
	// a record says (apply.Run checks it again).
	if snap.Project() != u.Project {
		return nil, fmt.Errorf("undo %s: its safety snapshot %s is not one of project %s's: refusing to put it back into %s",
			rec.ID, rec.SafetySnapshot, u.Project, u.Project)
	}
	src, err := Open(ctx, snap, opts)
	if err != nil {
		return nil, err
	}
	if len(rec.Created) > 0 && opts.Notes != nil {
		opts.Notes(fmt.Sprintf("note: restore %s created %s; undo leaves them in place (drop them by hand if they are not wanted)", rec.ID, strings.Join(rec.Created, ", ")))
	}
	// The safety snapshot holds exactly the tables the restore replaced.
	cfg := apply.Config{Store: s.Store, PgDump: s.PgDump, Env: s.Env, Now: s.Now, Progress: progress}
	req := apply.Request{Mode: apply.Overwrite, Source: src.Source(), All: true, DryRun: u.DryRun,
		Project: u.Project, SnapshotProject: snap.Project(), Target: target, UndoOf: &rec,
		LockTimeout: u.LockTimeout, Timeout: u.Timeout, RewindSequences: u.RewindSequences,
		Ticket: u.Ticket, Operator: s.Operator}
	res, err := apply.Run(ctx, cfg, req)
	return res, src.StaleIndexError(err)
}

// UndoCommand is the line that undoes the restore recorded as id, as
// pasted into a fresh shell (Origin.UndoCommand).
func (s *Service) UndoCommand(id, project, ticket string) (line string, notes []string) {
	return s.Origin.UndoCommand(id, project, ticket)
}
