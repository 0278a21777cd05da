package outfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// Write writes a file at path atomically and privately (see the package
// doc): write fills a temporary file beside path, which is renamed into
// place only when complete and ctx was not cancelled; on any error it is
// removed. A file already at path is replaced. A path ending in .gz is
// gzip-compressed. It returns the file's size.
func Write(ctx context.Context, path string, write func(w io.Writer) error) (size int64, err error) {
	return create(ctx, path, os.Rename, write)
}

// Create is Write that never replaces a file at path: it fails early if
// one is there, and the complete file is moved into place with a
// link or rename that fails if one appeared meanwhile, so no file written
// by someone else in between is lost. The error is then an *fs.PathError
// for os.ErrExist, and nothing was written.
func Create(ctx context.Context, path string, write func(w io.Writer) error) (size int64, err error) {
	if _, err := os.Lstat(path); err == nil {
		return 0, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	return create(ctx, path, renameNoReplace, write)
}

// create writes path as Write does, moving the complete file into place
// with rename.
func create(ctx context.Context, path string, rename func(from, to string) error, write func(w io.Writer) error) (size int64, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// CreateTemp opens with O_EXCL and mode 0600, which the umask can only
	// narrow.
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		// Name the directory, not the temporary file's pattern.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return 0, fmt.Errorf("create a file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if err = write(w); err != nil {
		return 0, err
	}
	if zw != nil {
		if err = zw.Close(); err != nil {
			return 0, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = bw.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err = ctx.Err(); err != nil {
		return 0, err // cancelled: no file
	}
	if err = rename(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return 0, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return fi.Size(), nil
}
