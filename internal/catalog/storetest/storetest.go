package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
)

// LargeSize is the size of the suite's large objects: more than two parts
// when the store's part size is the S3 minimum of 5 MiB, which is what a
// factory should configure to exercise multipart uploads.
const LargeSize = 12<<20 + 12345

// Run runs every conformance test against fresh, empty stores made by
// newStore (called once per subtest).
func Run(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, catalog.Store)
	}{
		{"CommitSmall", testCommitSmall},
		{"CommitEmpty", testCommitEmpty},
		{"CommitLarge", testCommitLarge},
		{"InvisibleBeforeCommit", testInvisibleBeforeCommit},
		{"AbortSmall", testAbortSmall},
		{"AbortAfterParts", testAbortAfterParts},
		{"AbortAfterCommit", testAbortAfterCommit},
		{"CancelBeforeCommit", testCancelBeforeCommit},
		{"CancelDuringWrite", testCancelDuringWrite},
		{"ListPrefix", testListPrefix},
		{"ListLexicalOrder", testListLexicalOrder},
		{"ListEmpty", testListEmpty},
		{"ListStopsOnError", testListStopsOnError},
		{"ListDirs", testListDirs},
		{"ListDirsHidesUncommitted", testListDirsHidesUncommitted},
		{"ListDirsStopsOnError", testListDirsStopsOnError},
		{"Delete", testDelete},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"OpenRange", testOpenRange},
		{"OpenRangeLarge", testOpenRangeLarge},
		{"OpenRangeNotFound", testOpenRangeNotFound},
		{"CreateExclusiveNew", testCreateExclusiveNew},
		{"CreateExclusiveExists", testCreateExclusiveExists},
		{"CreateExclusiveRace", testCreateExclusiveRace},
		{"CreateExclusiveConcurrent", testCreateExclusiveConcurrent},
		{"SweepPartialSparesLive", testSweepPartialSparesLive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func testCommitSmall(t *testing.T, s catalog.Store) {
	data := []byte("-- a tiny dump\n")
	Put(t, s, "p/20260101T000000Z.sql.gz", data)
	assertContent(t, s, "p/20260101T000000Z.sql.gz", data)
}

func testCommitEmpty(t *testing.T, s catalog.Store) {
	Put(t, s, "p/empty", nil)
	assertContent(t, s, "p/empty", nil)
}

func testCommitLarge(t *testing.T, s catalog.Store) {
	data := randomBytes(LargeSize)
	Put(t, s, "p/large", data)
	assertContent(t, s, "p/large", data)
}

func testInvisibleBeforeCommit(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	for _, size := range []int{100, LargeSize} {
		w, err := s.Create(ctx, "p/pending")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		writeAll(t, w, randomBytes(size))
		assertAbsent(t, s, "p/pending")
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
	}
}

func testAbortSmall(t *testing.T, s catalog.Store) {
	w, err := s.Create(t.Context(), "p/aborted")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeAll(t, w, []byte("discard me"))
	abortTwice(t, w)
	assertAbsent(t, s, "p/aborted")
	assertKeys(t, s, "", nil)
}

func testAbortAfterParts(t *testing.T, s catalog.Store) {
	w, err := s.Create(t.Context(), "p/aborted")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeAll(t, w, randomBytes(LargeSize))
	abortTwice(t, w)
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	assertAbsent(t, s, "p/aborted")
	assertKeys(t, s, "", nil)
}

func testAbortAfterCommit(t *testing.T, s catalog.Store) {
	w, err := s.Create(t.Context(), "p/kept")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeAll(t, w, []byte("keep me"))
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	assertContent(t, s, "p/kept", []byte("keep me"))
}

// testCancelBeforeCommit cancels while the object is still buffered (no
// part uploaded yet): Commit must fail rather than publish it.
func testCancelBeforeCommit(t *testing.T, s catalog.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "p/cancelled")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeAll(t, w, []byte("half a dump"))
	cancel()
	if err := w.Commit(); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit after cancel = %v, want context.Canceled", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after cancel: %v", err)
	}
	assertAbsent(t, s, "p/cancelled")
	assertKeys(t, s, "", nil)
}

// testCancelDuringWrite cancels after several parts were written, as SIGTERM
// would: the next Write (or else Commit) fails, and Abort, called with the
// cancelled context, still cleans up.
func testCancelDuringWrite(t *testing.T, s catalog.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "p/cancelled")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	data := randomBytes(LargeSize)
	writeAll(t, w, data[:LargeSize/2])
	cancel()
	_, werr := w.Write(data[LargeSize/2:])
	if werr == nil {
		werr = w.Commit()
	}
	if !errors.Is(werr, context.Canceled) {
		t.Errorf("Write/Commit after cancel = %v, want context.Canceled", werr)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after cancel: %v", err)
	}
	assertAbsent(t, s, "p/cancelled")
	assertKeys(t, s, "", nil)
}

func testListPrefix(t *testing.T, s catalog.Store) {
	for _, k := range []string{"b/1", "ab/1", "a/2", "a/1"} {
		Put(t, s, k, []byte(k))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2"}},
		{"a", []string{"a/1", "a/2", "ab/1"}},
		{"", []string{"a/1", "a/2", "ab/1", "b/1"}},
		{"a/1", []string{"a/1"}},
		{"a/1/", nil},
		{"ab/1/x", nil},
		{"c", nil},
		{"c/", nil},
	}
	for _, c := range cases {
		assertKeys(t, s, c.prefix, c.want)
	}
	err := s.List(t.Context(), "a/", func(o catalog.Object) error {
		if o.Size != int64(len(o.Key)) || o.ModTime.IsZero() {
			t.Errorf("List gave %+v, want size %d and a modification time", o, len(o.Key))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
}

// testListLexicalOrder checks byte-wise key order across directory levels:
// '-' < '/' < '0', so "x/a-b/1" < "x/a/1" < "x/a0".
func testListLexicalOrder(t *testing.T, s catalog.Store) {
	want := []string{"x/a-b/1", "x/a/1", "x/a/1-2", "x/a/10", "x/a/2", "x/a0", "x/ab/1"}
	for _, i := range rand.Perm(len(want)) {
		Put(t, s, want[i], []byte("x"))
	}
	assertKeys(t, s, "x/", want)
	assertKeys(t, s, "x/a", want)
	assertKeys(t, s, "x/a/", want[1:5])
}

func testListEmpty(t *testing.T, s catalog.Store) {
	assertKeys(t, s, "", nil)
	assertKeys(t, s, "a/", nil)
	assertKeys(t, s, "a", nil)
}

func testListStopsOnError(t *testing.T, s catalog.Store) {
	for _, k := range []string{"a/1", "a/2", "a/3"} {
		Put(t, s, k, []byte(k))
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.List(t.Context(), "a/", func(catalog.Object) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

// testListDirs checks that ListDirs names the folders List would find
// objects in, one level deep, in the byte-wise order of name+"/" ('-' <
// '/' < '0', so "a-b" < "a" < "a0"), and not objects or deeper folders.
func testListDirs(t *testing.T, s catalog.Store) {
	assertDirs(t, s, "", nil)
	for _, k := range []string{"a0/1", "a/1", "a/x/2", "a-b/deep/er/3", "top", "c/d/e/4", "c/5"} {
		Put(t, s, k, []byte(k))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-b", "a", "a0", "c"}},
		{"a/", []string{"x"}},
		{"a-b/", []string{"deep"}},
		{"c/", []string{"d"}},
		{"c/d/", []string{"e"}},
		{"c/d/e/", nil},
		{"nothing/", nil},
	}
	for _, c := range cases {
		assertDirs(t, s, c.prefix, c.want)
	}
	// A folder emptied of its objects is gone.
	if err := s.Delete(t.Context(), "a0/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertDirs(t, s, "", []string{"a-b", "a", "c"})
	for _, bad := range []string{"a", "/a/", "../", "a//"} {
		if err := s.ListDirs(t.Context(), bad, func(string) error { return nil }); err == nil {
			t.Errorf("ListDirs(%q) succeeded, want an error: a prefix names a folder, ending in \"/\"", bad)
		}
	}
}

// testListDirsHidesUncommitted: a folder whose only object is still being
// written (or was aborted) is not listed, as List does not list the object.
func testListDirsHidesUncommitted(t *testing.T, s catalog.Store) {
	Put(t, s, "done/1", []byte("one"))
	for _, size := range []int{100, LargeSize} {
		w, err := s.Create(t.Context(), "pending/1")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		writeAll(t, w, randomBytes(size))
		assertDirs(t, s, "", []string{"done"})
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		assertDirs(t, s, "", []string{"done"})
	}
}

func testListDirsStopsOnError(t *testing.T, s catalog.Store) {
	for _, k := range []string{"a/1", "b/1", "c/1"} {
		Put(t, s, k, []byte(k))
	}
	stop := errors.New("stop here")
	calls := 0
	err := s.ListDirs(t.Context(), "", func(string) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ListDirs = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func assertDirs(t *testing.T, s catalog.Store, prefix string, want []string) {
	t.Helper()
	var got []string
	err := s.ListDirs(t.Context(), prefix, func(name string) error {
		got = append(got, name)
		return nil
	})
	if err != nil {
		t.Fatalf("ListDirs(%q): %v", prefix, err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListDirs(%q) = %q, want %q", prefix, got, want)
	}
}

func testDelete(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	Put(t, s, "p/1", []byte("one"))
	Put(t, s, "p/2", []byte("two"))
	if err := s.Delete(ctx, "p/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertAbsent(t, s, "p/1")
	assertKeys(t, s, "", []string{"p/2"})
	for _, k := range []string{"p/1", "p/never", "never/1"} {
		if err := s.Delete(ctx, k); err != nil {
			t.Errorf("Delete of missing %s = %v, want nil", k, err)
		}
	}
	if err := s.Delete(ctx, "p/2"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertKeys(t, s, "", nil)
	Put(t, s, "p/3", []byte("three")) // the store still works once empty
	assertContent(t, s, "p/3", []byte("three"))
}

func testOverwrite(t *testing.T, s catalog.Store) {
	Put(t, s, "p/key", []byte("the old content, which is longer"))
	Put(t, s, "p/key", []byte("new"))
	assertContent(t, s, "p/key", []byte("new"))
	assertKeys(t, s, "", []string{"p/key"})
}

func testNotFound(t *testing.T, s catalog.Store) {
	Put(t, s, "p/other", []byte("x"))
	for _, k := range []string{"p/missing", "missing/1", "p"} {
		assertAbsent(t, s, k)
	}
}

func testInvalidKeys(t *testing.T, s catalog.Store) {
	ctx := t.Context()
	for _, k := range []string{"", "/abs", "a/../b", "..", "a//b", "a/", `a\b`, ".hidden", "a/.partial"} {
		if w, err := s.Create(ctx, k); err == nil {
			w.Abort()
			t.Errorf("Create(%q) succeeded, want an error", k)
		}
		if w, err := s.CreateExclusive(ctx, k); err == nil {
			w.Abort()
			t.Errorf("CreateExclusive(%q) succeeded, want an error", k)
		}
	}
	assertKeys(t, s, "", nil)
}

func testOpenRange(t *testing.T, s catalog.Store) {
	data := []byte("0123456789abcdefghij")
	Put(t, s, "p/range", data)
	n := int64(len(data))
	cases := []struct {
		offset, length int64
		want           string
	}{
		{0, 5, "01234"},       // start
		{7, 4, "789a"},        // middle
		{15, 5, "fghij"},      // end
		{15, -1, "fghij"},     // to the end
		{0, -1, string(data)}, // whole
		{0, n, string(data)},  // whole, exactly
		{16, 100, "ghij"},     // reaching past the end
		{n - 1, 1, "j"},       // last byte
		{n, 10, ""},           // at the end
		{n + 5, 10, ""},       // beyond the end
		{n + 5, -1, ""},       // beyond the end, to the end
		{3, 0, ""},            // empty
	}
	for _, c := range cases {
		got := readRange(t, s, "p/range", c.offset, c.length)
		if got != c.want {
			t.Errorf("OpenRange(%d, %d) = %q, want %q", c.offset, c.length, got, c.want)
		}
	}
	for _, bad := range [][2]int64{{-1, 5}, {0, -2}} {
		if r, err := s.OpenRange(t.Context(), "p/range", bad[0], bad[1]); err == nil {
			r.Close()
			t.Errorf("OpenRange(%d, %d) succeeded, want an error", bad[0], bad[1])
		}
	}
	Put(t, s, "p/empty", nil)
	if got := readRange(t, s, "p/empty", 0, -1); got != "" {
		t.Errorf("OpenRange of an empty object = %q", got)
	}
}

// testOpenRangeLarge reads ranges that straddle multipart part boundaries.
func testOpenRangeLarge(t *testing.T, s catalog.Store) {
	data := randomBytes(LargeSize)
	Put(t, s, "p/large", data)
	for _, r := range [][2]int64{{0, 1 << 20}, {5<<20 - 100, 200}, {LargeSize - 1000, 1000}, {LargeSize - 10, -1}, {10<<20 + 3, 1<<20 + 5}} {
		got := readRange(t, s, "p/large", r[0], r[1])
		end := int64(LargeSize)
		if r[1] >= 0 {
			end = r[0] + r[1]
		}
		if !bytes.Equal([]byte(got), data[r[0]:end]) {
			t.Errorf("OpenRange(%d, %d): %d bytes that differ from the object's", r[0], r[1], len(got))
		}
	}
}

func testOpenRangeNotFound(t *testing.T, s catalog.Store) {
	Put(t, s, "p/other", []byte("x"))
	for _, k := range []string{"p/missing", "missing/1", "p"} {
		for _, r := range [][2]int64{{0, -1}, {0, 10}, {5, 0}} {
			rc, err := s.OpenRange(t.Context(), k, r[0], r[1])
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("OpenRange(%s, %d, %d) = %v, want ErrNotFound", k, r[0], r[1], err)
			} else if !strings.Contains(err.Error(), k) {
				t.Errorf("OpenRange error %q does not name the key %s", err, k)
			}
		}
	}
}

// An exclusive writer commits like any other where nothing exists.
func testCreateExclusiveNew(t *testing.T, s catalog.Store) {
	for _, size := range []int{0, 100, LargeSize} {
		key := fmt.Sprintf("p/new-%d", size)
		data := randomBytes(size)
		w, err := s.CreateExclusive(t.Context(), key)
		if err != nil {
			t.Fatalf("CreateExclusive: %v", err)
		}
		writeAll(t, w, data)
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit of %d bytes to a free key: %v", size, err)
		}
		assertContent(t, s, key, data)
	}
}

// An exclusive writer never replaces what is there, whatever its size,
// and leaves nothing behind; a plain writer still overwrites.
func testCreateExclusiveExists(t *testing.T, s catalog.Store) {
	old := []byte("the first snapshot")
	Put(t, s, "p/key", old)
	for _, size := range []int{0, 100, LargeSize} {
		w, err := s.CreateExclusive(t.Context(), "p/key")
		if err != nil {
			t.Fatalf("CreateExclusive: %v", err)
		}
		writeAll(t, w, randomBytes(size))
		if err := w.Commit(); !errors.Is(err, catalog.ErrExists) {
			t.Errorf("Commit of %d bytes over an object = %v, want ErrExists", size, err)
		} else if !strings.Contains(err.Error(), "p/key") {
			t.Errorf("Commit error %q does not name the key", err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after a refused Commit: %v", err)
		}
		assertContent(t, s, "p/key", old)
		assertKeys(t, s, "", []string{"p/key"})
	}
	Put(t, s, "p/key", []byte("replaced"))
	assertContent(t, s, "p/key", []byte("replaced"))
}

// Of two exclusive writers started before either committed, the first to
// commit wins and the second is refused: the check is made at Commit.
func testCreateExclusiveRace(t *testing.T, s catalog.Store) {
	for _, size := range []int{100, LargeSize} {
		key := fmt.Sprintf("p/race-%d", size)
		first, second := randomBytes(size), randomBytes(size+1)
		w1, err := s.CreateExclusive(t.Context(), key)
		if err != nil {
			t.Fatalf("CreateExclusive: %v", err)
		}
		w2, err := s.CreateExclusive(t.Context(), key)
		if err != nil {
			t.Fatalf("CreateExclusive: %v", err)
		}
		writeAll(t, w1, first)
		writeAll(t, w2, second)
		if err := w1.Commit(); err != nil {
			t.Fatalf("first Commit: %v", err)
		}
		if err := w2.Commit(); !errors.Is(err, catalog.ErrExists) {
			t.Errorf("second Commit = %v, want ErrExists", err)
		}
		assertContent(t, s, key, first)
	}
}

// Writers committing at once: exactly one succeeds, and the object holds
// what it wrote.
func testCreateExclusiveConcurrent(t *testing.T, s catalog.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.CreateExclusive(t.Context(), "p/contended")
			if err != nil {
				errs[i] = err
				return
			}
			if _, err := w.Write([]byte(fmt.Sprint("writer ", i))); err != nil {
				w.Abort()
				errs[i] = err
				return
			}
			if errs[i] = w.Commit(); errs[i] != nil {
				w.Abort()
			}
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both committed", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, catalog.ErrExists):
			t.Errorf("writer %d: %v, want ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer committed")
	}
	assertContent(t, s, "p/contended", []byte(fmt.Sprint("writer ", winner)))
	assertKeys(t, s, "", []string{"p/contended"})
}

// A store that sweeps what killed writes left (catalog.PartialSweeper)
// never takes an object, or a write still running, for that.
func testSweepPartialSparesLive(t *testing.T, s catalog.Store) {
	sw, ok := s.(catalog.PartialSweeper)
	if !ok {
		t.Skip("not a PartialSweeper")
	}
	Put(t, s, "p/1", []byte("one"))
	w, err := s.Create(t.Context(), "p/2")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	data := randomBytes(LargeSize) // a multipart upload, on S3
	writeAll(t, w, data)
	for _, prefix := range []string{"p/", ""} {
		if n, err := sw.SweepPartial(t.Context(), prefix, catalog.PartialMaxAge); err != nil || n != 0 {
			t.Errorf("SweepPartial(%q) = %d, %v; want 0, nil", prefix, n, err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit after a sweep: %v", err)
	}
	assertContent(t, s, "p/1", []byte("one"))
	assertContent(t, s, "p/2", data)
	if _, err := sw.SweepPartial(t.Context(), "p", catalog.PartialMaxAge); err == nil {
		t.Error(`SweepPartial("p") succeeded, want an error: a prefix names a directory`)
	}
}

func readRange(t *testing.T, s catalog.Store, key string, offset, length int64) string {
	t.Helper()
	r, err := s.OpenRange(t.Context(), key, offset, length)
	if err != nil {
		t.Fatalf("OpenRange(%s, %d, %d): %v", key, offset, length, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read OpenRange(%s, %d, %d): %v", key, offset, length, err)
	}
	return string(b)
}

// Put writes and commits one object, in chunks that straddle part
// boundaries; any failure fails the test.
func Put(t testing.TB, s catalog.Store, key string, data []byte) {
	t.Helper()
	w, err := s.Create(t.Context(), key)
	if err != nil {
		t.Fatalf("Create %s: %v", key, err)
	}
	writeAll(t, w, data)
	if err := w.Commit(); err != nil {
		w.Abort()
		t.Fatalf("Commit %s: %v", key, err)
	}
}

func writeAll(t testing.TB, w catalog.ObjectWriter, data []byte) {
	t.Helper()
	const chunk = 1<<20 + 7
	for len(data) > 0 {
		n := min(chunk, len(data))
		if m, err := w.Write(data[:n]); err != nil || m != n {
			w.Abort()
			t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
		}
		data = data[n:]
	}
}

func abortTwice(t *testing.T, w catalog.ObjectWriter) {
	t.Helper()
	for range 2 {
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
	}
}

func assertContent(t *testing.T, s catalog.Store, key string, want []byte) {
	t.Helper()
	ctx := t.Context()
	r, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes that differ from the %d written", key, len(got), len(want))
	}
	o, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat %s: %v", key, err)
	}
	if o.Key != key || o.Size != int64(len(want)) || o.ModTime.IsZero() {
		t.Errorf("Stat %s = %+v, want key %s and size %d", key, o, key, len(want))
	}
}

// assertAbsent checks that nothing is visible at key.
func assertAbsent(t *testing.T, s catalog.Store, key string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // callers may have cancelled theirs
	if o, err := s.Stat(ctx, key); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Stat %s = %+v, %v; want ErrNotFound", key, o, err)
	} else if !strings.Contains(err.Error(), key) {
		t.Errorf("Stat error %q does not name the key %s", err, key)
	}
	if r, err := s.Open(ctx, key); !errors.Is(err, catalog.ErrNotFound) {
		if err == nil {
			r.Close()
		}
		t.Errorf("Open %s = %v, want ErrNotFound", key, err)
	}
	if keys := Keys(t, s, key); slices.Contains(keys, key) {
		t.Errorf("List shows %s", key)
	}
}

func assertKeys(t *testing.T, s catalog.Store, prefix string, want []string) {
	t.Helper()
	if got := Keys(t, s, prefix); !slices.Equal(got, want) {
		t.Errorf("List(%q) = %q, want %q", prefix, got, want)
	}
}

// Keys lists the keys under prefix, in the store's order; a failure fails
// the test.
func Keys(t testing.TB, s catalog.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.WithoutCancel(t.Context()), prefix, func(o catalog.Object) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	r.Read(b)
	return b
}
