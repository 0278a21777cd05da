// Package extract reads snapshots: a gzipped plain-format pg_dump stream
// becomes a sequence of Items (SQL statements, psql meta-commands and COPY
// blocks whose rows stream), each classified and attributed to the tables
// it belongs to; from those it builds a table of contents, a selection of
// tables with what they depend on, a psql script and row previews.
//
// Everything streams: a snapshot of any size is read in bounded memory, and
// COPY rows are never held whole or parsed as SQL.
package extract
