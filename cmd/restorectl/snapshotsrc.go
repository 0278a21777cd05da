package main

import (
	"context"
	"fmt"
	"io"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// openSnapshotSource opens the snapshot as every command reads it
// (ticket.Open: its index and ranged reads when usable, else scans; noIndex
// forces scans), with notes about its index on the command's stderr.
func openSnapshotSource(ctx context.Context, snap catalog.Resolved, noIndex bool) (*ticket.Snapshot, error) {
	return ticket.Open(ctx, snap, openOptions(ctx, noIndex))
}

func openOptions(ctx context.Context, noIndex bool) ticket.OpenOptions {
	w := stderrOf(ctx)
	return ticket.OpenOptions{NoIndex: noIndex, Notes: func(s string) { fmt.Fprintln(w, termsafe.String(s)) }}
}

// printStats reports on w how much of the snapshot was read.
func printStats(w io.Writer, s *ticket.Snapshot) {
	st := s.Stats()
	how := "scan"
	if s.Ranged() {
		how = "ranged reads"
	}
	name := termsafe.String(s.Resolved.Name)
	// Sizes as people read them, and exact, which is what --stats is for.
	requests := catalog.Plural(st.Requests, "request", "requests")
	if st.Size > 0 {
		fmt.Fprintf(w, "stats: read %s of %s of %s (%.3f%%) in %s, %s (%d of %d bytes)\n",
			catalog.FormatSize(st.Read), catalog.FormatSize(st.Size), name, 100*float64(st.Read)/float64(st.Size), requests, how, st.Read, st.Size)
		return
	}
	fmt.Fprintf(w, "stats: read %s of %s in %s, %s (%d bytes)\n", catalog.FormatSize(st.Read), name, requests, how, st.Read)
}
