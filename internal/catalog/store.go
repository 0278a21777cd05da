package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when an object does not exist.
var ErrNotFound = errors.New("object not found")

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
