//go:build unix

package outfile

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteMode: the file is 0600, less what a stricter umask takes away,
// whatever was at the path before; a failed or cancelled write leaves
// nothing.
func TestWriteMode(t *testing.T) {
	tests := []struct {
		name   string
		umask  int
		file   string
		before os.FileMode // a file already at the path, 0 for none
		want   os.FileMode
	}{
		{"usual umask", 0o022, "a.sql", 0, 0o600},
		{"no umask", 0, "a.sql", 0, 0o600},
		{"strict umask", 0o077, "a.sql", 0, 0o600},
		{"stricter umask", 0o277, "a.sql", 0, 0o400},
		{"gzipped", 0o022, "a.sql.gz", 0, 0o600},
		{"replaces a world-readable file", 0o022, "a.sql", 0o644, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if tt.before != 0 {
				if err := os.WriteFile(path, []byte("old"), tt.before); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tt.before)
			}
			old := syscall.Umask(tt.umask)
			_, err := Write(context.Background(), path, func(w io.Writer) error {
				_, err := io.WriteString(w, "COPY public.orders FROM stdin;\n")
				return err
			})
			syscall.Umask(old)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.want {
				t.Errorf("mode %v, want %v", got, tt.want)
			}
			f, _ := os.Open(path)
			defer f.Close()
			var r io.Reader = f
			if filepath.Ext(path) == ".gz" {
				if r, err = gzip.NewReader(f); err != nil {
					t.Fatal(err)
				}
			}
			if b, _ := io.ReadAll(r); string(b) != "COPY public.orders FROM stdin;\n" {
				t.Errorf("content %q", b)
			}
			assertOnly(t, dir, tt.file)
		})
	}
}

func TestWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("boom")
	if _, err := Write(context.Background(), filepath.Join(dir, "a.sql"), func(w io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, filepath.Join(dir, "b.sql"), func(w io.Writer) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	assertOnly(t, dir)
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) || (len(names) > 0 && got[0] != names[0]) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestCreateRefuses: Create never replaces a file, a symbolic link (even
// a dangling one) or a directory at its path: not one there before, nor
// one that appears while it writes. What was there stays as it was, and
// no temporary file is left.
func TestCreateRefuses(t *testing.T) {
	tests := []struct {
		name string
		// before puts something at path before Create; during, while the
		// script is written.
		before, during func(t *testing.T, path string)
	}{
		{name: "a file", before: writeOld},
		{name: "a dangling symbolic link", before: func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(path), "nowhere"), path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a directory", before: func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a file that appears meanwhile", during: writeOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.sql")
			if tt.before != nil {
				tt.before(t, path)
			}
			wrote := false
			_, err := Create(context.Background(), path, func(w io.Writer) error {
				wrote = true
				if tt.during != nil {
					tt.during(t, path)
				}
				_, err := io.WriteString(w, "new")
				return err
			})
			if !errors.Is(err, os.ErrExist) {
				t.Fatalf("Create over %s: %v, want os.ErrExist", tt.name, err)
			}
			if tt.before != nil && wrote {
				t.Error("Create wrote the script before finding the path taken")
			}
			if b, err := os.ReadFile(path); err == nil && string(b) != "old" {
				t.Errorf("the file holds %q", b)
			}
			assertOnly(t, dir, "a.sql")
		})
	}
}

// TestCreateWrites: with the path free, Create writes as Write does.
func TestCreateWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.sql")
	size, err := Create(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	})
	if err != nil || size != 3 {
		t.Fatalf("Create = %d, %v", size, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("the file holds %q", b)
	}
	assertOnly(t, dir, "a.sql")
}

// TestLinkNoReplace: the fallback for file systems without
// RENAME_NOREPLACE refuses a taken path too, and moves the file otherwise.
func TestLinkNoReplace(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "from"), filepath.Join(dir, "to")
	writeOld(t, from)
	writeOld(t, to)
	if err := linkNoReplace(from, to); !errors.Is(err, os.ErrExist) {
		t.Errorf("over a file: %v, want os.ErrExist", err)
	}
	os.Remove(to)
	if err := linkNoReplace(from, to); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, "to")
}

func writeOld(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
}
