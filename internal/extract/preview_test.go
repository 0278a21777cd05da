package extract

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

// TestPreviewCorpus: for every table of the corpus fixtures with hard
// values, the previewed rows are the first rows COPY returns from the
// source database, decoded (NULLs, escapes, tabs, newlines, bytea, arrays).
func TestPreviewCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t, "types", "names", "shapes") {
		toc := readTOCFile(t, d.GzipPath)
		for _, tbl := range toc.Tables {
			if tbl.Kind != KindTable || tbl.Partitioned {
				continue
			}
			t.Run(d.Fixture+"/"+tbl.Name.String(), func(t *testing.T) {
				const limit = 5
				rs := previewFile(t, d.GzipPath, tbl.Name, limit)
				want := sourceRows(t, d.URL, tbl.Name, limit+1)
				if rs.More != (len(want) > limit) {
					t.Errorf("More = %v with %d rows in the table", rs.More, tbl.Rows)
				}
				want = want[:min(len(want), limit)]
				if len(rs.Rows) != len(want) {
					t.Fatalf("%d rows previewed, want %d", len(rs.Rows), len(want))
				}
				for i := range want {
					if fmt.Sprint(rs.Rows[i]) != fmt.Sprint(want[i]) {
						t.Errorf("row %d:\n got %v\nwant %v", i+1, rs.Rows[i], want[i])
					}
				}
			})
		}
	}
}

func TestPreviewMissingTable(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "shapes")[0]
	f, err := OpenFile(d.GzipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Preview(t.Context(), f.Reader, Name{Schema: "public", Name: "no_such_table"}, 3); err == nil {
		t.Fatal("preview of a missing table succeeded")
	}
}

func previewFile(t *testing.T, path string, table Name, limit int) *RowSet {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := Preview(t.Context(), f.Reader, table, limit)
	if err != nil {
		t.Fatalf("Preview %s: %v", table, err)
	}
	return rs
}

// sourceRows returns the first n rows of table as the source database's COPY
// TO STDOUT writes them, decoded.
func sourceRows(t *testing.T, url string, table Name, n int) [][]Field {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var buf bytes.Buffer
	if _, err := conn.PgConn().CopyTo(t.Context(), &buf, "COPY "+table.String()+" TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	rr := NewRowReader(&buf)
	var rows [][]Field
	for len(rows) < n {
		line, err := rr.ReadLine()
		if err != nil {
			break
		}
		fields, err := SplitCopyRow(line)
		if err != nil {
			t.Fatal(err)
		}
		if len(line) == 0 {
			fields = nil
		}
		rows = append(rows, fields)
	}
	return rows
}
