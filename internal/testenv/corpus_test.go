package testenv_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

func TestCorpusFixtures(t *testing.T) {
	fixtures := testenv.CorpusFixtures()
	var names []string
	for _, f := range fixtures {
		if strings.TrimSpace(f.SQL) == "" {
			t.Errorf("fixture %s is empty", f.Name)
		}
		names = append(names, f.Name)
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("fixture names %v are not sorted and unique", names)
	}
	if !slices.Contains(names, "bigrow") || !slices.Contains(names, "platform") {
		t.Errorf("fixtures %v lack bigrow or platform", names)
	}
}

// The reference behaviour the extraction engine must reproduce table by
// table: restoring a whole dump with psql gives every table its rows back.
func TestCorpusRoundTrip(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			checkDumpFiles(t, d)
			db, _ := pg.CreateDatabase(t)
			pg.LoadScript(t, db, d.GzipPath)
			want := pg.Tables(t, d.Database)
			if got := pg.Tables(t, db); !slices.Equal(got, want) {
				t.Fatalf("restored tables %v, want %v", got, want)
			}
			for _, table := range want {
				src := pg.TableChecksum(t, d.Database, table)
				if got := pg.TableChecksum(t, db, table); got != src {
					t.Errorf("%s: restored checksum %s, source %s", table, got, src)
				}
			}
		})
	}
}

// checkDumpFiles checks that the dump is complete and its gzipped copy holds
// the same bytes.
func checkDumpFiles(t *testing.T, d testenv.CorpusDump) {
	t.Helper()
	plain, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := strings.TrimRight(string(plain[max(0, len(plain)-500):]), "\n")
	if !strings.Contains(trimmed, "-- PostgreSQL database dump complete") {
		t.Errorf("%s does not end with the dump complete trailer:\n%s", d.Path, trimmed)
	}
	f, err := os.Open(d.GzipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip %s: %v", d.GzipPath, err)
	}
	if !bytes.Equal(unzipped, plain) {
		t.Errorf("%s does not hold the same bytes as %s", d.GzipPath, d.Path)
	}
}
