// Package apply turns a selection from a snapshot into changes on a
// database: overwrite the selected tables of a project, merge the rows it
// lacks, or provision a new project holding the snapshot. Every restore,
// dry runs included, leaves an audit record in the store; a destructive one
// first writes a safety snapshot of what it replaces, so that it can be
// undone.
//
// The map:
//
//	apply.go      Request, Config, Result, Run: one restore from start to audit record
//	plan.go       Plan: what a restore will do, table by table, for --dry-run and the audit
//	load.go       running a source's entries on a connection: statements as parsed, rows by COPY
//	target.go     what the target holds: tables, columns, keys, references, row counts
//	drift.go      column-level differences between the snapshot and the target
//	overwrite.go  overwrite: one transaction, triggers silent, sequences set, verified
//	merge.go      merge: rows missing by primary key (and, optionally, changed ones)
//	newproject.go new project: provision, load (tables in parallel with an index), verify
//	parallel.go   the parallel load's jobs: each table's rows, then its indexes, over N connections
//	provision.go  Provisioner and its PostgreSQL implementation
//	safety.go     the safety snapshot: pg_dump of the affected tables in the restore's own snapshot
//	audit.go      audit records: written, listed, found
//	progress.go   Progress and its events
//
// Guarantees: rows move with the COPY protocol, never as SQL text; the only
// SQL run from a snapshot is statements the extraction engine parsed and
// classified; credentials never appear in output, records or errors. A
// failure, a cancelled context or a killed process at any point leaves the
// target as it was: overwrite and merge run in one transaction, and a new
// project's database is created under a temporary name, renamed into place
// only when complete, and dropped (or swept up later) otherwise.
//
// Nothing in this package reads flags or environment variables.
package apply
