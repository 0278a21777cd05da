package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) when an object does not exist.
var ErrNotFound = errors.New("object not found")

// ErrExists is returned (wrapped) by the Commit of a writer from
// CreateExclusive when an object already exists at its key.
var ErrExists = errors.New("object already exists")

// Store is the snapshot store. Keys are slash-separated and relative to the
// store's root; implementations map them onto S3 object keys or file paths.
//
// All methods honour ctx cancellation.
type Store interface {
	// Create starts writing a new object at key. Nothing is visible at key
	// until Commit returns nil; after Abort, or a Commit that failed, nothing
	// is left behind (one exception: a local Commit whose final directory
	// sync fails has already renamed the complete file into place). Whatever
	// its size, an object is streamed in bounded memory.
	Create(ctx context.Context, key string) (ObjectWriter, error)
	// CreateExclusive is Create, except that Commit never replaces an
	// object: if one exists at key when Commit runs, Commit fails with an
	// error wrapping ErrExists and leaves it as it was. The check and the
	// publication are one atomic step (a conditional put on S3, a hard link
	// locally), so of several writers racing for one key exactly one
	// commits. Create's overwriting stays the default: audit records are
	// rewritten in place.
	CreateExclusive(ctx context.Context, key string) (ObjectWriter, error)
	// Open streams the object's content.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// OpenRange streams length bytes of the object starting at offset;
	// length -1 reads to the end. A range reaching past the end is cut at
	// the end; one starting at or past it reads nothing. A missing object
	// is an error wrapping ErrNotFound; a negative offset, or a negative
	// length other than -1, is an error.
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Stat describes one object, or returns an error wrapping ErrNotFound.
	Stat(ctx context.Context, key string) (Object, error)
	// List calls fn for every object whose key starts with prefix, in
	// lexical key order. Objects still being written are never listed.
	List(ctx context.Context, prefix string, fn func(Object) error) error
	// ListDirs calls fn, in lexical order of name+"/", with the name of
	// every folder directly under prefix ("" for the store's root, else a
	// folder ending in "/"): every name for which List(prefix+name+"/")
	// finds an object. It reads the folders, not the objects in them (an
	// S3 delimiter listing), so that a store's projects are listed without
	// listing their snapshots.
	ListDirs(ctx context.Context, prefix string, fn func(name string) error) error
	// Delete removes the object at key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages (never with credentials).
	String() string
}

// ObjectWriter streams one object into a Store. Exactly one of Commit or
// Abort must be called; both may be called after the write context is
// cancelled. A writer is used by one goroutine: to stop it from elsewhere
// (a signal), cancel the context given to Create.
type ObjectWriter interface {
	io.Writer
	// Commit makes the object visible at its key.
	Commit() error
	// Abort discards everything written; it is safe to call after Commit
	// (then it does nothing) and more than once.
	Abort() error
}

// PartialSweeper is implemented by stores in which writes that never
// finished (the process was killed before Commit or Abort) can leave
// debris behind: hidden ".partial-*" files of a local store, unfinished
// multipart uploads on S3.
type PartialSweeper interface {
	// SweepPartial removes the debris under prefix (a key prefix ending in
	// "/", such as ProjectPrefix(ref), or "" for the whole store) that is
	// older than olderThan, measured by the store's clock against when the write
	// began (or last wrote, for a local file), and returns how many it
	// removed. Writes still running are never that old: use an age far
	// beyond the longest write, such as PartialMaxAge.
	SweepPartial(ctx context.Context, prefix string, olderThan time.Duration) (int, error)
}

// checkDirPrefix validates SweepPartial's prefix.
func checkDirPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("invalid prefix %q: want a directory, ending in \"/\"", prefix)
	}
	if err := validateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("invalid prefix %q: %w", prefix, err)
	}
	return nil
}

// PartialMaxAge is the age beyond which a write that never finished is
// taken for debris: no snapshot upload runs for a day.
const PartialMaxAge = 24 * time.Hour

// Object describes one stored object.
type Object struct {
	Key       string    // relative to the store's root
	Size      int64     // bytes
	ModTime   time.Time // last modified
	ETag      string    // S3 ETag without quotes; empty for local files
	VersionID string    // S3 version id when the bucket is versioned
	// Noncurrent marks an older version of the object at Key (see
	// VersionLister). The zero value, current, is what List, Stat and local
	// stores report.
	Noncurrent bool
}

// checkRange validates OpenRange's arguments.
func checkRange(key string, offset, length int64) error {
	if offset < 0 || length < -1 {
		return fmt.Errorf("read %s: invalid byte range (offset %d, length %d)", key, offset, length)
	}
	return nil
}
