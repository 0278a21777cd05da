// Package ticket is the restore service: what working a support ticket
// takes, shared by the command line and the console so that both faces
// list, open, preview, plan, restore, undo, export and audit the same way.
// cmd/restorectl parses flags and prints; internal/ui draws; neither opens
// a snapshot's rows or builds an apply request itself.
//
// Service is configured once, from the snapshot store, the project
// databases (a template with {ref}), the cluster new projects go on, and
// the operator. Open opens a snapshot, with the decision made in one place
// of how it is read: with a usable index of a seekable snapshot, the table
// of contents comes from the index and previews, scripts and restores
// fetch only the gzip members they need (ranged reads); otherwise the
// snapshot is scanned, and Snapshot.How says why. Stats counts what was
// read, for --stats and the benchmarks.
//
//	service.go   Service: Snapshots, Plan (a dry run of any mode), Restore, Undo, Audit, Targets; Request; Project (whose snapshot goes where)
//	snapshot.go  Open, Snapshot: table of contents, Tables, Preview, WriteScript, Export, Source (for apply), Stats
//	plan.go      WritePlan: a restore's plan as text, the same on both faces
//	undo.go      Origin: what an undo line must repeat of the command's flags, and the line; ShellQuote
//
// Test support: package tickettest puts indexed, many-member snapshots
// into stores as the backup job leaves them.
package ticket
