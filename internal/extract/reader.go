package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxStatementSize bounds the memory the Reader may use for one SQL
// statement (a function body, say). COPY rows are not statements: they
// stream whatever their size.
const MaxStatementSize = 256 << 20

// defaultBufSize is the Reader's initial buffer. COPY rows are scanned with
// bytes.Index over this much data at a time, so it is large.
const defaultBufSize = 1 << 20

// trailerComment is the last comment pg_dump writes; without it the dump
// was cut short.
const trailerComment = "-- PostgreSQL database dump complete"

// CorruptError reports damaged input: a truncated or corrupt gzip stream, an
// unterminated quote or COPY block, a dump without its trailer.
type CorruptError struct {
	Offset           int64 // uncompressed byte offset of the damage (or of the construct it breaks)
	CompressedOffset int64 // compressed byte offset, -1 if unknown
	Reason           string
	Err              error // the underlying error, if any
}

func (e *CorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "damaged dump at byte %d", e.Offset)
	if e.CompressedOffset >= 0 {
		fmt.Fprintf(&b, " (compressed byte %d)", e.CompressedOffset)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Reader splits an uncompressed plain-format pg_dump stream into Items,
// exactly as psql would execute it. It holds at most one statement (plus a
// fixed buffer) in memory; COPY rows stream through Item.Rows.
//
// A Reader does not watch a context: callers check theirs between calls to
// Next or wrap the source.
type Reader struct {
	src    io.Reader
	buf    []byte
	r, w   int   // buf[r:w] is read but not yet consumed
	base   int64 // stream offset of buf[0]
	srcErr error // sticky: io.EOF, a source error or a too-big statement
	err    error // sticky error of Next

	rows    *copyRows // rows of the last CopyData item, nil if none
	header  *Header   // header comment seen in the current gap
	trailer bool      // the trailer comment was seen after the last statement
	// fragment: the Reader reads a slice of the dump (see newFragmentReader),
	// whose end needs no trailer.
	fragment bool
}

// NewReader returns a Reader over uncompressed dump text.
func NewReader(r io.Reader) *Reader { return newReaderSize(r, defaultBufSize) }

// newFragmentReader returns a Reader over a slice of a dump's text that
// starts at uncompressed offset base, where an item or the gap before one
// starts: its Items carry the dump's offsets, and its end, where the slice
// ends, needs no "dump complete" trailer.
func newFragmentReader(r io.Reader, base int64) *Reader {
	rd := NewReader(r)
	rd.base = base
	rd.fragment = true
	return rd
}

func newReaderSize(r io.Reader, size int) *Reader {
	return &Reader{src: r, buf: make([]byte, max(size, 8))}
}

// Offset returns the uncompressed offset of the next byte the Reader will
// consume.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// Next returns the next Item in dump order, or io.EOF after the last one.
// The Rows of the previous item are skipped if they were not read.
func (r *Reader) Next() (*Item, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.rows != nil {
		err := r.rows.skip()
		r.rows.stale = true
		r.rows = nil
		if err != nil {
			r.err = err
			return nil, err
		}
	}
	it, err := r.next()
	if err != nil {
		r.err = err
	}
	return it, err
}

func (r *Reader) next() (*Item, error) {
	r.header = nil
	for {
		c, ok := r.at(0)
		if !ok {
			return nil, r.endOfDump()
		}
		switch {
		case isSpace(c):
			r.r++
		case c == '-' && r.peekIs(1, '-'):
			if err := r.gapLineComment(); err != nil {
				return nil, err
			}
		case c == '/' && r.peekIs(1, '*'):
			n, err := r.skipBlockComment(0)
			if err != nil {
				return nil, err
			}
			r.r += n
		case c == '\\':
			return r.metaCommand()
		default:
			return r.statement()
		}
	}
}

// endOfDump is reached in the gap after the last item.
func (r *Reader) endOfDump() error {
	if r.srcErr != io.EOF {
		return r.srcErr
	}
	if !r.trailer && !r.fragment {
		return &CorruptError{Offset: r.Offset(), CompressedOffset: -1,
			Reason: "the dump has no 'dump complete' trailer: the snapshot is truncated or pg_dump failed"}
	}
	return io.EOF
}

// gapLineComment consumes a "--" comment line between items, noting pg_dump
// headers and the trailer.
func (r *Reader) gapLineComment() error {
	n, ok := r.index(0, []byte{'\n'})
	if !ok {
		if r.srcErr != io.EOF {
			return r.srcErr
		}
		n = r.w - r.r
	}
	line := bytes.TrimSuffix(r.buf[r.r:r.r+n], []byte{'\r'})
	if string(line) == trailerComment {
		r.trailer = true
	} else if h := parseHeader(line); h != nil {
		r.header = h
	}
	r.r += n
	return nil
}

// metaCommand returns the psql backslash command on the current line.
func (r *Reader) metaCommand() (*Item, error) {
	n, ok := r.index(0, []byte{'\n'})
	if !ok {
		if r.srcErr != io.EOF {
			return nil, r.srcErr
		}
		n = r.w - r.r
	}
	line := bytes.TrimSuffix(r.buf[r.r:r.r+n], []byte{'\r'})
	it := &Item{Kind: MetaCommand, SQL: string(line), Header: r.header,
		Offset: r.Offset(), End: r.Offset() + int64(len(line))}
	r.r += len(line)
	return it, nil
}

// statement returns the SQL statement starting at the current position, or
// a CopyData item whose rows follow it.
func (r *Reader) statement() (*Item, error) {
	n, isCopy, err := r.scanStatement()
	if err != nil {
		return nil, err
	}
	start := r.Offset()
	it := &Item{Kind: Statement, SQL: string(r.buf[r.r : r.r+n]), Header: r.header,
		Offset: start, End: start + int64(n)}
	r.trailer = false
	if !isCopy {
		r.r += n
		return it, nil
	}
	// Rows start on the line after the COPY statement, as psql reads them.
	nl, ok := r.index(n, []byte{'\n'})
	if !ok && r.srcErr != io.EOF {
		return nil, r.srcErr
	}
	if ok {
		r.r += nl + 1
	} else {
		r.r = r.w
	}
	it.Kind = CopyData
	r.rows = &copyRows{rd: r, item: it, lineStart: true}
	it.Rows = r.rows
	return it, nil
}

// at returns the byte i bytes past the current position, reading more input
// as needed; false at the end of input (or on a read error, in r.srcErr).
func (r *Reader) at(i int) (byte, bool) {
	for r.r+i >= r.w {
		if !r.fill() {
			return 0, false
		}
	}
	return r.buf[r.r+i], true
}

func (r *Reader) peekIs(i int, c byte) bool {
	b, ok := r.at(i)
	return ok && b == c
}

// index returns the position (relative to the current position) of the
// first pat at or after from, reading more input as needed.
func (r *Reader) index(from int, pat []byte) (int, bool) {
	for {
		if r.r+from < r.w {
			if k := bytes.Index(r.buf[r.r+from:r.w], pat); k >= 0 {
				return from + k, true
			}
			from = max(from, r.w-r.r-len(pat)+1)
		}
		if !r.fill() {
			return 0, false
		}
	}
}

// maxStatementSize is MaxStatementSize, lowered by tests.
var maxStatementSize = MaxStatementSize

// fill reads more input into the buffer, keeping buf[r:w]. It moves that
// data to the front or grows the buffer (up to MaxStatementSize) when full.
func (r *Reader) fill() bool {
	if r.srcErr != nil {
		return false
	}
	if r.w == len(r.buf) {
		if r.r > 0 {
			copy(r.buf, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.w -= r.r
			r.r = 0
		} else {
			if len(r.buf) >= maxStatementSize {
				r.srcErr = fmt.Errorf("read dump: the statement at byte %d is larger than %d bytes (MaxStatementSize): the dump is damaged or holds an unusually large statement",
					r.Offset(), maxStatementSize)
				return false
			}
			nb := make([]byte, min(2*len(r.buf), maxStatementSize))
			copy(nb, r.buf[:r.w])
			r.buf = nb
		}
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.srcErr = r.sourceError(err)
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.srcErr = fmt.Errorf("read dump at byte %d: %w", r.base+int64(r.w), io.ErrNoProgress)
	return false
}

// sourceError keeps io.EOF and CorruptErrors (from the gzip layer, with
// both offsets) as they are and says where other read errors happened.
func (r *Reader) sourceError(err error) error {
	var ce *CorruptError
	if err == io.EOF || errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("read dump at byte %d: %w", r.base+int64(r.w), err)
}

// unterminated reports a construct starting i bytes past the current
// position that the input ended inside.
func (r *Reader) unterminated(i int, what string) error {
	if r.srcErr != io.EOF {
		return r.srcErr
	}
	return &CorruptError{Offset: r.Offset() + int64(i), CompressedOffset: -1,
		Reason: fmt.Sprintf("%s starting here is not terminated before the end of the dump at byte %d: the snapshot is truncated",
			what, r.base+int64(r.w))}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// parseHeader parses a pg_dump TOC comment line; nil if it is not one.
func parseHeader(line []byte) *Header {
	s := string(line)
	h := &Header{}
	rest, ok := strings.CutPrefix(s, "-- Name: ")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "-- Data for Name: "); !ok {
			return nil
		}
		h.Data = true
	}
	// Names may contain "; ", so the fields are taken from the right.
	oi := strings.LastIndex(rest, "; Owner: ")
	if oi < 0 {
		return nil
	}
	owner := rest[oi+len("; Owner: "):]
	owner, _, _ = strings.Cut(owner, "; Tablespace: ")
	rest = rest[:oi]
	si := strings.LastIndex(rest, "; Schema: ")
	if si < 0 {
		return nil
	}
	schema := rest[si+len("; Schema: "):]
	rest = rest[:si]
	ti := strings.LastIndex(rest, "; Type: ")
	if ti < 0 {
		return nil
	}
	h.Name, h.Type, h.Schema, h.Owner = dash(rest[:ti]), dash(rest[ti+len("; Type: "):]), dash(schema), dash(owner)
	return h
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// stmtState follows what psql's lexer tracks to decide whether a ";" ends
// the statement: parentheses, and BEGIN ... END in the SQL-standard body of
// CREATE [OR REPLACE] FUNCTION/PROCEDURE. It also spots COPY ... FROM stdin.
type stmtState struct {
	paren, begin int
	idents       [4]byte // first letters of the leading create/or/replace/function/procedure words
	nident       int
	copyWord     bool // the first word is COPY
	prevFrom     bool // the previous top-level word was FROM
	fromStdin    bool // FROM STDIN seen at the top level
}

func (s *stmtState) word(w []byte) {
	lower := func(x string) bool { return len(w) == len(x) && bytes.EqualFold(w, []byte(x)) }
	if s.nident < len(s.idents) && (lower("create") || lower("or") || lower("replace") || lower("function") || lower("procedure")) {
		s.idents[s.nident] = w[0] | 0x20
	}
	if s.nident == 0 {
		s.copyWord = lower("copy")
	}
	s.nident++
	if s.paren != 0 {
		return
	}
	id := s.idents
	if id[0] == 'c' && (id[1] == 'f' || id[1] == 'p' || id[1] == 'o' && id[2] == 'r' && (id[3] == 'f' || id[3] == 'p')) {
		switch {
		case lower("begin"):
			s.begin++
		case lower("case"):
			if s.begin > 0 {
				s.begin++
			}
		case lower("end"):
			if s.begin > 0 {
				s.begin--
			}
		}
	}
	if s.copyWord && s.prevFrom && lower("stdin") {
		s.fromStdin = true
	}
	s.prevFrom = lower("from")
}

// scanStatement returns the length of the statement at the current position,
// through its terminating semicolon, and whether it is COPY ... FROM stdin.
func (r *Reader) scanStatement() (n int, isCopy bool, err error) {
	var s stmtState
	i := 0
	for {
		c, ok := r.at(i)
		if !ok {
			return 0, false, r.unterminated(0, "the statement")
		}
		switch {
		case c == ';':
			i++
			if s.paren == 0 && s.begin == 0 {
				return i, s.fromStdin, nil
			}
		case c == '(':
			s.paren++
			i++
		case c == ')':
			if s.paren > 0 {
				s.paren--
			}
			i++
		case c == '\'':
			i, err = r.skipQuoted(i, '\'', "the string")
		case c == '"':
			i, err = r.skipQuoted(i, '"', "the quoted identifier")
		case c == '-' && r.peekIs(i+1, '-'):
			i, err = r.skipLineComment(i)
		case c == '/' && r.peekIs(i+1, '*'):
			var m int
			m, err = r.skipBlockComment(i)
			i += m
		case c == '$':
			i, err = r.skipDollar(i)
		case isIdentStart(c):
			j := r.identEnd(i)
			if j == i+1 && (c == 'e' || c == 'E') && r.peekIs(j, '\'') {
				i, err = r.skipEString(j)
				break
			}
			s.word(r.buf[r.r+i : r.r+j])
			i = j
		case c >= '0' && c <= '9':
			// A number; "1$$" is not a dollar quote (nor "a$b"), as in psql.
			i = r.identEnd(i)
		default:
			i++
		}
		if err != nil {
			return 0, false, err
		}
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

// identEnd returns the end of the identifier (or number) starting at i.
func (r *Reader) identEnd(i int) int {
	for {
		c, ok := r.at(i + 1)
		if !ok || !isIdentCont(c) {
			return i + 1
		}
		i++
	}
}

// skipQuoted skips a '...' string or "..." identifier starting at i, where
// a doubled quote is an escaped one (standard_conforming_strings is on).
func (r *Reader) skipQuoted(i int, q byte, what string) (int, error) {
	from := i + 1
	for {
		k, ok := r.index(from, []byte{q})
		if !ok {
			return 0, r.unterminated(i, what)
		}
		if !r.peekIs(k+1, q) {
			return k + 1, nil
		}
		from = k + 2
	}
}

// skipEString skips an E'...' string whose opening quote is at i: backslash
// escapes apply.
func (r *Reader) skipEString(i int) (int, error) {
	for j := i + 1; ; j++ {
		c, ok := r.at(j)
		if !ok {
			return 0, r.unterminated(i-1, "the E'' string")
		}
		switch {
		case c == '\\':
			j++
		case c == '\'':
			if !r.peekIs(j+1, '\'') {
				return j + 1, nil
			}
			j++
		}
	}
}

// skipLineComment skips a "--" comment starting at i, through its newline.
func (r *Reader) skipLineComment(i int) (int, error) {
	k, ok := r.index(i, []byte{'\n'})
	if !ok {
		return 0, r.unterminated(0, "the statement")
	}
	return k + 1, nil
}

// skipBlockComment returns the length of the (nested) /* */ comment at i.
func (r *Reader) skipBlockComment(i int) (int, error) {
	depth := 0
	for j := i; ; {
		c, ok := r.at(j)
		if !ok {
			return 0, r.unterminated(i, "the /* comment")
		}
		switch {
		case c == '/' && r.peekIs(j+1, '*'):
			depth++
			j += 2
		case c == '*' && r.peekIs(j+1, '/'):
			depth--
			j += 2
			if depth == 0 {
				return j - i, nil
			}
		default:
			j++
		}
	}
}

// skipDollar skips a dollar-quoted string ($$...$$, $tag$...$tag$) at i, or
// just the "$" when it starts none (a parameter such as $1).
func (r *Reader) skipDollar(i int) (int, error) {
	j := i + 1
	if c, ok := r.at(j); ok && c != '$' && isIdentStart(c) {
		for {
			j++
			c, ok = r.at(j)
			if !ok || !(isIdentStart(c) || c >= '0' && c <= '9') {
				break
			}
		}
	}
	if !r.peekIs(j, '$') {
		return i + 1, nil
	}
	delim := bytes.Clone(r.buf[r.r+i : r.r+j+1]) // the buffer may move while searching
	k, ok := r.index(j+1, delim)
	if !ok {
		return 0, r.unterminated(i, "the dollar-quoted string "+string(delim))
	}
	return k + len(delim), nil
}

// copyRows streams the rows of a CopyData item straight out of the Reader's
// buffer, up to the "\." line.
type copyRows struct {
	rd        *Reader
	item      *Item
	lineStart bool // the next byte starts a line
	avail     int  // bytes at rd.r known to be row data
	done      bool
	stale     bool // Next has moved on
	err       error
}

var errStaleRows = errors.New("extract: COPY rows read after Reader.Next moved on")

func (c *copyRows) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := c.more(); err != nil {
		return 0, err
	}
	n := copy(p, c.rd.buf[c.rd.r:c.rd.r+c.avail])
	c.consume(n)
	return n, nil
}

// WriteTo writes the rest of the rows to w without copying them through an
// intermediate buffer (io.Copy uses it).
func (c *copyRows) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := c.more(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		n, err := w.Write(c.rd.buf[c.rd.r : c.rd.r+c.avail])
		c.consume(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// skip discards the unread rows.
func (c *copyRows) skip() error {
	for {
		if err := c.more(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		c.consume(c.avail)
	}
}

func (c *copyRows) consume(n int) {
	if n == 0 {
		return
	}
	c.rd.r += n
	c.avail -= n
	c.lineStart = c.rd.buf[c.rd.r-1] == '\n'
}

var copyEndPrefix = []byte("\n\\.")

// more makes c.avail > 0, or returns io.EOF after the "\." line (consumed,
// and the item's End set), or an error.
func (c *copyRows) more() error {
	if c.stale {
		return errStaleRows
	}
	if c.avail > 0 {
		return nil
	}
	if c.done {
		return io.EOF
	}
	if c.err != nil {
		return c.err
	}
	rd := c.rd
	for {
		data := rd.buf[rd.r:rd.w]
		if len(data) < 4 && rd.srcErr == nil {
			rd.fill()
			continue
		}
		eof := rd.srcErr != nil
		if c.lineStart {
			if n := copyEndLen(data, eof); n > 0 {
				rd.r += n
				c.done = true
				c.item.End = rd.Offset()
				return io.EOF
			}
		}
		if len(data) == 0 {
			c.err = rd.srcErr
			if c.err == io.EOF {
				c.err = &CorruptError{Offset: c.item.Offset, CompressedOffset: -1,
					Reason: fmt.Sprintf("the COPY block starting here has no end marker (\\.) before the end of the dump at byte %d: the snapshot is truncated", rd.Offset())}
			}
			return c.err
		}
		if k := bytes.Index(data, copyEndPrefix); k >= 0 {
			c.avail = k + 1
		} else if n := len(data); n >= 2 && data[n-2] == '\n' && data[n-1] == '\\' && !eof {
			c.avail = n - 1 // the "\" may start a "\." line
		} else {
			c.avail = n
		}
		return nil
	}
}

// copyEndLen returns the length of the "\." line at the start of data, 0 if
// there is none: "\.\n", "\.\r\n", or "\." at the end of input (as psql).
func copyEndLen(data []byte, eof bool) int {
	if len(data) < 2 || data[0] != '\\' || data[1] != '.' {
		return 0
	}
	rest := data[2:]
	switch {
	case len(rest) == 0 && eof:
		return 2
	case len(rest) >= 1 && rest[0] == '\n':
		return 3
	case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
		return 4
	}
	return 0
}
