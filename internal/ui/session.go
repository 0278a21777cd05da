package ui

import (
	"context"
	"sync"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
)

// Ticket is what the support engineer is working on.
type Ticket struct {
	Project string
	At      time.Time
	// AtText is the time as typed ("yesterday 14:05"), for display.
	AtText string
	ID     string
	// About is what the ticket says (the demo's), shown on the ticket screen.
	About string
}

// Session is what the screens share: the backend, the styles and keys,
// and the ticket's progress so far. Screens read it and fill in their part.
type Session struct {
	Backend Backend
	Styles  Styles
	Keys    KeyMap
	// Now gives the current time (relative times, ages); tests fix it.
	Now func() time.Time
	// Location is the zone times are shown in (console --tz); nil is UTC.
	Location *time.Location
	// Context is the parent of the restores the console runs (nil:
	// context.Background()). The command line cancels it when the console
	// quits, Ctrl-C included, and waits on Restores, so that a restore cut
	// short is rolled back and recorded as cancelled before the process ends.
	Context  context.Context
	Restores sync.WaitGroup

	Ticket   Ticket
	Snapshot catalog.Ranked // the chosen snapshot
	TOC      *extract.TOC   // its table of contents
	Tables   []extract.Name // the selected tables
	// Mode is what to do with them (the mode screen sets it); Database is
	// a new project's database name.
	Mode     apply.Mode
	Database string
	// UpdateChanged is merge's --update-changed (the confirm screen
	// toggles it): also bring back rows whose key exists with other values.
	UpdateChanged bool
	// Result is the restore's outcome (the progress screen sets it).
	Result *apply.Result

	// Origin is how the command line started the console: what the
	// command lines it prints (undo) need to run pasted into a fresh shell.
	Origin ticket.Origin
	// NoDatabase, when set, is why the console has no database to restore
	// into (the demo without PostgreSQL): the mode screen says it instead
	// of which flags would configure one.
	NoDatabase string

	// done is what outlives the console, for Summary: the restores run
	// and the exports written, recorded by the goroutines that did them
	// (the screens may never hear of it when the console quits first).
	mu   sync.Mutex
	done []doneWork
}

// zone is the zone times are shown in.
func (s *Session) zone() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

// local is t in the zone times are shown in.
func (s *Session) local(t time.Time) time.Time { return t.In(s.zone()) }

// context is the parent of the session's restores.
func (s *Session) context() context.Context {
	if s.Context != nil {
		return s.Context
	}
	return context.Background()
}

// request is the restore of the session's choices, in its mode.
func (s *Session) request() RestoreRequest {
	return RestoreRequest{Mode: s.Mode, Snapshot: s.Snapshot.Snapshot, TOC: s.TOC, Tables: s.Tables,
		Project: s.Ticket.Project, Ticket: s.Ticket.ID, Database: s.Database,
		UpdateChanged: s.Mode == apply.Merge && s.UpdateChanged}
}
