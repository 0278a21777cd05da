package ui

import (
	"context"
	"io"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// Backend is what the console needs from the rest of restorectl:
// StoreBackend, on the restore service (ticket.Service) that the command
// line uses too. Tests wrap it to fail or block on cue.
type Backend interface {
	// ParseTime reads a time as `snapshots --near` does (RFC 3339, "2026-11-20
	// 14:05", "3h ago", "yesterday 14:00", ...).
	ParseTime(s string) (time.Time, error)
	// Snapshots lists a project's snapshots, nearest to t first.
	Snapshots(ctx context.Context, project string, t time.Time) ([]catalog.Ranked, error)
	// Open reads a snapshot's table of contents, from its index or by a
	// scan; progress (which may be nil) is called with bytes read so far.
	Open(ctx context.Context, snap catalog.Snapshot, progress func(read, total int64)) (*extract.TOC, error)
	// Preview returns the first limit rows of table in the snapshot.
	Preview(ctx context.Context, snap catalog.Snapshot, table extract.Name, limit int) (*extract.RowSet, error)
	// Script writes the script of tables in mode to w, as `restorectl
	// extract` does.
	Script(ctx context.Context, snap catalog.Snapshot, tables []extract.Name, mode extract.Mode, w io.Writer) error
	// Export writes the script of tables (schema and data) to the file
	// path, as `restorectl extract -o` does: private, and no file at all
	// when it fails; it returns the file's size.
	Export(ctx context.Context, snap catalog.Snapshot, tables []extract.Name, path string) (int64, error)
	// Targets says where restores can go: Target is the project's database
	// (overwrite, merge) and Admin the cluster new projects are created on,
	// each without its password, "" when not configured.
	Targets(project string) (target, admin string)
	// Restore runs req (apply.Run) with events on progress; cancelling ctx
	// rolls it back.
	Restore(ctx context.Context, req RestoreRequest, progress apply.Progress) (*apply.Result, error)
	// Plan is what req would do (a dry run: read-only, no lock that blocks
	// writers, and it leaves an audit record); a refusal
	// (*apply.RefusedError) comes with the plan that was refused.
	// Cancelling ctx stops it (the preview does when it is left).
	Plan(ctx context.Context, req RestoreRequest) (*apply.Plan, error)
}

// RestoreRequest is a restore the console asks for: the session's choices.
type RestoreRequest struct {
	Mode     apply.Mode
	Snapshot catalog.Snapshot
	TOC      *extract.TOC
	Tables   []extract.Name
	Project  string
	Ticket   string
	Database string // a new project's database name
	// UpdateChanged is merge's --update-changed: also bring back the
	// snapshot's rows whose key exists on the project with other values.
	UpdateChanged bool
}
