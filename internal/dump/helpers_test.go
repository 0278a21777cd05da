package dump

import (
	"os"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const secret = dumptest.Secret

var fixedTime = dumptest.FixedTime

// localStore is a fresh local store in a temp dir.
func localStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listKeys lists every object in the store.
func listKeys(t *testing.T, s catalog.Store) []string { return storetest.Keys(t, s, "") }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
