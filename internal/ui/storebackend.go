package ui

import (
	"context"
	"io"
	"sync"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
)

// StoreBackend is the Backend of the restore service (ticket.Service), as
// the command line configured it: the console asks the service for
// everything, on the one snapshot it works on at a time.
type StoreBackend struct {
	*ticket.Service

	mu     sync.Mutex
	opened *ticket.Snapshot // the snapshot the console works on
}

var _ Backend = (*StoreBackend)(nil)

// NewStoreBackend is the console's backend on svc.
func NewStoreBackend(svc *ticket.Service) *StoreBackend { return &StoreBackend{Service: svc} }

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
	s, err := ticket.Open(ctx, b.Resolve(snap), ticket.OpenOptions{Progress: progress})
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

// Script writes the script of tables in mode to w.
func (b *StoreBackend) Script(ctx context.Context, snap catalog.Snapshot, tables []extract.Name, mode extract.Mode, w io.Writer) error {
	s, err := b.snapshot(ctx, snap, nil)
	if err != nil {
		return err
	}
	_, err = s.WriteScript(ctx, w, selection(s, tables), mode)
	return err
}

// selection is tables of s, the script named after the snapshot's key:
// the console shows its store already.
func selection(s *ticket.Snapshot, tables []extract.Name) *extract.Selection {
	sel := s.Select(tables)
	sel.Source = s.Resolved.Key
	return sel
}

// Export writes the script of tables to the file path (Snapshot.Export:
// private, and no file at all on failure) and returns its size.
func (b *StoreBackend) Export(ctx context.Context, snap catalog.Snapshot, tables []extract.Name, path string) (int64, error) {
	s, err := b.snapshot(ctx, snap, nil)
	if err != nil {
		return 0, err
	}
	_, size, err := s.Export(ctx, path, selection(s, tables), extract.SchemaAndData)
	return size, err
}

// Restore runs the restore (Service.Restore), reading the snapshot as it
// was opened.
func (b *StoreBackend) Restore(ctx context.Context, req RestoreRequest, progress apply.Progress) (*apply.Result, error) {
	r, err := b.request(ctx, req)
	if err != nil {
		return nil, err
	}
	return b.Service.Restore(ctx, r, progress)
}

// Plan is req's dry run (Service.Plan).
func (b *StoreBackend) Plan(ctx context.Context, req RestoreRequest) (*apply.Plan, error) {
	r, err := b.request(ctx, req)
	if err != nil {
		return nil, err
	}
	return b.Service.Plan(ctx, r)
}

// request is the service's request for the session's choices. The console
// restores a ticket's snapshot into the ticket's project only (it has no
// way to ask for another), so the service refuses a mismatch.
func (b *StoreBackend) request(ctx context.Context, req RestoreRequest) (ticket.Request, error) {
	s, err := b.snapshot(ctx, req.Snapshot, nil)
	if err != nil {
		return ticket.Request{}, err
	}
	return ticket.Request{Snapshot: s, Mode: req.Mode, Tables: req.Tables, Project: req.Project,
		Ticket: req.Ticket, Database: req.Database, UpdateChanged: req.UpdateChanged}, nil
}
