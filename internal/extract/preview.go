package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RowSet is the first rows of one table, decoded from the dump's COPY text.
type RowSet struct {
	Table   Name
	Columns []string
	Rows    [][]Field
	// More is true when the table has rows beyond those returned.
	More bool
}

// ErrNoTable is Preview's error for a table the snapshot does not hold;
// TOC.Resolve says which names come close.
var ErrNoTable = errors.New("the table is not in the snapshot")

// Preview reads r up to table's COPY block and returns its first limit
// rows. It stops reading there: the rest of the dump is never scanned.
// A table that has no data in the dump yields an empty RowSet; one that is
// not in the dump at all is an error.
func Preview(ctx context.Context, r *Reader, table Name, limit int) (*RowSet, error) {
	seen := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			if seen {
				return &RowSet{Table: table}, nil
			}
			return nil, fmt.Errorf("preview %s: %w", table, ErrNoTable)
		}
		if err != nil {
			return nil, fmt.Errorf("preview %s: %w", table, err)
		}
		if it.Kind != CopyData {
			// A table without rows has no COPY block: its CREATE tells that
			// it exists. Only CREATE statements are worth parsing for that.
			if !seen && it.Kind == Statement && hasPrefixFold(it.SQL, "CREATE") {
				c := Classify(it.SQL, it.Header)
				seen = c.Object == table && (c.Kind == KindTable || c.Kind == KindMaterializedView || c.Kind == KindForeignTable)
			}
			continue
		}
		name, cols, err := ParseCopyStatement(it.SQL)
		if err != nil {
			return nil, fmt.Errorf("preview %s: at byte %d: %w", table, it.Offset, err)
		}
		if name != table {
			continue
		}
		// A preview runs nothing, but decodes rows only after a COPY of
		// pg_dump's vocabulary.
		if _, err := Vet(it); err != nil {
			return nil, fmt.Errorf("preview %s: %w", table, err)
		}
		return readRows(ctx, it, name, cols, limit)
	}
}

func readRows(ctx context.Context, it *Item, table Name, cols []string, limit int) (*RowSet, error) {
	rs := &RowSet{Table: table, Columns: cols}
	rr := NewRowReader(it.Rows)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fields, err := rr.ReadRow()
		if errors.Is(err, io.EOF) {
			return rs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("preview %s: %w", table, err)
		}
		if len(rs.Rows) == limit {
			rs.More = true
			return rs, nil
		}
		if len(cols) == 0 && len(fields) == 1 && fields[0].Value == "" {
			fields = nil // a table without columns: each row is an empty line
		}
		if len(fields) != len(cols) {
			return nil, fmt.Errorf("preview %s: row %d has %d fields, the COPY statement names %d columns", table, len(rs.Rows)+1, len(fields), len(cols))
		}
		rs.Rows = append(rs.Rows, fields)
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
