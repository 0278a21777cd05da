package outfile

import "os"

// linkNoReplace moves from to to with a hard link, which fails if
// something is at to, then removes from.
func linkNoReplace(from, to string) error {
	if err := os.Link(from, to); err != nil {
		return err
	}
	os.Remove(from) // to is complete; a leftover temporary name is harmless
	return nil
}
