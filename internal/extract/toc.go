package extract

import (
	"context"
	"fmt"
)

// TOC is a snapshot's table of contents: every item in dump order with its
// classification and byte range, and every table with its rows and data
// size. It holds no SQL text and no rows, so it stays small whatever the
// dump's size.
type TOC struct {
	Entries []Entry
	Tables  []*Table // in dump order
	// Size is the dump's uncompressed size in bytes.
	Size int64
	// Warnings are about statements classified with a warning. A
	// statement pg_query cannot parse is refused (vocabulary.go), so a
	// table of contents read by this version has none.
	Warnings []string

	byName map[Name]*Table
}

// Entry is one item of the dump.
type Entry struct {
	Item   ItemKind
	Header *Header // pg_dump's comment before the item: a hint only
	Classification
	// Offset and End delimit the item in the uncompressed dump.
	Offset, End int64
	// Rows and DataBytes count a COPY block's rows and their bytes.
	Rows, DataBytes int64
}

// Table is one relation of the dump that can hold or show rows.
type Table struct {
	Name        Name
	Kind        Kind // KindTable, KindForeignTable, KindView or KindMaterializedView
	Partitioned bool
	// Parent is the table this one is a partition of or inherits from.
	Parent *Name
	// PartitionOf is set when Parent is a partition parent (not inheritance).
	PartitionOf *Name
	// Rows and Bytes are the table's own data (COPY rows), exact.
	Rows, Bytes int64
	// Data is the index in TOC.Entries of the table's COPY block, -1 if none.
	Data int
}

// Table returns the named table, or nil.
func (t *TOC) Table(n Name) *Table { return t.byName[n] }

// ReadTOC reads the whole dump from r and returns its table of contents.
// progress, if not nil, is called with increasing uncompressed offsets as
// the scan advances. It stops with ctx.Err() when ctx is cancelled, and
// with a *RefusedStatementError at the first item that is not something
// pg_dump writes (vocabulary.go).
func ReadTOC(ctx context.Context, r *Reader, progress func(offset int64)) (*TOC, error) {
	return ScanTOC(ctx, r, ScanHooks{Scanned: progress})
}

// add records e, and what it says about tables.
func (t *TOC) add(e Entry) {
	i := len(t.Entries)
	t.Entries = append(t.Entries, e)
	if e.Warning != "" {
		t.Warnings = append(t.Warnings, fmt.Sprintf("byte %d: %s", e.Offset, e.Warning))
	}
	switch e.Kind {
	case KindTable, KindForeignTable, KindView, KindMaterializedView:
		if t.byName[e.Object] != nil {
			// pg_dump breaks view dependency loops with a placeholder
			// view that a later CREATE OR REPLACE VIEW redefines.
			break
		}
		tbl := &Table{Name: e.Object, Kind: e.Kind, Partitioned: e.Partitioned, Parent: e.Parent, Data: -1}
		t.Tables = append(t.Tables, tbl)
		t.byName[e.Object] = tbl
	case KindPartitionAttach:
		if tbl := t.byName[e.Object]; tbl != nil && e.Parent != nil {
			p := *e.Parent
			tbl.Parent, tbl.PartitionOf = &p, &p
		}
	case KindInherits:
		if tbl := t.byName[e.Object]; tbl != nil && e.Parent != nil && tbl.Parent == nil {
			p := *e.Parent
			tbl.Parent = &p
		}
	case KindCopy:
		if tbl := t.byName[e.Object]; tbl != nil {
			tbl.Rows += e.Rows
			tbl.Bytes += e.DataBytes
			tbl.Data = i
		}
	}
	// pg_dump 15 writes a partition as CREATE TABLE ... PARTITION OF only
	// when --load-via-partition-root is off and the partition is attached
	// inline; either way the parent is known once the parent is partitioned.
	if e.Kind == KindTable && e.Parent != nil {
		if p := t.byName[*e.Parent]; p != nil && p.Partitioned {
			tbl := t.byName[e.Object]
			tbl.PartitionOf = tbl.Parent
		}
	}
}
