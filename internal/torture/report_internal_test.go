//go:build torture

package torture

import "testing"

// TestCauseOf: failures that differ only in names and numbers group
// together; different errors do not.
func TestCauseOf(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"empty fkpart3.fk1, fkpart3.pk1 on the target: ERROR: cannot truncate",
			"empty public.a, public.b, public.c on the target: ERROR: cannot truncate"},
		{`psql:/tmp/x/002/script.sql:47: ERROR: new row for relation "t" violates check constraint "c" | DETAIL: Failing row contains (0).`,
			`psql:/tmp/y/003/script.sql:48: ERROR: new row for relation "u" violates check constraint "d" | DETAIL: Failing row contains (30).`},
		{"fkpart3.fk1 has no primary key on the target",
			"fkpart3.fk1 has no primary key on the target; fkpart3.fk2 has no primary key on the target"},
	} {
		if a, b := causeOf(tc.a), causeOf(tc.b); a != b {
			t.Errorf("causes differ:\n%s\n%s", a, b)
		}
	}
	if causeOf("ERROR: cannot truncate") == causeOf("ERROR: syntax error") {
		t.Error("different errors have the same cause")
	}
}
