// Package tickettest helps tests put snapshots into stores as the backup
// job leaves them: many gzip members, with a sidecar index.
package tickettest

import (
	"bytes"
	"compress/gzip"
	"os"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// CorpusSnapshot puts the corpus's "platform" dump into a fresh bucket of
// the shared MinIO (store prefix "daily") as project proj's snapshot, in
// members of 8 KiB of text with its index, and returns the store, the
// snapshot's key and its size.
func CorpusSnapshot(t testing.TB) (store catalog.Store, key string, size int64) {
	t.Helper()
	pg := testenv.StartPostgres(t)
	dump, err := os.ReadFile(pg.Corpus(t, "platform")[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	m := testenv.StartMinIO(t)
	store, err = catalog.NewS3(t.Context(), m.CreateBucket(t), "daily", m.Options())
	if err != nil {
		t.Fatal(err)
	}
	key = "proj/20261122T030000Z.sql.gz"
	return store, key, PutIndexed(t, store, key, dump, 8<<10)
}

// PutIndexed stores the plain dump at key of s gzipped in members of about
// memberSize bytes of text (cut at line ends, as the backup job cuts them
// at COPY boundaries), and its index beside it. It returns the snapshot's
// size.
func PutIndexed(t testing.TB, s catalog.Store, key string, dump []byte, memberSize int) int64 {
	t.Helper()
	var gz bytes.Buffer
	for len(dump) > 0 {
		n := min(memberSize, len(dump))
		if i := bytes.IndexByte(dump[n:], '\n'); i >= 0 {
			n += i + 1
		} else {
			n = len(dump)
		}
		w := gzip.NewWriter(&gz)
		if _, err := w.Write(dump[:n]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		dump = dump[n:]
	}
	storetest.Put(t, s, key, gz.Bytes())
	obj, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := extract.IndexSnapshotStream(t.Context(), bytes.NewReader(gz.Bytes()), obj.Size, obj.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if err := extract.StoreIndex(t.Context(), s, key, ix); err != nil {
		t.Fatal(err)
	}
	return obj.Size
}
