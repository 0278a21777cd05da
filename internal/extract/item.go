package extract

import "io"

// ItemKind says what an Item is.
type ItemKind int

const (
	// Statement is one SQL statement, with its terminating semicolon.
	Statement ItemKind = iota + 1
	// MetaCommand is one psql backslash command line (\connect, \restrict
	// KEY, \unrestrict KEY, ...), without its newline.
	MetaCommand
	// CopyData is a "COPY ... FROM stdin;" statement whose rows follow; they
	// stream through Item.Rows.
	CopyData
)

func (k ItemKind) String() string {
	switch k {
	case Statement:
		return "statement"
	case MetaCommand:
		return "meta-command"
	case CopyData:
		return "copy"
	}
	return "unknown"
}

// Item is one unit of a dump, in dump order.
type Item struct {
	Kind ItemKind
	// SQL is the statement text (for CopyData, the COPY statement itself),
	// exactly as in the dump, without the comments and blank lines before it.
	SQL string
	// Header is the pg_dump comment block just before the item
	// ("-- Name: orders; Type: TABLE; Schema: public; Owner: -"), parsed. It
	// is a hint only: text in a function body can look the same.
	Header *Header
	// Offset is the uncompressed byte offset at which the item (its SQL,
	// not its header comments) starts; End is just past its last byte,
	// including for CopyData the rows and the "\." line.
	Offset, End int64
	// Rows streams a CopyData item's row data: the raw text-format lines,
	// each ending in "\n", without the terminating "\." line. It is valid
	// until the next call to Reader.Next, which skips what was not read.
	Rows io.Reader
}

// Header is a pg_dump TOC comment: "-- Name: N; Type: T; Schema: S; Owner: O"
// (or "-- Data for Name: ..."). Fields pg_dump writes as "-" are empty.
type Header struct {
	Name, Type, Schema, Owner string
	Data                      bool // a "Data for Name:" header (a COPY block)
}
