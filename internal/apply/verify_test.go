package apply

import (
	"testing"

	"github.com/powabase/restorectl/internal/extract"
)

// TestVerifyFailure: the verdict on a verification's row counts, without
// a database: nil when every table holds what it should, else one error
// that names every table that does not, and says nothing changed.
func TestVerifyFailure(t *testing.T) {
	orders := extract.Name{Schema: "public", Name: "orders"}
	items := extract.Name{Schema: "public", Name: "items"}
	hostile := extract.Name{Schema: "public", Name: "a\"; b"}
	for _, tc := range []struct {
		name   string
		checks []Check
		want   string // "" for nil
	}{
		{"no tables", nil, ""},
		{"all counts match", []Check{{Table: orders, Want: 3, Got: 3, OK: true}, {Table: items, OK: true}}, ""},
		{"one table short", []Check{{Table: orders, Want: 3, Got: 3, OK: true}, {Table: items, Want: 4, Got: 2}},
			"verification failed, rolled back (nothing was changed): public.items holds 2 of the snapshot's 4 rows"},
		{"two tables off, named in order, quoted", []Check{{Table: hostile, Want: 3, Got: 5}, {Table: items, Want: 4, Got: 2}},
			`verification failed, rolled back (nothing was changed): public."a""; b" holds 5 of the snapshot's 3 rows; public.items holds 2 of the snapshot's 4 rows`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyFailure(tc.checks)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("verifyFailure = %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("verifyFailure = %v,\nwant %s", err, tc.want)
			}
		})
	}
}
