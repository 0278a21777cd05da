package apply

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fileSource is a scanning Source over a dump file (.sql.gz or .sql).
func fileSource(t testing.TB, path string) *Source {
	t.Helper()
	f, err := extract.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	toc, err := extract.ReadTOC(context.Background(), f.Reader, nil)
	f.Close()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return ScanSource(path, toc, func(context.Context) (io.ReadCloser, error) { return os.Open(path) })
}
