package extract

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

// TestExtractRoundTripIndexed is TestExtractRoundTrip through an index: each
// corpus dump is cut into small gzip members (mid-statement and mid-row
// too), and every table, extracted by ranged reads alone, loads into an
// empty database with exactly the source's rows.
func TestExtractRoundTripIndexed(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			t.Parallel()
			text, err := os.ReadFile(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			gz, ix := seekable(t, text, 64<<10)
			toc := ix.TOC()
			for _, table := range pg.Tables(t, d.Database) {
				t.Run(table, func(t *testing.T) {
					t.Parallel()
					names, err := toc.Resolve([]string{table})
					if err != nil {
						t.Fatal(err)
					}
					sel := toc.Select(names)
					o := &byteOpener{t: t, obj: gz}
					script := filepath.Join(t.TempDir(), "extract.sql")
					f, err := os.Create(script)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := (&Ranged{Index: ix, Open: o.open}).WriteScript(t.Context(), f, sel, SchemaAndData); err != nil {
						t.Fatalf("ranged WriteScript %s: %v", table, err)
					}
					if err := f.Close(); err != nil {
						t.Fatal(err)
					}
					db, _ := pg.CreateDatabase(t)
					pg.LoadScript(t, db, script)
					if got, want := pg.TableChecksum(t, db, table), pg.TableChecksum(t, d.Database, table); got != want {
						t.Errorf("checksum %s, source %s", got, want)
					}
				})
			}
		})
	}
}
