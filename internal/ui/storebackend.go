package ui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
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
// a matching one, else by scanning it.
func (b *StoreBackend) Open(ctx context.Context, snap catalog.Snapshot, progress func(read, total int64)) (*extract.TOC, error) {
	if ix, err := extract.LoadIndex(ctx, b.Store, snap.Key, snap.Object); err == nil {
		return ix.TOC(), nil
	}
	rc, err := b.Store.Open(ctx, snap.Key)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %s: %w", snap.Key, err)
	}
	defer rc.Close()
	r, err := extract.NewDumpReader(&countReader{r: rc, total: snap.Size, progress: progress})
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", snap.Key, err)
	}
	toc, err := extract.ReadTOC(ctx, r, nil)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", snap.Key, err)
	}
	return toc, nil
}

// countReader reports how many compressed bytes were read.
type countReader struct {
	r        io.Reader
	n, total int64
	progress func(read, total int64)
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil {
		c.progress(c.n, c.total)
	}
	return n, err
}

// Preview returns the first limit rows of table, reading the snapshot only
// as far as the table's rows.
func (b *StoreBackend) Preview(ctx context.Context, snap catalog.Snapshot, table extract.Name, limit int) (*extract.RowSet, error) {
	r, closer, err := b.scan(ctx, snap)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return extract.Preview(ctx, r, table, limit)
}

// Script writes the script of sel in mode to w.
func (b *StoreBackend) Script(ctx context.Context, snap catalog.Snapshot, sel *extract.Selection, mode extract.Mode, w io.Writer) error {
	r, closer, err := b.scan(ctx, snap)
	if err != nil {
		return err
	}
	defer closer.Close()
	_, err = extract.WriteScript(ctx, w, r, sel, mode)
	return err
}

// scan opens the snapshot for reading from the start.
func (b *StoreBackend) scan(ctx context.Context, snap catalog.Snapshot) (*extract.Reader, io.Closer, error) {
	rc, err := b.Store.Open(ctx, snap.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot %s: %w", snap.Key, err)
	}
	r, err := extract.NewDumpReader(rc)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("read snapshot %s: %w", snap.Key, err)
	}
	return r, rc, nil
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

// Restore runs the restore with apply.Run, reading the snapshot by
// scanning it.
func (b *StoreBackend) Restore(ctx context.Context, req RestoreRequest, progress apply.Progress) (*apply.Result, error) {
	key := req.Snapshot.Key
	src := apply.ScanSource(key, req.TOC, func(ctx context.Context) (io.ReadCloser, error) { return b.Store.Open(ctx, key) })
	src.Key = key
	cfg := apply.Config{Store: b.Store, PgDump: b.PgDump, Env: b.Env, Progress: progress, Now: b.Now}
	r := apply.Request{Mode: req.Mode, Source: src, Tables: req.Tables, Project: req.Project, SnapshotProject: snapshotProject(req.Snapshot),
		Ticket: req.Ticket, Operator: b.Operator, Database: req.Database}
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
	key := req.Snapshot.Key
	src := apply.ScanSource(key, req.TOC, func(ctx context.Context) (io.ReadCloser, error) { return b.Store.Open(ctx, key) })
	src.Key = key
	cfg := apply.Config{Store: b.Store, PgDump: b.PgDump, Env: b.Env, Progress: apply.NoProgress{}, Now: b.Now}
	r := apply.Request{Mode: req.Mode, Source: src, Tables: req.Tables, Project: req.Project, SnapshotProject: snapshotProject(req.Snapshot),
		Ticket: req.Ticket, Operator: b.Operator, Database: req.Database, DryRun: true, Target: b.target(req.Project)}
	res, err := apply.Run(ctx, cfg, r)
	if res == nil {
		return nil, err
	}
	return res.Plan, err
}
