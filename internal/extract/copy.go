package extract

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Field is one decoded value of a COPY text-format row.
type Field struct {
	Value string
	Null  bool // the field was \N
}

// SplitCopyRow decodes one COPY text-format row (without or with its
// newline) into fields, as PostgreSQL's COPY FROM does: tab-separated, \N
// is NULL, and backslash escapes \b \f \n \r \t \v \\, \ooo (octal) and \xHH
// (hex); any other escaped character stands for itself. A backslash at the
// end of the row, or a raw carriage return or newline inside it, is an error.
func SplitCopyRow(line []byte) ([]Field, error) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	var fields []Field
	var val []byte
	start := 0 // where the current field's raw text starts
	for i := 0; ; i++ {
		if i == len(line) || line[i] == '\t' {
			if string(line[start:i]) == `\N` {
				fields = append(fields, Field{Null: true})
			} else {
				fields = append(fields, Field{Value: string(val)})
			}
			if i == len(line) {
				return fields, nil
			}
			val, start = val[:0], i+1
			continue
		}
		c := line[i]
		switch c {
		case '\r', '\n':
			return nil, fmt.Errorf("COPY row has a raw %q at byte %d: not a text-format row", c, i)
		case '\\':
			var err error
			if c, i, err = unescapeCopy(line, i+1); err != nil {
				return nil, err
			}
		}
		val = append(val, c)
	}
}

// unescapeCopy decodes the escape whose character is at line[i]; it returns
// the byte and the index of its last character.
func unescapeCopy(line []byte, i int) (byte, int, error) {
	if i >= len(line) {
		return 0, 0, errors.New("COPY row ends with a lone backslash")
	}
	switch c := line[i]; c {
	case 'b':
		return '\b', i, nil
	case 'f':
		return '\f', i, nil
	case 'n':
		return '\n', i, nil
	case 'r':
		return '\r', i, nil
	case 't':
		return '\t', i, nil
	case 'v':
		return '\v', i, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v := int(c - '0')
		for k := 0; k < 2 && i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '7'; k++ {
			i++
			v = v*8 + int(line[i]-'0')
		}
		return byte(v), i, nil // PostgreSQL keeps the low 8 bits too
	case 'x':
		v, n := 0, 0
		for n < 2 && i+1 < len(line) && isHex(line[i+1]) {
			i++
			n++
			v = v*16 + hexVal(line[i])
		}
		if n == 0 {
			return 'x', i, nil // "\x" without digits is an x, as in PostgreSQL
		}
		return byte(v), i, nil
	default:
		return c, i, nil
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// RowReader reads COPY rows one at a time from a CopyData item's Rows.
// Memory is bounded by the longest row.
type RowReader struct {
	br   *bufio.Reader
	line []byte
	row  int64
}

// NewRowReader returns a RowReader over rows (usually Item.Rows).
func NewRowReader(rows io.Reader) *RowReader {
	return &RowReader{br: bufio.NewReaderSize(rows, 64<<10)}
}

// ReadLine returns the next row's raw text without its newline, valid until
// the next call, or io.EOF after the last row.
func (rr *RowReader) ReadLine() ([]byte, error) {
	rr.line = rr.line[:0]
	for {
		chunk, err := rr.br.ReadSlice('\n')
		rr.line = append(rr.line, chunk...)
		switch {
		case err == nil:
			rr.row++
			return rr.line[:len(rr.line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(rr.line) > 0:
			return nil, fmt.Errorf("read COPY row %d: the row data ends without a newline", rr.row+1)
		default:
			return nil, err
		}
	}
}

// ReadRow returns the next row, decoded, or io.EOF after the last one.
func (rr *RowReader) ReadRow() ([]Field, error) {
	line, err := rr.ReadLine()
	if err != nil {
		return nil, err
	}
	fields, err := SplitCopyRow(line)
	if err != nil {
		return nil, fmt.Errorf("decode COPY row %d: %w", rr.row, err)
	}
	return fields, nil
}

// ParseCopyStatement parses pg_dump's "COPY schema.table (col, ...) FROM
// stdin;" into the table (Schema empty if unqualified) and its columns
// (nil if the statement lists none). Quoted identifiers are unquoted and
// unquoted ones folded to lower case, as PostgreSQL does.
func ParseCopyStatement(sql string) (table Name, columns []string, err error) {
	p := &copyParser{s: sql}
	fail := func(what string) (Name, []string, error) {
		return Name{}, nil, fmt.Errorf("parse COPY statement %q at byte %d: %s", abbrev(sql, 200), p.i, what)
	}
	if !p.keyword("copy") {
		return fail("expected COPY")
	}
	p.keyword("only")
	name, ok := p.ident()
	if !ok {
		return fail("expected a table name")
	}
	table.Name = name
	if p.skipSpace(); p.peek('.') {
		p.i++
		table.Schema = name
		if table.Name, ok = p.ident(); !ok {
			return fail("expected a table name after the schema")
		}
	}
	if p.skipSpace(); p.peek('(') {
		p.i++
		if columns, ok = p.columnList(); !ok {
			return fail("expected a column list")
		}
	}
	if !p.keyword("from") || !p.keyword("stdin") {
		return fail("expected FROM stdin")
	}
	return table, columns, nil
}

type copyParser struct {
	s string
	i int
}

func (p *copyParser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *copyParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

// keyword consumes the keyword kw (lower case) if it comes next.
func (p *copyParser) keyword(kw string) bool {
	p.skipSpace()
	end := p.i + len(kw)
	if end > len(p.s) || !strings.EqualFold(p.s[p.i:end], kw) || end < len(p.s) && isIdentCont(p.s[end]) {
		return false
	}
	p.i = end
	return true
}

// ident consumes a quoted or unquoted identifier.
func (p *copyParser) ident() (string, bool) {
	p.skipSpace()
	if p.peek('"') {
		var b strings.Builder
		for j := p.i + 1; j < len(p.s); j++ {
			if p.s[j] != '"' {
				b.WriteByte(p.s[j])
				continue
			}
			if j+1 < len(p.s) && p.s[j+1] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			p.i = j + 1
			return b.String(), b.Len() > 0
		}
		return "", false
	}
	if p.i >= len(p.s) || !isIdentStart(p.s[p.i]) {
		return "", false
	}
	j := p.i + 1
	for j < len(p.s) && isIdentCont(p.s[j]) {
		j++
	}
	id := asciiLower(p.s[p.i:j])
	p.i = j
	return id, true
}

// columnList consumes "col, col, ...)" after the opening parenthesis.
func (p *copyParser) columnList() ([]string, bool) {
	var cols []string
	for {
		col, ok := p.ident()
		if !ok {
			return nil, false
		}
		cols = append(cols, col)
		p.skipSpace()
		switch {
		case p.peek(','):
			p.i++
		case p.peek(')'):
			p.i++
			return cols, true
		default:
			return nil, false
		}
	}
}

// asciiLower folds ASCII letters only, as PostgreSQL folds unquoted names.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func abbrev(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
