package backupjob

import "github.com/powabase/restorectl/internal/dump"

// Stages of a backup, as they appear in Result.Stage, Event.Stage, log lines
// and alerts. A failed Result's Stage is where it failed. All but
// StagePrune and StageDone are the dump's own (package dump).
const (
	StageConfig    = dump.StageConfig    // the project or Config is unusable (bad ref, bad URL, no store)
	StageConnect   = dump.StageConnect   // pg_dump could not connect to the database
	StageDump      = dump.StageDump      // pg_dump failed (or could not be started) after connecting
	StageVerify    = dump.StageVerify    // the dump is incomplete: no trailer, too small, size mismatch after upload
	StageUpload    = dump.StageUpload    // writing to or committing into the store failed
	StagePrune     = "prune"             // the backup is stored, but pruning old snapshots failed
	StageCancelled = dump.StageCancelled // the context was cancelled (SIGTERM) or timed out
	StageDone      = "done"              // success
)

// Progress receives progress events. With Config.Concurrency > 1 it is
// called from several goroutines at once and must be safe for that.
// Implementations must not block for long: they run on the dump's data path.
type Progress interface {
	Event(Event)
}

// Event reports the progress of one project's backup: once at the start
// (Stage "connect"), every dump.ProgressEvery raw bytes while dumping (Stage
// "dump"), when verifying, committing and pruning, and once at the end
// (Done, with Err set on failure).
type Event struct {
	Project         string
	Key             string
	Stage           string
	RawBytes        int64 // uncompressed bytes read from pg_dump so far
	CompressedBytes int64 // compressed bytes handed to the store so far
	Done            bool
	Err             error // the final error, only with Done
}

// NoProgress discards all events; it is the default.
type NoProgress struct{}

// Event implements Progress.
func (NoProgress) Event(Event) {}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Event implements Progress.
func (f ProgressFunc) Event(e Event) { f(e) }
