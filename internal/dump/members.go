package dump

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/powabase/restorectl/internal/extract"
)

// MaxMemberSize is the most uncompressed text one gzip member of a snapshot
// holds: an index can then fetch any part of the dump by reading at most
// this much more than it needs.
const MaxMemberSize = 16 << 20

// maxPending bounds the text a memberWriter holds back for the scan.
const maxPending = 4 << 20

// memberWriter compresses the dump as independent gzip members, so that the
// snapshot's index can point at the members holding one table's data. The
// object is still an ordinary .sql.gz (gunzip reads concatenated members).
//
// A new member starts at every COPY statement (so a table's data member
// holds the statement and its rows), just past every COPY block's "\."
// line, and after MaxMemberSize bytes of text. The COPY boundaries come from
// an extract.Reader reading a copy of the stream in a goroutine (through an
// io.Pipe): the same reader restores use, as the stream passes. Text waits
// in a pending buffer until the scan is past it, so that every boundary
// inside it is known when it is compressed.
//
// Memory: the pending buffer holds what the scanner has read but not yet
// scanned: its read-ahead (1 MiB) plus, while a statement is being
// scanned, that statement, but never more than maxPending (4 MiB) plus one
// write from pg_dump (32 KiB): beyond that it is compressed without
// waiting (a member boundary there is then missed, which costs seeking
// precision, not correctness). The scanner itself holds the extract.Reader's
// buffer: 1 MiB, or the largest statement (pg_dump's are rarely more than
// a few KiB; extract.MaxStatementSize at worst). COPY rows never
// accumulate: the scan reports its progress through them chunk by chunk.
// Compression itself is pgzip's, as before: its blocks run in parallel
// within a member; each new member waits for the previous one's last block.
//
// If the scan fails (a statement larger than extract.MaxStatementSize, a
// damaged dump), the writer goes on without it: members are then cut by
// size only, and there is no table of contents, hence no index.
type memberWriter struct {
	zw      *pgzip.Writer
	out     *countingWriter
	blocks  int
	modTime time.Time

	pending     []byte // text not compressed yet, from pending[head:]
	head        int
	done        int64 // uncompressed bytes handed to zw
	memberStart int64 // uncompressed offset where the current member starts
	members     []extract.Member
	err         error // sticky: compression or store failure

	pw       *io.PipeWriter
	tee      bool          // still feeding the scanner
	scanDone chan struct{} // closed when the scanner goroutine ends

	mu      sync.Mutex // guards the fields the scanner sets
	bounds  []int64    // COPY boundaries not yet passed, increasing
	scanned int64      // every boundary before it is in bounds
	toc     *extract.TOC
	scanErr error
}

// newMemberWriter starts the scanner and returns a writer compressing into
// out with zw (configured; its Header's Name and ModTime go into the first
// member, ModTime into every one). Close must be called.
func newMemberWriter(ctx context.Context, zw *pgzip.Writer, out *countingWriter, blocks int) *memberWriter {
	pr, pw := io.Pipe()
	w := &memberWriter{
		zw: zw, out: out, blocks: blocks, modTime: zw.ModTime,
		members:  []extract.Member{{}},
		pw:       pw,
		tee:      true,
		scanDone: make(chan struct{}),
	}
	go w.scan(ctx, pr)
	return w
}

func (w *memberWriter) scan(ctx context.Context, pr *io.PipeReader) {
	defer close(w.scanDone)
	toc, err := extract.ScanTOC(ctx, extract.NewReader(pr), extract.ScanHooks{
		Boundary: func(off int64) {
			w.mu.Lock()
			w.bounds = append(w.bounds, off)
			w.mu.Unlock()
		},
		Scanned: func(off int64) {
			w.mu.Lock()
			w.scanned = off
			w.mu.Unlock()
		},
	})
	if err == nil {
		// Read to EOF: ScanTOC stops at the trailer's end, but a writer may
		// still be handing over trailing blank lines.
		_, err = io.Copy(io.Discard, pr)
	}
	w.mu.Lock()
	w.toc, w.scanErr = toc, err
	w.mu.Unlock()
	if err != nil {
		// Unblocks the writer, which goes on without the scan.
		pr.CloseWithError(errScanStopped)
	}
}

var errScanStopped = errors.New("dump scan stopped")

func (w *memberWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.pending = append(w.pending, p...)
	if w.tee {
		if _, err := w.pw.Write(p); err != nil {
			w.tee = false // the scanner failed: Close reports why
		}
	}
	if err := w.compress(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// compress hands the pending text that the scan has passed (all of it when
// final) to the compressor, starting members at the boundaries in it.
func (w *memberWriter) compress(final bool) error {
	w.mu.Lock()
	safe := w.scanned
	if final || !w.tee || w.scanErr != nil {
		safe = w.done + int64(len(w.pending)-w.head)
	}
	bounds := w.bounds
	w.mu.Unlock()
	avail := w.done + int64(len(w.pending)-w.head)
	// Hold at most maxPending: past that (a huge statement, or text that
	// is no SQL at all) compress without waiting for the scan, which then
	// misses the chance to cut members there. The index stays exact: it
	// maps entries to whatever members hold them.
	safe = min(max(safe, avail-maxPending), avail)

	used := 0 // boundaries passed
	for w.done < safe {
		next := min(safe, w.memberStart+MaxMemberSize)
		for used < len(bounds) && bounds[used] <= w.done {
			used++ // at the current position: a member starts here already, or it is 0
		}
		if used < len(bounds) && bounds[used] < next {
			next = bounds[used]
		}
		n := int(next - w.done)
		if _, err := w.zw.Write(w.pending[w.head : w.head+n]); err != nil {
			w.err = err
			return err
		}
		w.head += n
		w.done = next
		atBound := used < len(bounds) && bounds[used] == next
		if atBound || next == w.memberStart+MaxMemberSize {
			if err := w.newMember(); err != nil {
				return err
			}
		}
	}
	if used > 0 {
		w.mu.Lock()
		w.bounds = w.bounds[used:]
		w.mu.Unlock()
	}
	// Compact the buffer once the consumed part dominates.
	if w.head > 0 && w.head >= len(w.pending)/2 {
		w.pending = w.pending[:copy(w.pending, w.pending[w.head:])]
		w.head = 0
	}
	return nil
}

// newMember ends the current member and starts the next at w.done.
func (w *memberWriter) newMember() error {
	if w.done == w.memberStart {
		return nil // nothing in this member yet
	}
	if err := w.zw.Close(); err != nil {
		w.err = err
		return err
	}
	w.members = append(w.members, extract.Member{Offset: w.done, CompressedOffset: w.out.n.Load()})
	w.memberStart = w.done
	w.zw.Reset(w.out)
	if err := w.zw.SetConcurrency(blockSize, w.blocks); err != nil {
		w.err = err
		return err
	}
	w.zw.ModTime = w.modTime
	return nil
}

// Close compresses what is pending and ends the last member. It waits for
// the scanner; TOC then returns its result.
func (w *memberWriter) Close() error {
	w.pw.Close()
	<-w.scanDone
	if w.err != nil {
		w.zw.Close()
		return w.err
	}
	if err := w.compress(true); err != nil {
		w.zw.Close()
		return err
	}
	if err := w.zw.Close(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// TOC returns the dump's table of contents after Close, or why there is
// none.
func (w *memberWriter) TOC() (*extract.TOC, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.scanErr != nil {
		return nil, fmt.Errorf("scan the dump: %w", w.scanErr)
	}
	if w.toc == nil {
		return nil, errors.New("scan the dump: it did not finish")
	}
	return w.toc, nil
}

// Members returns where each gzip member starts, after Close.
func (w *memberWriter) Members() []extract.Member { return w.members }
