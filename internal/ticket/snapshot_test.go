package ticket_test

import (
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
	"github.com/powabase/restorectl/internal/ticket/tickettest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestOpenReadsOnlyWhatItNeeds: an indexed snapshot of many members in S3
// is opened from its index, and a preview of its last table reads a small
// part of it, as does the script of that table; with NoIndex the same
// preview scans up to the table. The restore's source reads ranges too.
func TestOpenReadsOnlyWhatItNeeds(t *testing.T) {
	store, key, size := tickettest.CorpusSnapshot(t)
	snap := catalog.Resolved{Store: store, Key: key, Name: "s3://daily/" + key}

	s, err := ticket.Open(t.Context(), snap, ticket.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ranged() || !strings.Contains(s.How(), "ranged reads") {
		t.Fatalf("how = %q, want ranged reads", s.How())
	}
	if st := s.Stats(); st.Read != 0 {
		t.Errorf("opening read %d bytes of the snapshot, want none (its index holds the table of contents)", st.Read)
	}
	tables := s.TOC().Tables
	var last extract.Name
	for _, tb := range tables {
		if tb.Rows > 0 {
			last = tb.Name
		}
	}
	if _, err := s.Preview(t.Context(), last, 5); err != nil {
		t.Fatalf("preview %s: %v", last, err)
	}
	if st := s.Stats(); st.Read == 0 || st.Read > size/4 {
		t.Errorf("preview of %s read %d of %d bytes, want a few members", last, st.Read, size)
	}
	var out strings.Builder
	if _, err := s.WriteScript(t.Context(), &out, s.TOC().Select([]extract.Name{last}), extract.DataOnly); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Read > size/2 {
		t.Errorf("preview and script of %s read %d of %d bytes", last, st.Read, size)
	}
	if src := s.Source(); !src.Concurrent || src.Key != key {
		t.Errorf("restore source: concurrent %v, key %q; want ranged reads of %s", src.Concurrent, src.Key, key)
	}

	scan, err := ticket.Open(t.Context(), snap, ticket.OpenOptions{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Ranged() || scan.Stats().Read < size/2 {
		t.Errorf("NoIndex: ranged %v, read %d of %d bytes for the table of contents; want a scan", scan.Ranged(), scan.Stats().Read, size)
	}
}
