//go:build !linux

package outfile

// renameNoReplace moves from to to unless something is at to: a hard
// link fails if it is.
func renameNoReplace(from, to string) error { return linkNoReplace(from, to) }
