package apply

import (
	"fmt"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/extract"
)

// FuzzParseSetval: whatever parseSetval accepts, written back in pg_dump's
// form, parses to the same sequence, value and is_called, and extract
// records the same value and is_called in the table of contents; pg_dump's
// own spellings are accepted.
func FuzzParseSetval(f *testing.F) {
	f.Add("SELECT pg_catalog.setval('public.orders_id_seq', 42, true);")
	f.Add("SELECT pg_catalog.setval('\"My Schema\".\"it''s_seq\"', 1, false);")
	f.Add("SELECT pg_catalog.setval('s', -9223372036854775808, true);")
	f.Add("SELECT pg_catalog.setval('s', 99999999999999999999, true);")
	f.Add("select pg_catalog.setval( 's' , 7 , TRUE ) ;")
	f.Fuzz(func(t *testing.T, sql string) {
		seq, v, called, ok := parseSetval(sql)
		if !ok {
			return
		}
		back := fmt.Sprintf("SELECT pg_catalog.setval('%s', %d, %t);", strings.ReplaceAll(seq, "'", "''"), v, called)
		seq2, v2, called2, ok2 := parseSetval(back)
		if !ok2 || seq2 != seq || v2 != v || called2 != called {
			t.Fatalf("parseSetval(%q) = %q %d %t; written back %q parses to %q %d %t %t", sql, seq, v, called, back, seq2, v2, called2, ok2)
		}
		// The plan reads the value the table of contents recorded
		// (extract's parse): it must be the value the load sets.
		c := extract.Classify(back, nil)
		v3, called3, ok3 := extract.ParseSetvalDetail(c.Detail)
		if c.Kind == extract.KindSequenceSet && (!ok3 || v3 != v || called3 != called) {
			t.Fatalf("%q: the table of contents records %q (%d %t %t), the load sets %d %t", back, c.Detail, v3, called3, ok3, v, called)
		}
	})
}
