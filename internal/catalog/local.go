package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// localStore keeps objects as files under root. Objects being written are
// hidden files next to their destination (".<base>.partial-<random>") and
// appear at their key only by an atomic rename on Commit.
type localStore struct {
	root string // absolute
}

var (
	_ Store          = (*localStore)(nil)
	_ PartialSweeper = (*localStore)(nil)
)

// partialMark is in the name of every partial write's file, after the
// hidden destination name: ".<base>.partial-<random>".
const partialMark = ".partial-"

// NewLocal opens dir as a Store. Nothing is created until the first write,
// so opening a store (for listing, say) never litters.
func NewLocal(dir string) (Store, error) {
	if dir == "" {
		return nil, errors.New("local store: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %q: %w", dir, err)
	}
	return &localStore{root: abs}, nil
}

func (s *localStore) String() string { return "file://" + filepath.ToSlash(s.root) }

// ValidateKey rejects keys that could escape the store's root or collide
// with partial writes: empty, absolute, with backslashes, empty components
// or components starting with "." (which also covers "..").
func validateKey(key string) error {
	if key == "" {
		return errors.New("invalid key: empty")
	}
	if strings.Contains(key, `\`) {
		return fmt.Errorf("invalid key %q: contains a backslash", key)
	}
	for _, c := range strings.Split(key, "/") {
		switch {
		case c == "":
			return fmt.Errorf("invalid key %q: absolute or empty path component", key)
		case strings.HasPrefix(c, "."):
			return fmt.Errorf("invalid key %q: path components must not start with '.'", key)
		}
	}
	return nil
}

// path maps a valid key onto its file.
func (s *localStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

func (s *localStore) Create(ctx context.Context, key string) (ObjectWriter, error) {
	return s.create(ctx, key, false)
}

// CreateExclusive publishes the file with a hard link, which fails if the
// destination exists, instead of a rename, which would replace it.
func (s *localStore) CreateExclusive(ctx context.Context, key string) (ObjectWriter, error) {
	return s.create(ctx, key, true)
}

func (s *localStore) create(ctx context.Context, key string, exclusive bool) (ObjectWriter, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dst := s.path(key)
	f, err := createTemp(filepath.Dir(dst), "."+filepath.Base(dst)+partialMark+"*")
	if err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", key, s, err)
	}
	return &localWriter{ctx: ctx, f: f, dst: dst, key: key, exclusive: exclusive}, nil
}

// createTemp creates the temp file, making its directory first. It retries
// once because a concurrent Delete may remove the directory it just made.
func createTemp(dir, pattern string) (*os.File, error) {
	var err error
	for range 2 {
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		var f *os.File
		if f, err = os.CreateTemp(dir, pattern); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
	return nil, err
}

func (s *localStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, s.statErr("open", key, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist // a directory is not an object
		}
		return nil, s.statErr("open", key, err)
	}
	return f, nil
}

func (s *localStore) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := checkRange(key, offset, length); err != nil {
		return nil, err
	}
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	f := rc.(*os.File)
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s in %s at byte %d: %w", key, s, offset, err)
	}
	if length < 0 {
		return f, nil
	}
	return &limitedFile{Reader: io.LimitReader(f, length), f: f}, nil
}

// limitedFile reads part of a file and closes the file.
type limitedFile struct {
	io.Reader
	f *os.File
}

func (l *limitedFile) Close() error { return l.f.Close() }

func (s *localStore) Stat(ctx context.Context, key string) (Object, error) {
	if err := validateKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	fi, err := os.Stat(s.path(key))
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return Object{}, s.statErr("stat", key, err)
	}
	return Object{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// statErr maps a missing file (or a file where a parent directory should
// be) onto ErrNotFound.
func (s *localStore) statErr(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s in %s: %w", op, key, s, ErrNotFound)
	}
	return fmt.Errorf("%s %s in %s: %w", op, key, s, err)
}

func (s *localStore) Delete(ctx context.Context, key string) error {
	if err := validateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := s.path(key)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.IsDir()) {
		return nil // no object at key
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s in %s: %w", key, s, err)
	}
	s.removeEmptyParents(filepath.Dir(p))
	return nil
}

// removeEmptyParents removes dir and its parents up to (not including) the
// root while they are empty, so pruned projects leave no empty directories.
// Failure is harmless: os.Remove refuses non-empty directories.
func (s *localStore) removeEmptyParents(dir string) {
	for dir != s.root && strings.HasPrefix(dir, s.root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// List walks only the directory that the prefix's complete components name.
// Entries are visited in lexical key order: a directory sorts as its name
// plus "/", so "a-b/1" comes before "a/1" just as in S3.
func (s *localStore) List(ctx context.Context, prefix string, fn func(Object) error) error {
	if strings.Contains(prefix, `\`) {
		return fmt.Errorf("invalid prefix %q: contains a backslash", prefix)
	}
	dirKey, _ := path.Split(prefix)
	dirKey = strings.TrimSuffix(dirKey, "/")
	if dirKey != "" {
		if err := validateKey(dirKey); err != nil {
			return fmt.Errorf("invalid prefix %q: %w", prefix, err)
		}
	}
	return s.walk(ctx, dirKey, prefix, fn)
}

// walk lists the directory dirKey ("" for the root), calling fn for the
// regular files whose key starts with prefix and descending into the
// directories that may hold such files.
func (s *localStore) walk(ctx context.Context, dirKey, prefix string, fn func(Object) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(dirKey)))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // never written, pruned concurrently, or a file: no objects
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", s, err)
	}
	sortKey := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	sort.Slice(entries, func(i, j int) bool { return sortKey(entries[i]) < sortKey(entries[j]) })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // partial writes and other hidden files
		}
		key := path.Join(dirKey, e.Name())
		switch {
		case e.IsDir():
			if !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				continue
			}
			if err := s.walk(ctx, key, prefix, fn); err != nil {
				return err
			}
		case e.Type().IsRegular() && strings.HasPrefix(key, prefix):
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since ReadDir
			}
			if err != nil {
				return fmt.Errorf("list %s: %w", s, err)
			}
			if err := fn(Object{Key: key, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListDirs reads the prefix's directory. A subdirectory counts once it
// holds an object: one holding only partial writes (or emptied by a
// concurrent Delete) has none to list, as on S3.
func (s *localStore) ListDirs(ctx context.Context, prefix string, fn func(name string) error) error {
	if err := checkDirPrefix(prefix); err != nil {
		return fmt.Errorf("list folders of %s: %w", s, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dirKey := strings.TrimSuffix(prefix, "/")
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(dirKey)))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // never written: no folders
	}
	if err != nil {
		return fmt.Errorf("list folders of %s: %w", s, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i]+"/" < names[j]+"/" })
	errFound := errors.New("found")
	for _, name := range names {
		key := path.Join(dirKey, name)
		err := s.walk(ctx, key, key+"/", func(Object) error { return errFound })
		switch {
		case err == nil:
			continue // no object in it
		case !errors.Is(err, errFound):
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
	return nil
}

// localWriter writes one object to a hidden temp file and renames it into
// place on Commit. Not safe for concurrent use.
type localWriter struct {
	ctx       context.Context
	f         *os.File
	dst       string
	key       string
	done      bool // committed or aborted
	exclusive bool // never replace an existing file at dst
}

var errWriterClosed = errors.New("object writer already committed or aborted")

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterClosed
	}
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.f.Write(p)
}

func (w *localWriter) Commit() error {
	if w.done {
		return errWriterClosed
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return err
	}
	w.done = true
	tmp := w.f.Name()
	// Sync before rename: otherwise a crash can leave a renamed but empty
	// file, which would look like a complete snapshot.
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.publish(tmp)
	}
	if err != nil {
		os.Remove(tmp)
		if w.exclusive && errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("commit %s: %w", w.dst, ErrExists)
		}
		return fmt.Errorf("commit %s: %w", w.dst, err)
	}
	if err := syncDir(filepath.Dir(w.dst)); err != nil {
		return fmt.Errorf("commit %s: sync directory: %w", w.dst, err)
	}
	return nil
}

// publish makes the complete temp file tmp appear at dst.
func (w *localWriter) publish(tmp string) error {
	if !w.exclusive {
		return os.Rename(tmp, w.dst)
	}
	// link(2) fails with EEXIST rather than replace dst, atomically. The
	// object is published once linked: should removing the temp name fail
	// (or a crash come first), SweepPartial removes the leftover.
	if err := os.Link(tmp, w.dst); err != nil {
		return err
	}
	os.Remove(tmp)
	return nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort %s: %w", w.dst, err)
	}
	return nil
}

// SweepPartial removes the partial-write files in prefix's directory and
// below whose last write is more than olderThan ago: what writers killed
// before Commit or Abort left behind.
func (s *localStore) SweepPartial(ctx context.Context, prefix string, olderThan time.Duration) (int, error) {
	if err := checkDirPrefix(prefix); err != nil {
		return 0, fmt.Errorf("sweep partial writes in %s: %w", s, err)
	}
	dir := s.root
	if prefix != "" {
		dir = s.path(strings.TrimSuffix(prefix, "/"))
	}
	cutoff := time.Now().Add(-olderThan)
	swept := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // never written, or pruned meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if !d.Type().IsRegular() || !strings.HasPrefix(name, ".") || !strings.Contains(name, partialMark) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // committed or aborted meanwhile
		}
		if err != nil {
			return err
		}
		if !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		swept++
		return nil
	})
	if err != nil {
		return swept, fmt.Errorf("sweep partial writes under %s in %s: %w", prefix, s, err)
	}
	return swept, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
