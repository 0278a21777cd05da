package dump

// Stages of a dump, as they appear in Error.Stage and Event.Stage. A failed
// dump's stage is where it failed.
const (
	StageConfig    = "config"    // the Config or Source is unusable (bad ref, bad URL, bad level, no store)
	StageConnect   = "connect"   // pg_dump could not connect to the database
	StageDump      = "dump"      // pg_dump failed (or could not be started) after connecting
	StageVerify    = "verify"    // the dump is incomplete: no trailer, too small, size mismatch after upload
	StageUpload    = "upload"    // writing to or committing into the store failed
	StageCancelled = "cancelled" // the context was cancelled or its deadline passed
)

// Progress receives progress events. Called from several goroutines at
// once when several dumps share it, it must be safe for that.
// Implementations must not block for long: they run on the dump's data
// path.
type Progress interface {
	Event(Event)
}

// Event reports the progress of one dump: once at the start (Stage
// "connect"), every ProgressEvery raw bytes while dumping (Stage "dump"),
// and when verifying and committing (Stages "verify" and "upload"). The end
// is Write's return.
type Event struct {
	Key             string // where the snapshot goes
	Stage           string
	RawBytes        int64 // uncompressed bytes read from pg_dump so far
	CompressedBytes int64 // compressed bytes handed to the store so far
}

// ProgressEvery is how many raw bytes pass between two "dump" events.
const ProgressEvery = 64 << 20

// NoProgress discards all events; it is the default.
type NoProgress struct{}

// Event implements Progress.
func (NoProgress) Event(Event) {}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Event implements Progress.
func (f ProgressFunc) Event(e Event) { f(e) }
