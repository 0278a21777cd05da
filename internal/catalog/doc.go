// Package catalog owns the snapshot store: where snapshots live (an S3 bucket
// or a local directory, behind one Store interface), how their keys are laid
// out, and which of a project's snapshots exist and may be pruned.
//
// Keys are relative to the store's root (the URL's prefix):
//
//	<project-ref>/<YYYYMMDDTHHMMSSZ>.sql.gz
//
// Nothing in this package reads flags or environment variables; callers pass
// configuration in as values (see Options).
package catalog
