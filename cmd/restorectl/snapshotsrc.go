package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// snapshotSource is how extract and preview read a snapshot: its table of
// contents and, when it has a usable index of a seekable snapshot, ranged
// reads of only the members they need; otherwise scans of the whole object.
type snapshotSource struct {
	snap catalog.Resolved
	toc  *extract.TOC
	ix   *extract.Index // nil without a usable index
	size int64          // the object's size, 0 if unknown

	ranged  *extract.Ranged // the last ranged read, nil if none
	scanned atomic.Int64    // compressed bytes read by scans
	scans   int
}

// openSnapshotSource reads the snapshot's table of contents as readTOC
// does (from a matching index, else by scanning), keeping the index for
// ranged reads unless noIndex, which forces scans.
func openSnapshotSource(ctx context.Context, snap catalog.Resolved, noIndex bool) (*snapshotSource, error) {
	src := &snapshotSource{snap: snap}
	if obj, ok := snapshotObject(ctx, snap); ok {
		src.size = obj.Size
		if !noIndex {
			src.ix = loadIndex(ctx, snap, obj)
		}
	}
	if src.ix != nil {
		src.toc = src.ix.TOC()
		return src, nil
	}
	if err := src.scanTOC(ctx); err != nil {
		return nil, err
	}
	return src, nil
}

// scanTOC reads the table of contents by scanning the whole snapshot.
func (s *snapshotSource) scanTOC(ctx context.Context) error {
	rc, err := s.openScan(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	r, err := extract.NewDumpReader(rc)
	if err != nil {
		return fmt.Errorf("read snapshot %s: %w", s.snap.Name, err)
	}
	if s.toc, err = extract.ReadTOC(ctx, r, nil); err != nil {
		return fmt.Errorf("read snapshot %s: %w", s.snap.Name, err)
	}
	return nil
}

// loadIndex returns the snapshot's index, or nil when it has none or it is
// unusable (then with a note on stderr: the caller scans instead).
func loadIndex(ctx context.Context, snap catalog.Resolved, obj catalog.Object) *extract.Index {
	ix, err := extract.LoadIndex(ctx, snap.Store, snap.Key, obj)
	switch {
	case err == nil:
		return ix
	case errors.Is(err, extract.ErrNoIndex), ctx.Err() != nil:
	case errors.Is(err, extract.ErrIndexMismatch):
		fmt.Fprintf(stderrOf(ctx), "note: %s: index does not match the snapshot (size/ETag differ): scanning\n", termsafe.String(snap.Name))
	default:
		fmt.Fprintf(stderrOf(ctx), "warning: %s: cannot use its index (%s): scanning\n", termsafe.String(snap.Name), termsafe.String(err.Error()))
	}
	return nil
}

// rangedReader returns a Ranged over the snapshot when its index allows
// ranged reads: the snapshot has several gzip members (old snapshots have
// one) and is the current object (stores read ranges of that only).
func (s *snapshotSource) rangedReader() *extract.Ranged {
	if s.ix == nil || !s.ix.Seekable() || s.snap.VersionID != "" {
		return nil
	}
	st, key := s.snap.Store, s.snap.Key
	s.ranged = &extract.Ranged{Index: s.ix, Open: func(ctx context.Context, off, length int64) (io.ReadCloser, error) {
		return st.OpenRange(ctx, key, off, length)
	}}
	return s.ranged
}

// openScan opens the whole snapshot, counting the bytes read.
func (s *snapshotSource) openScan(ctx context.Context) (io.ReadCloser, error) {
	rc, err := s.snap.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %s: %w", s.snap.Name, err)
	}
	s.scans++
	return readCloser{&countingReader{r: rc, n: &s.scanned}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// staleIndexError explains an ErrIndexStale error and what to do about it.
func (s *snapshotSource) staleIndexError(err error) error {
	if !errors.Is(err, extract.ErrIndexStale) {
		return err
	}
	return fmt.Errorf("%w\n(its index is damaged or out of date: run `restorectl index %s` to rebuild it, or add --no-index to scan the whole snapshot)", err, s.snap.Name)
}

// printStats reports on w how much of the snapshot was read.
func (s *snapshotSource) printStats(w io.Writer) {
	var n, reqs int64
	how := "scan"
	if s.ranged != nil {
		n, reqs = s.ranged.Fetched()
		how = "ranged reads"
	}
	n += s.scanned.Load()
	reqs += int64(s.scans)
	if s.size > 0 {
		fmt.Fprintf(w, "stats: read %d of %d bytes of %s (%.3f%%) in %d request(s), %s\n",
			n, s.size, termsafe.String(s.snap.Name), 100*float64(n)/float64(s.size), reqs, how)
		return
	}
	fmt.Fprintf(w, "stats: read %d bytes of %s in %d request(s), %s\n", n, termsafe.String(s.snap.Name), reqs, how)
}
