package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// previewWidth is how many characters of a value the table shows.
const previewWidth = 40

func runPreview(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("preview", "SNAPSHOT --table NAME [--limit N] [--json] [--store URL]", e)
	snapFlags := addSnapshotFlags(fs)
	table := fs.String("table", "", "the table, as written in SQL: public.orders, \"My Schema\".\"a.b\", or unqualified when unique")
	limit := fs.Int("limit", 10, "how many rows to show")
	asJSON := fs.Bool("json", false, "print JSON")
	noIndex := noIndexFlag(fs)
	stats := fs.Bool("stats", false, "report on stderr how many bytes of the snapshot were read")
	specs, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *table == "" {
		return usagef("preview: --table is required")
	}
	if *limit < 1 {
		return usagef("preview: --limit must be at least 1")
	}
	if _, err := extract.ParseName(*table); err != nil {
		return usagef("preview: --table %s: %v", *table, err)
	}
	snap, err := snapFlags.resolveSaying(ctx, specs[0], e)
	if err != nil {
		return err
	}
	rs, err := previewFromSource(withStderr(ctx, e.stderr), snap, *table, *limit, *noIndex, *stats)
	if err != nil {
		return err
	}
	if *asJSON {
		return printRowsJSON(e.stdout, rs)
	}
	return printRows(e.stdout, rs)
}

// previewFromSource previews the table typed: with a usable index of a
// seekable snapshot (unless noIndex), from the members holding the start
// of its data alone; otherwise by scanning up to its data. stats reports
// on stderr how much of the snapshot was read.
func previewFromSource(ctx context.Context, snap catalog.Resolved, typed string, limit int, noIndex, stats bool) (*extract.RowSet, error) {
	src, err := ticket.Open(ctx, snap, ticket.OpenOptions{NoIndex: noIndex, Lazy: true, Notes: openOptions(ctx, noIndex).Notes})
	if err != nil {
		return nil, err
	}
	if stats {
		defer printStats(stderrOf(ctx), src)
	}
	n, err := extract.ParseName(typed)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if n.Schema != "" && n.Name != "*" {
		// Taken as it is: no scan for the table of contents. Only a table
		// that is missing needs it, for the names that come close.
		rs, err := src.Preview(ctx, n, limit)
		if !errors.Is(err, extract.ErrNoTable) {
			return rs, err
		}
		if _, lerr := src.LoadTOC(ctx); lerr != nil {
			return nil, err
		}
		if _, rerr := src.Tables([]string{typed}); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	if _, err := src.LoadTOC(ctx); err != nil {
		return nil, err
	}
	names, err := src.Tables([]string{typed})
	if err != nil {
		return nil, err
	}
	if len(names) != 1 {
		return nil, fmt.Errorf("snapshot %s: %q names %s: preview one at a time", snap.Name, typed, catalog.Plural(len(names), "table", "tables"))
	}
	return src.Preview(ctx, names[0], limit)
}

func printRows(w io.Writer, rs *extract.RowSet) error {
	if len(rs.Rows) == 0 {
		_, err := fmt.Fprintf(w, "%s has no rows in this snapshot\n", termsafe.String(rs.Table.String()))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	columns := make([]string, len(rs.Columns))
	for i, c := range rs.Columns {
		columns[i] = termsafe.String(c)
	}
	fmt.Fprintln(tw, strings.Join(columns, "\t"))
	for _, row := range rs.Rows {
		cells := make([]string, len(row))
		for i, f := range row {
			cells[i] = displayValue(f)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rs.More {
		fmt.Fprintf(w, "(first %d rows of %s)\n", len(rs.Rows), termsafe.String(rs.Table.String()))
	}
	return nil
}

// displayValue shows a value on one line of an aligned table: NULL as
// NULL, backslashes doubled, control characters escaped (termsafe), long
// values cut.
func displayValue(f extract.Field) string {
	if f.Null {
		return "NULL"
	}
	v := termsafe.String(strings.ReplaceAll(f.Value, `\`, `\\`))
	if utf8.RuneCountInString(v) > previewWidth {
		v = string([]rune(v)[:previewWidth-1]) + "…"
	}
	return v
}

func printRowsJSON(w io.Writer, rs *extract.RowSet) error {
	rows := make([][]*string, len(rs.Rows))
	for i, row := range rs.Rows {
		rows[i] = make([]*string, len(row))
		for j, f := range row {
			if !f.Null {
				rows[i][j] = &f.Value
			}
		}
	}
	return writeJSON(w, struct {
		Table   string      `json:"table"`
		Columns []string    `json:"columns"`
		Rows    [][]*string `json:"rows"`
		More    bool        `json:"more"`
	}{rs.Table.String(), rs.Columns, rows, rs.More})
}
