package extract

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
)

// SnapshotReader decompresses a gzipped snapshot (one gzip member or many
// concatenated ones) and turns decompression failures into CorruptErrors
// carrying both the compressed and the uncompressed offset.
type SnapshotReader struct {
	src *countingReader
	br  *bufio.Reader // what the gzip reader consumes; it holds read-ahead
	zr  *gzip.Reader
	out int64 // uncompressed bytes delivered
	err error
}

// NewSnapshotReader reads the gzip header of r and returns a reader of the
// decompressed text.
func NewSnapshotReader(r io.Reader) (*SnapshotReader, error) {
	s := &SnapshotReader{src: &countingReader{r: r}}
	// A *bufio.Reader takes the decompressor's fast path and lets us tell
	// how many compressed bytes it really consumed.
	s.br = bufio.NewReaderSize(s.src, 256<<10)
	zr, err := gzip.NewReader(s.br)
	if err != nil {
		return nil, s.corrupt(err)
	}
	zr.Multistream(true)
	s.zr = zr
	return s, nil
}

// Read reads decompressed dump text.
func (s *SnapshotReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.zr.Read(p)
	s.out += int64(n)
	if err != nil {
		if err != io.EOF {
			err = s.corrupt(err)
		}
		s.err = err
	}
	return n, err
}

// Offset returns the uncompressed bytes delivered so far.
func (s *SnapshotReader) Offset() int64 { return s.out }

// CompressedOffset returns the compressed bytes the decompressor consumed.
func (s *SnapshotReader) CompressedOffset() int64 {
	return s.src.n - int64(s.br.Buffered())
}

func (s *SnapshotReader) corrupt(err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return err
	}
	reason := "the gzip stream is damaged"
	switch {
	case err == io.EOF && s.src.n == 0:
		reason, err = "the snapshot is empty", nil
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		reason = "the gzip stream ends early: the snapshot is truncated"
	case errors.Is(err, gzip.ErrChecksum):
		reason = "gzip checksum mismatch: the snapshot is corrupt"
	case errors.Is(err, gzip.ErrHeader):
		reason = "invalid gzip header: not a gzip file, or corrupt"
	case s.src.err != nil && errors.Is(err, s.src.err):
		// The source failed (network, disk): not damage in the snapshot.
		return fmt.Errorf("read snapshot at compressed byte %d (uncompressed byte %d): %w", s.CompressedOffset(), s.out, err)
	}
	return &CorruptError{Offset: s.out, CompressedOffset: s.CompressedOffset(), Reason: reason, Err: err}
}

// countingReader counts the bytes read from r and remembers r's error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// gzipMagic starts every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// NewDumpReader returns a Reader over r, decompressing it if it starts with
// the gzip magic bytes (the name of a file is not trusted).
func NewDumpReader(r io.Reader) (*Reader, error) {
	head := make([]byte, 2)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("read the first bytes of the dump: %w", err)
	}
	src := io.MultiReader(bytes.NewReader(head[:n]), r)
	if !bytes.Equal(head[:n], gzipMagic) {
		return NewReader(src), nil
	}
	sr, err := NewSnapshotReader(src)
	if err != nil {
		return nil, err
	}
	return NewReader(sr), nil
}

// File is a Reader over a dump file, plain or gzipped.
type File struct {
	*Reader
	f *os.File
}

// OpenFile opens a .sql.gz or plain .sql dump, telling them apart by the
// gzip magic bytes.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dump: %w", err)
	}
	r, err := NewDumpReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open dump %s: %w", path, err)
	}
	return &File{Reader: r, f: f}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
