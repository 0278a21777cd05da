// Package extract reads snapshots: a gzipped plain-format pg_dump stream
// becomes a sequence of Items (SQL statements, psql meta-commands and COPY
// blocks whose rows stream), each classified and attributed to the tables
// it belongs to; from those it builds a table of contents, a selection of
// tables with what they depend on, a psql script and row previews.
//
// Everything streams: a snapshot of any size is read in bounded memory, and
// COPY rows are never held whole or parsed as SQL.
//
// A snapshot is customer-controlled: only the statement forms pg_dump itself
// writes are accepted (vocabulary.go). Every item is vetted where items are
// read: a scan building a table of contents (ScanTOC, ReadTOC) and every walk
// (Walk, Ranged.Walk, hence scripts and restores) refuse the snapshot with a
// *RefusedStatementError naming the item's offset before anything uses it.
//
// The map, in the order data flows:
//
//	gzip.go        compressed stream → text, with compressed/uncompressed offsets for errors
//	reader.go      text → Items: exact statement splitting, COPY rows streamed (CorruptError)
//	classify.go    one statement → Classification with pg_query (kind, object, tables, uses)
//	vocabulary.go  only pg_dump's vocabulary: Vet refuses any other item (RefusedStatementError)
//	names.go       SQL names: parsing what users type, quoting for output
//	toc.go         Items → TOC: every entry with offsets, every table with rows and bytes
//	index.go       the TOC as a sidecar index, with the gzip members that make it seekable
//	ranged.go      with an index: scripts and previews from ranged reads of only the members needed
//	select.go      user names → tables → Selection: the closure of what they need
//	script.go      Selection → psql script, streamed from a second pass
//	preview.go     the first rows of one table, decoded from COPY text
//	copy.go        COPY text-format rows and statements
package extract
