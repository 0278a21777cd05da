// Package catalog owns the snapshot store: where snapshots live (an S3 bucket
// or a local directory, behind one Store interface), how their keys are laid
// out, and which of a project's snapshots exist and may be pruned.
//
// Keys are relative to the store's root (the URL's prefix):
//
//	<project-ref>/<YYYYMMDDTHHMMSSZ>.sql.gz
//
// Open checks the store it opens: a URL that cannot be read, a directory or
// bucket that does not exist, or one that cannot be read, is a *StoreError
// saying what to fix, so that no caller ever reads a mistyped store as an
// empty one. ListProjects and Projects list a store's projects from one
// listing of its folders (Store.ListDirs); NoSnapshots explains a project
// without snapshots with the refs the store does hold.
//
// Every S3 request is bounded in time: connecting by Options.S3DialTimeout,
// requests that move little data by Options.S3RequestTimeout, and uploads
// and downloads, of any size, by Options.S3IdleTimeout of no progress. A
// frozen endpoint fails the call with an error saying it timed out.
//
// Nothing in this package reads flags or environment variables; callers pass
// configuration in as values (see Options).
package catalog
