package extract

import "testing"

// FuzzParseName: any name ParseName accepts prints (String) as SQL that
// parses back to the same name, so a name shown to the user can be typed
// back exactly, whatever its quotes, dots, semicolons or keywords.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{`public.orders`, `"My Schema"."a.b"`, `orders`, `storage.*`, `"semi;colon"`,
		`"with""quote"`, `"Ünïcødé tåble"`, `public."select"`, `"ORDERS"`, `a . b`, `"a""."""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		back, err := ParseName(n.String())
		if err != nil || back != n {
			t.Fatalf("ParseName(%q) = %#v, printed %q, parsed back as %#v (%v)", s, n, n.String(), back, err)
		}
	})
}
