package catalog_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func versionLister(t *testing.T, s catalog.Store) catalog.VersionLister {
	t.Helper()
	vl, ok := s.(catalog.VersionLister)
	if !ok {
		t.Fatalf("%s does not list versions", s)
	}
	return vl
}

func listVersions(t *testing.T, s catalog.Store, prefix string) []catalog.Object {
	t.Helper()
	var out []catalog.Object
	err := versionLister(t, s).ListVersions(t.Context(), prefix, func(o catalog.Object) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatalf("ListVersions(%q): %v", prefix, err)
	}
	return out
}

// readAll reads what an open call returns: readAll(t)(s.Open(ctx, key)).
func readAll(t *testing.T) func(io.ReadCloser, error) string {
	return func(rc io.ReadCloser, err error) string {
		t.Helper()
		return readBody(t, rc, err)
	}
}

func readBody(t *testing.T, rc io.ReadCloser, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// An overwritten and a deleted snapshot stay listable and readable by
// version id; delete markers are not listed; the current listing carries
// version ids and sees the sidecar.
func TestS3Versions(t *testing.T) {
	m := testenv.StartMinIO(t)
	s := newS3(t, m, m.CreateVersionedBucket(t), "daily")
	ctx := t.Context()
	t1, t2 := now.Add(-days(2)), now.Add(-days(1))
	kept, deleted := catalog.SnapshotKey("p", t2), catalog.SnapshotKey("p", t1)
	storetest.Put(t, s, deleted, []byte("deleted"))
	storetest.Put(t, s, kept, []byte("first"))
	storetest.Put(t, s, kept, []byte("second!"))
	storetest.Put(t, s, kept+catalog.IndexSuffix, []byte("{}"))
	storetest.Put(t, s, "q/"+catalog.SnapshotKey("q", t1), []byte("other project"))
	if err := s.Delete(ctx, deleted); err != nil {
		t.Fatal(err)
	}

	vs := listVersions(t, s, "p/")
	type row struct {
		key        string
		size       int64
		noncurrent bool
	}
	var got []row
	for _, o := range vs {
		got = append(got, row{o.Key, o.Size, o.Noncurrent})
		if o.VersionID == "" || o.ETag == "" || o.ModTime.IsZero() {
			t.Errorf("version %+v lacks its id, ETag or time", o)
		}
	}
	want := []row{{deleted, 7, true}, {kept, 7, false}, {kept, 5, true}, {kept + catalog.IndexSuffix, 2, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("ListVersions = %+v, want %+v", got, want)
	}

	vl := versionLister(t, s)
	for _, o := range vs {
		rc, err := vl.OpenVersion(ctx, o.Key, o.VersionID)
		if body := readBody(t, rc, err); int64(len(body)) != o.Size {
			t.Errorf("OpenVersion(%s, %s) = %q, want %d bytes", o.Key, o.VersionID, body, o.Size)
		}
	}
	if body := readAll(t)(catalog.OpenSnapshot(ctx, s, kept, vs[2].VersionID)); body != "first" {
		t.Errorf("OpenSnapshot of the overwritten version = %q, want %q", body, "first")
	}
	if body := readAll(t)(catalog.OpenSnapshot(ctx, s, kept, "")); body != "second!" {
		t.Errorf("OpenSnapshot of the current version = %q", body)
	}
	_, err := vl.OpenVersion(ctx, kept, "00000000-0000-0000-0000-000000000000")
	if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), kept) {
		t.Errorf("OpenVersion of a missing version: %v, want ErrNotFound naming %s", err, kept)
	}

	current, err := catalog.ListSnapshotVersions(ctx, s, "p", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 1 || current[0].Key != kept || current[0].VersionID != vs[1].VersionID || !current[0].Indexed || current[0].Noncurrent {
		t.Errorf("current snapshots = %+v, want %s version %s, indexed", current, kept, vs[1].VersionID)
	}
	all, err := catalog.ListSnapshotVersions(ctx, s, "p", true)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range all {
		ids = append(ids, s.VersionID)
	}
	if wantIDs := []string{vs[1].VersionID, vs[2].VersionID, vs[0].VersionID}; !slices.Equal(ids, wantIDs) {
		t.Errorf("all snapshot versions %q, want %q (newest snapshot first, current version first)", ids, wantIDs)
	}
}

// In a bucket that never had versioning, every object is one current
// version without an id, readable without one.
func TestS3VersionsUnversionedBucket(t *testing.T) {
	m := testenv.StartMinIO(t)
	s := newS3(t, m, m.CreateBucket(t), "")
	key := catalog.SnapshotKey("p", now)
	storetest.Put(t, s, key, []byte("x"))
	vs := listVersions(t, s, "")
	if len(vs) != 1 || vs[0].Key != key || vs[0].VersionID != "" || vs[0].Noncurrent {
		t.Fatalf("ListVersions = %+v, want one current version of %s without an id", vs, key)
	}
	if body := readAll(t)(versionLister(t, s).OpenVersion(t.Context(), key, "")); body != "x" {
		t.Errorf("OpenVersion = %q", body)
	}
}

// More versions than one ListObjectVersions page (1,000) are all listed,
// once each, also where a page ends between two versions of one key.
func TestS3VersionsPaginate(t *testing.T) {
	m := testenv.StartMinIO(t)
	s := newS3(t, m, m.CreateVersionedBucket(t), "daily")
	const n = 601 // two versions each: 1,202 versions
	var keys []string
	for i := range n {
		keys = append(keys, catalog.SnapshotKey("p", now.Add(-time.Duration(i)*time.Hour)))
	}
	putParallel(t, s, keys, 2)
	vs := listVersions(t, s, "p/")
	if len(vs) != 2*n {
		t.Fatalf("ListVersions listed %d versions, want %d", len(vs), 2*n)
	}
	seen := make(map[string]bool)
	for i, o := range vs {
		if seen[o.VersionID] {
			t.Fatalf("version %s of %s listed twice", o.VersionID, o.Key)
		}
		seen[o.VersionID] = true
		if wantNoncurrent := i%2 == 1; o.Noncurrent != wantNoncurrent || o.Key != vs[i-i%2].Key {
			t.Fatalf("version %d: %+v; want versions paired by key, current first", i, o)
		}
	}
}

// putParallel writes every key times times, small bodies, a few at once.
func putParallel(t testing.TB, s catalog.Store, keys []string, times int) {
	t.Helper()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for k := range work {
				for i := range times {
					storetest.Put(t, s, k, fmt.Appendf(nil, "%s version %d", k, i))
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
}

// A local store keeps no versions: listing falls back to the current
// objects, and naming a version is an error that says what to do instead.
func TestLocalStoreHasNoVersions(t *testing.T) {
	s := newLocal(t, t.TempDir())
	if _, ok := s.(catalog.VersionLister); ok {
		t.Fatal("local store claims to keep versions")
	}
	key := catalog.SnapshotKey("p", now)
	storetest.Put(t, s, key, []byte("x"))
	snaps, err := catalog.ListSnapshotVersions(t.Context(), s, "p", true)
	if err != nil || len(snaps) != 1 || snaps[0].Key != key {
		t.Fatalf("ListSnapshotVersions = %+v, %v", snaps, err)
	}
	_, err = catalog.OpenSnapshot(t.Context(), s, key, "v1")
	if err == nil || !strings.Contains(err.Error(), "without a version id") {
		t.Errorf("OpenSnapshot with a version in a local store: %v", err)
	}
}
