package ui

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
)

// StoreBackend is the Backend of a snapshot store.
type StoreBackend struct {
	Store catalog.Store
	// Location is the time zone of times typed without one.
	Location *time.Location
	// Now gives the current time; nil means time.Now.
	Now func() time.Time

	// TargetTemplate is the project's database with {ref} for its ref
	// (overwrite, merge); AdminURL reaches the cluster new projects are
	// created on. Either may be empty: the console then offers only what
	// can run. They hold passwords: never shown (apply.Redact).
	TargetTemplate, AdminURL string
	// PgDump and Env are for safety snapshots; Operator is who restores.
	PgDump   string
	Env      []string
	Operator string

	mu     sync.Mutex
	opened *ticket.Snapshot // the snapshot the console works on
}

var _ Backend = (*StoreBackend)(nil)

func (b *StoreBackend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// ParseTime reads a time as catalog.ParseTime does.
func (b *StoreBackend) ParseTime(s string) (time.Time, error) {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	return catalog.ParseTime(s, b.now(), loc)
}

// Snapshots lists the project's snapshots nearest to t first.
func (b *StoreBackend) Snapshots(ctx context.Context, project string, t time.Time) ([]catalog.Ranked, error) {
	snaps, err := catalog.ListSnapshots(ctx, b.Store, project)
	if err != nil {
		return nil, err
	}
	return catalog.Nearest(snaps, t), nil
}

// Open reads the snapshot's table of contents from its index when it has
// a matching one, else by scanning it (ticket.Open, as the command line
// does); the snapshot stays open for the previews, plans and restore that
// follow, which read only the members they need when its index allows.
func (b *StoreBackend) Open(ctx context.Context, snap catalog.Snapshot, progress func(read, total int64)) (*extract.TOC, error) {
	s, err := b.snapshot(ctx, snap, progress)
	if err != nil {
		return nil, err
	}
	return s.TOC(), nil
}

// snapshot returns the opened snapshot, opening it on first use. The
// console works on one snapshot at a time: opening another forgets the
// last.
func (b *StoreBackend) snapshot(ctx context.Context, snap catalog.Snapshot, progress func(read, total int64)) (*ticket.Snapshot, error) {
	b.mu.Lock()
	s := b.opened
	b.mu.Unlock()
	if s != nil && s.Resolved.Key == snap.Key {
		return s, nil
	}
	name := strings.TrimSuffix(b.Store.String(), "/") + "/" + snap.Key
	s, err := ticket.Open(ctx, catalog.Resolved{Store: b.Store, Key: snap.Key, Name: name, Snapshot: snap}, ticket.OpenOptions{Progress: progress})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.opened = s
	b.mu.Unlock()
	return s, nil
}

// Stats says how much of the open snapshot (key) was read, and how.
func (b *StoreBackend) Stats(key string) (ticket.Stats, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.opened == nil || b.opened.Resolved.Key != key {
		return ticket.Stats{}, false
	}
	return b.opened.Stats(), true
}

// Preview returns the first limit rows of table, reading only the members
// that hold them when the index allows, else scanning up to them.
func (b *StoreBackend) Preview(ctx context.Context, snap catalog.Snapshot, table extract.Name, limit int) (*extract.RowSet, error) {
	s, err := b.snapshot(ctx, snap, nil)
	if err != nil {
		return nil, err
	}
	return s.Preview(ctx, table, limit)
}

// Script writes the script of sel in mode to w.
func (b *StoreBackend) Script(ctx context.Context, snap catalog.Snapshot, sel *extract.Selection, mode extract.Mode, w io.Writer) error {
	s, err := b.snapshot(ctx, snap, nil)
	if err != nil {
		return err
	}
	_, err = s.WriteScript(ctx, w, sel, mode)
	return err
}

// target is the project's database.
func (b *StoreBackend) target(project string) string {
	return strings.ReplaceAll(b.TargetTemplate, "{ref}", project)
}

// Targets says where restores can go, without passwords.
func (b *StoreBackend) Targets(project string) (target, admin string) {
	if b.TargetTemplate != "" {
		target = apply.Redact(b.target(project))
	}
	if b.AdminURL != "" {
		admin = apply.Redact(b.AdminURL)
	}
	return target, admin
}

// Restore runs the restore with apply.Run, reading the snapshot as it
// was opened (ranged reads when its index allows).
func (b *StoreBackend) Restore(ctx context.Context, req RestoreRequest, progress apply.Progress) (*apply.Result, error) {
	s, err := b.snapshot(ctx, req.Snapshot, nil)
	if err != nil {
		return nil, err
	}
	src := s.Source()
	cfg := apply.Config{Store: b.Store, PgDump: b.PgDump, Env: b.Env, Progress: progress, Now: b.Now}
	r := apply.Request{Mode: req.Mode, Source: src, Tables: req.Tables, Project: req.Project, SnapshotProject: snapshotProject(req.Snapshot),
		Ticket: req.Ticket, Operator: b.Operator, Database: req.Database, UpdateChanged: req.UpdateChanged}
	switch req.Mode {
	case apply.NewProject:
		// The platform's convention: the project's role is named as its ref.
		cfg.Provisioner = &apply.PostgresProvisioner{AdminURL: b.AdminURL, Owner: req.Project}
	default:
		r.Target = b.target(req.Project)
	}
	return apply.Run(ctx, cfg, r)
}

// snapshotProject is the project snap belongs to: the catalog's ref, else
// the one its key is filed under. The console restores a ticket's snapshot
// into the ticket's project only (it has no way to ask for another), so
// apply refuses a mismatch.
func snapshotProject(snap catalog.Snapshot) string {
	if snap.Ref != "" {
		return snap.Ref
	}
	return catalog.RefOfKey(snap.Key)
}

// Plan runs req as a dry run and returns its plan; a refusal returns the
// plan along with the *apply.RefusedError.
func (b *StoreBackend) Plan(ctx context.Context, req RestoreRequest) (*apply.Plan, error) {
	s, err := b.snapshot(ctx, req.Snapshot, nil)
	if err != nil {
		return nil, err
	}
	src := s.Source()
	cfg := apply.Config{Store: b.Store, PgDump: b.PgDump, Env: b.Env, Progress: apply.NoProgress{}, Now: b.Now}
	r := apply.Request{Mode: req.Mode, Source: src, Tables: req.Tables, Project: req.Project, SnapshotProject: snapshotProject(req.Snapshot),
		Ticket: req.Ticket, Operator: b.Operator, Database: req.Database, UpdateChanged: req.UpdateChanged, DryRun: true, Target: b.target(req.Project)}
	res, err := apply.Run(ctx, cfg, r)
	if res == nil {
		return nil, err
	}
	return res.Plan, err
}
