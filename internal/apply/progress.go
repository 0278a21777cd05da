package apply

import "github.com/powabase/restorectl/internal/extract"

// Phases of a restore, in the order they happen.
const (
	PhasePlan   = "plan"   // inspecting the target, building the plan
	PhaseSafety = "safety" // writing the safety snapshot
	PhaseSchema = "schema" // creating what the target lacks
	PhaseCopy   = "copy"   // loading rows
	PhaseIndex  = "index"  // building indexes and constraints after the data
	PhaseVerify = "verify" // checking row counts
	PhaseCommit = "commit" // committing (or, for a new project, renaming into place)
	PhaseDone   = "done"
)

// Event is one step of a restore's progress.
type Event struct {
	Phase string
	// Table is the table being loaded or checked, if any.
	Table extract.Name
	// Rows and Bytes are what was loaded of Table so far; TableBytes is its
	// size in the snapshot.
	Rows, Bytes, TableBytes int64
	// DoneBytes and TotalBytes are the row data loaded so far and to load in
	// all, for a progress bar.
	DoneBytes, TotalBytes int64
	// Message says what is happening, for a log line.
	Message string
}

// Progress receives a restore's events. It is called from the goroutines
// doing the work (several at once for a parallel load) and must not block
// for long.
type Progress interface {
	Event(Event)
}

// NoProgress discards events.
type NoProgress struct{}

// Event does nothing.
func (NoProgress) Event(Event) {}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Event calls f.
func (f ProgressFunc) Event(e Event) { f(e) }
