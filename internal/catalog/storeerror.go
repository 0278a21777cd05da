package catalog

import "fmt"

// StoreProblem is what makes a snapshot store unusable.
type StoreProblem string

// The problems a StoreError reports.
const (
	// StoreBadURL: the store's URL or path cannot be read as a store.
	StoreBadURL StoreProblem = "bad-url"
	// StoreMissing: the directory or bucket it names does not exist.
	StoreMissing StoreProblem = "missing"
	// StoreDenied: it exists, but cannot be read with the permissions or
	// credentials at hand.
	StoreDenied StoreProblem = "denied"
)

// StoreError says that a snapshot store cannot be used at all, and why:
// nothing could be listed, read or written in it, so a command stops
// before doing any work rather than report an empty store ("no
// snapshots") that is really a typo. A store that does not answer (a
// network failure, a timeout) is not a StoreError: trying again may work,
// whereas a StoreError needs its configuration fixed.
type StoreError struct {
	Store   string // the store as named, never with credentials
	Problem StoreProblem
	Detail  string // what is wrong, as a sentence fragment
	Hint    string // what to do about it
	Err     error  // the underlying error, if any
}

func (e *StoreError) Error() string {
	msg := fmt.Sprintf("store %s: %s", e.Store, e.Detail)
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *StoreError) Unwrap() error { return e.Err }
