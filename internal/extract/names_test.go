package extract

import (
	"strings"
	"testing"
)

func TestNameString(t *testing.T) {
	tests := []struct {
		name Name
		want string
	}{
		{Name{"public", "orders"}, "public.orders"},
		{Name{"", "orders"}, "orders"},
		{Name{"My Schema", "a.b"}, `"My Schema"."a.b"`},
		{Name{"public", "semi;colon"}, `public."semi;colon"`},
		{Name{"public", `say "hi"`}, `public."say ""hi"""`},
		{Name{"public", "Ünïcode"}, `public."Ünïcode"`},
		{Name{"public", "ünïcode"}, `public."ünïcode"`}, // quote_ident quotes non-ASCII too
		{Name{"public", "Orders"}, `public."Orders"`},
		{Name{"public", "t_1$x"}, "public.t_1$x"},
		{Name{"public", "1t"}, `public."1t"`},
		{Name{"public", "$t"}, `public."$t"`},
		{Name{"public", "select"}, `public."select"`}, // reserved
		{Name{"public", "user"}, `public."user"`},     // reserved
		{Name{"public", "int"}, `public."int"`},       // column-name keyword
		{Name{"public", "left"}, `public."left"`},     // type/function-name keyword
		{Name{"public", "name"}, "public.name"},       // unreserved keyword stays bare
		{Name{"public", "comment"}, "public.comment"}, // unreserved
		{Name{"auth", "users"}, "auth.users"},
		{Name{"storage", "*"}, "storage.*"},
		{Name{"table", "*"}, `"table".*`},
		{Name{"public", "*x"}, `public."*x"`},
		{Name{"", ""}, `""`},
	}
	for _, tt := range tests {
		if got := tt.name.String(); got != tt.want {
			t.Errorf("%#v.String() = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestQuoteLiteral(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"public.orders", "'public.orders'"},
		{`"My Schema"."it's"`, `'"My Schema"."it''s"'`},
		{`a\b`, `E'a\\b'`},
		{`\'; DROP TABLE x; --`, `E'\\''; DROP TABLE x; --'`},
		{"", "''"},
	} {
		if got := QuoteLiteral(tt.in); got != tt.want {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDollarQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"SELECT 1", "$restorectl$SELECT 1$restorectl$"},
		{"x $restorectl$ y", "$restorectl_1$x $restorectl$ y$restorectl_1$"},
		{"$restorectl$$restorectl_1$", "$restorectl_2$$restorectl$$restorectl_1$$restorectl_2$"},
		{"x $restorectl", "$restorectl_1$x $restorectl$restorectl_1$"}, // would end at "$restorectl" + "$"
	} {
		if got := dollarQuote(tt.in); got != tt.want {
			t.Errorf("dollarQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		in   string
		want Name
	}{
		{"orders", Name{"", "orders"}},
		{"public.orders", Name{"public", "orders"}},
		{"Public.Orders", Name{"public", "orders"}},
		{`"Public"."Orders"`, Name{"Public", "Orders"}},
		{`"My Schema"."a.b"`, Name{"My Schema", "a.b"}},
		{`public."semi;colon"`, Name{"public", "semi;colon"}},
		{`public."say ""hi"""`, Name{"public", `say "hi"`}},
		{`public."Ünïcode"`, Name{"public", "Ünïcode"}},
		{`ÜNÏCODE`, Name{"", "ÜnÏcode"}}, // only ASCII folds, as in PostgreSQL
		{`public.ÄbC`, Name{"public", "Äbc"}},
		{"  public . orders  ", Name{"public", "orders"}},
		{"public.*", Name{"public", "*"}},
		{`"My Schema".*`, Name{"My Schema", "*"}},
		{`public."*"`, Name{"public", "*"}}, // a table really named *
		{"t_1$x", Name{"", "t_1$x"}},
		{`"a""b".c`, Name{`a"b`, "c"}},
		{`"select"`, Name{"", "select"}},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseName(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "empty name"},
		{"   ", "empty name"},
		{"a.b.c", "3 dot-separated parts"},
		{`"unterminated`, "unterminated"},
		{`public.""`, "empty quoted name"},
		{"public.", "nothing after the last dot"},
		{".orders", `unexpected "."`},
		{"public orders", `unexpected "o" after "public"`},
		{"public.orders;", `unexpected ";"`},
		{"1abc", `unexpected "1"`},
		{"*", "bare *"},
		{"*.orders", "* must be the last part"},
		{`public."a"b`, `unexpected "b"`},
	}
	for _, tt := range tests {
		_, err := ParseName(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseName(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// Whatever String writes, ParseName reads back.
func TestNameRoundTrip(t *testing.T) {
	names := []Name{
		{"public", "orders"}, {"My Schema", "a.b"}, {"public", "semi;colon"},
		{"x", `"`}, {"x", `a"."b`}, {"Ünïcode", "ÄÖÜ"}, {"public", "select"},
		{"public", "Orders"}, {"", "user"}, {"s", " lead and trail "}, {"s", "*"},
	}
	for _, n := range names {
		got, err := ParseName(n.String())
		if err != nil || got != n {
			t.Errorf("ParseName(%s) = %#v, %v; want %#v", n, got, err, n)
		}
	}
}
