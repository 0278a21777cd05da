package extract

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

// TestReadTOCCorpus: over every corpus dump, the table of contents lists
// every table of the source database with its exact row count, and knows
// which tables are partitions of which.
func TestReadTOCCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			toc := readTOCFile(t, d.GzipPath)
			if len(toc.Warnings) != 0 {
				t.Errorf("warnings: %q", toc.Warnings)
			}
			for _, q := range pg.Tables(t, d.Database) {
				n, err := ParseName(q)
				if err != nil {
					t.Fatalf("ParseName(%s): %v", q, err)
				}
				tbl := toc.Table(n)
				if tbl == nil {
					t.Errorf("table %s is missing from the TOC", q)
					continue
				}
				want, _ := strconv.ParseInt(queryValue(t, d.URL, "SELECT count(*) FROM ONLY "+q), 10, 64)
				if tbl.Rows != want {
					t.Errorf("%s: %d rows in the TOC, %d in the database", q, tbl.Rows, want)
				}
				if (tbl.Rows > 0) != (tbl.Bytes > 0) {
					t.Errorf("%s: %d rows but %d bytes", q, tbl.Rows, tbl.Bytes)
				}
				parent := queryValue(t, d.URL, `SELECT coalesce((SELECT format('%I.%I', n.nspname, p.relname) FROM pg_inherits i
					JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
					WHERE i.inhrelid = '`+strings.ReplaceAll(q, "'", "''")+`'::regclass AND p.relkind = 'p'), '')`)
				if got := nameString(tbl.PartitionOf); got != parent {
					t.Errorf("%s: partition of %q in the TOC, %q in the database", q, got, parent)
				}
			}
		})
	}
}

func readTOCFile(t *testing.T, path string) *TOC {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	toc, err := ReadTOC(t.Context(), f.Reader, nil)
	if err != nil {
		t.Fatalf("ReadTOC %s: %v", path, err)
	}
	return toc
}

// queryValue returns the one value sql selects, as text.
func queryValue(t *testing.T, url, sql string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(t.Context(), "SELECT ("+sql+")::text").Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func nameString(n *Name) string {
	if n == nil {
		return ""
	}
	return n.String()
}
