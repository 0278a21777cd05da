// Package ticket is what working a support ticket takes, shared by the
// command line and the console so that both read snapshots the same way.
//
// Its first part is Open: a snapshot opened for a ticket, with the
// decision made in one place of how it is read. With a usable index of a
// seekable snapshot, the table of contents comes from the index and
// previews, scripts and restores fetch only the gzip members they need
// (ranged reads); otherwise the snapshot is scanned, and Snapshot.How says
// why. Stats counts what was read, for --stats and the benchmarks.
//
//	snapshot.go  Open, Snapshot: table of contents, Preview, WriteScript, Source (for apply), Stats
//	plan.go      WritePlan: a restore's plan as text, the same on both faces
//	undo.go      Origin: what an undo line must repeat of the command's flags, and the line
//
// Test support: package tickettest puts indexed, many-member snapshots
// into stores as the backup job leaves them.
package ticket
