package ui

import (
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
	"github.com/powabase/restorectl/internal/ticket/tickettest"
)

// TestStoreBackendUsesTheIndex: the console reads a big indexed snapshot
// as the command line does: its table of contents from the index, and a
// preview from the members that hold the table, not by scanning it all.
func TestStoreBackendUsesTheIndex(t *testing.T) {
	store, key, size := tickettest.CorpusSnapshot(t)
	snaps, err := catalog.ListSnapshots(t.Context(), store, "proj")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots %v, %v", snaps, err)
	}
	b := NewStoreBackend(&ticket.Service{Store: store})
	toc, err := b.Open(t.Context(), snaps[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	var last extract.Name
	for _, tb := range toc.Tables {
		if tb.Rows > 0 {
			last = tb.Name
		}
	}
	if _, err := b.Preview(t.Context(), snaps[0], last, 5); err != nil {
		t.Fatal(err)
	}
	st, ok := b.Stats(key)
	if !ok || !strings.Contains(st.How, "ranged reads") || st.Read == 0 || st.Read > size/4 {
		t.Errorf("stats %+v (open %v): want a preview by ranged reads of a few of the %d bytes", st, ok, size)
	}
}
