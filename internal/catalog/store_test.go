package catalog_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestLocalStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) catalog.Store {
		return newLocal(t, t.TempDir())
	})
}

func newLocal(t *testing.T, dir string) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	return s
}

// Opening a store, or listing a store that does not exist yet, creates
// nothing; the first write creates the directories.
func TestLocalStoreCreatesNothingUntilWritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := newLocal(t, dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("NewLocal created %s (%v)", dir, err)
	}
	if err := s.List(t.Context(), "", func(catalog.Object) error { return nil }); err != nil {
		t.Fatalf("List of a missing directory: %v", err)
	}
	w, err := s.Create(t.Context(), "p/1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	w.Write([]byte("x"))
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "p", "1")); err != nil {
		t.Fatal(err)
	}
}

func TestLocalStoreString(t *testing.T) {
	t.Chdir(t.TempDir())
	s := newLocal(t, "rel/dir")
	wd, _ := os.Getwd()
	if want := "file://" + filepath.ToSlash(filepath.Join(wd, "rel", "dir")); s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
}

// Partial writes are hidden files next to their destination; List skips
// them, and hidden files left by a crash never show up.
func TestLocalStorePartialFilesHidden(t *testing.T) {
	dir := t.TempDir()
	s := newLocal(t, dir)
	w, err := s.Create(t.Context(), "p/20260101T000000Z.sql.gz")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort()
	w.Write([]byte("partial"))
	entries, _ := os.ReadDir(filepath.Join(dir, "p"))
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".20260101T000000Z.sql.gz.partial-") {
		t.Fatalf("directory holds %v, want one hidden partial file", entries)
	}
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o600)
	os.MkdirAll(filepath.Join(dir, ".trash"), 0o755)
	os.WriteFile(filepath.Join(dir, ".trash", "x"), []byte("x"), 0o600)
	var keys []string
	s.List(t.Context(), "", func(o catalog.Object) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 0 {
		t.Errorf("List = %q, want nothing", keys)
	}
}

// Deleting the last object of a project removes its now-empty directory,
// but never the store's root.
func TestLocalStoreDeleteRemovesEmptyDirs(t *testing.T) {
	dir := t.TempDir()
	s := newLocal(t, dir)
	ctx := t.Context()
	w, _ := s.Create(ctx, "p/q/1")
	w.Commit()
	if err := s.Delete(ctx, "p/q/1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "p")); !os.IsNotExist(err) {
		t.Errorf("empty directory p left behind (%v)", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("root removed: %v", err)
	}
}

// TestOpenURL: every way of naming a store on the command line opens the
// store it names, and a malformed name says what to write instead.
func TestOpenURL(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"store", "rel/store"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		url, want, wantErr string
	}{
		{url: "s3://" + bucket + "/backups/daily/", want: "s3://" + bucket + "/backups/daily"},
		{url: "s3://" + bucket, want: "s3://" + bucket},
		{url: "file://" + dir + "/store", want: "file://" + dir + "/store"},
		{url: dir + "/store", want: "file://" + dir + "/store"},
		{url: "rel/store", want: "file://" + dir + "/rel/store"},
		{url: "", wantErr: "no snapshot store given"},
		{url: "s3:///prefix", wantErr: "has no bucket"},
		{url: "file://otherhost/dir", wantErr: "names a remote host"},
		{url: "gs://bucket/x", wantErr: `unsupported scheme "gs"`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := catalog.Open(t.Context(), tt.url, m.Options())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v, want an error containing %q", tt.url, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			if s.String() != tt.want {
				t.Errorf("Open(%q).String() = %q, want %q", tt.url, s.String(), tt.want)
			}
		})
	}
}

// SweepPartial removes the partial-write files under the prefix whose last
// write is older than the age given, at any depth, and nothing else.
func TestLocalStoreSweepPartial(t *testing.T) {
	dir := t.TempDir()
	s := newLocal(t, dir)
	old := time.Now().Add(-48 * time.Hour)
	files := []struct {
		name  string
		old   bool
		swept bool
	}{
		{"ref/.20260101T000000Z.sql.gz.partial-123", true, true},
		{"ref/pre-restore/.20260101T000000Z-id.sql.gz.partial-456", true, true},
		{"ref/.20260102T000000Z.sql.gz.partial-789", false, false}, // a write that may be running
		{"ref/.hidden", true, false},                               // not a partial write
		{"ref/20260101T000000Z.sql.gz", true, false},               // an object
		{"ref2/.20260101T000000Z.sql.gz.partial-123", true, false}, // another project
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	sweeper, ok := s.(catalog.PartialSweeper)
	if !ok {
		t.Fatal("the local store is no PartialSweeper")
	}
	for _, want := range []int{2, 0} { // the second time finds nothing left
		n, err := sweeper.SweepPartial(t.Context(), "ref/", catalog.PartialMaxAge)
		if err != nil || n != want {
			t.Errorf("SweepPartial(ref/) = %d, %v; want %d", n, err, want)
		}
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.name)))
		if gone := errors.Is(err, fs.ErrNotExist); gone != f.swept {
			t.Errorf("%s: swept = %v, want %v", f.name, gone, f.swept)
		}
	}
	// A project never written has nothing to sweep; the empty prefix is
	// the whole store.
	for prefix, want := range map[string]int{"missing/": 0, "": 1} {
		if n, err := sweeper.SweepPartial(t.Context(), prefix, catalog.PartialMaxAge); err != nil || n != want {
			t.Errorf("SweepPartial(%q) = %d, %v; want %d, nil", prefix, n, err, want)
		}
	}
	for _, prefix := range []string{"../", "ref", "/ref/", ".partial/"} {
		if _, err := sweeper.SweepPartial(t.Context(), prefix, catalog.PartialMaxAge); err == nil {
			t.Errorf("SweepPartial(%q) succeeded, want an invalid prefix", prefix)
		}
	}
}
