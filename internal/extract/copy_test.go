package extract

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestSplitCopyRow(t *testing.T) {
	null := Field{Null: true}
	v := func(s string) Field { return Field{Value: s} }
	for _, tc := range []struct {
		row  string
		want []Field
		err  string
	}{
		{"", []Field{v("")}, ""},
		{"a\tb\n", []Field{v("a"), v("b")}, ""},
		{"\t", []Field{v(""), v("")}, ""},
		{`\N` + "\t" + `x\N` + "\t" + `\\N`, []Field{null, v("xN"), v(`\N`)}, ""},
		{`\b\f\n\r\t\v\\`, []Field{v("\b\f\n\r\t\v\\")}, ""},
		{`a\tb` + "\t" + `c\nd`, []Field{v("a\tb"), v("c\nd")}, ""},
		{`\101\0\12\1010\777`, []Field{v("A\x00\nA0\xff")}, ""},
		{`\x41\x4a4\xg\x`, []Field{v("AJ4xgx")}, ""},
		{"a\\\tb\tc", []Field{v("a\tb"), v("c")}, ""},
		{`\.` + "\t" + `\\.` + "\t" + `\q\"`, []Field{v("."), v(`\.`), v(`q"`)}, ""},
		{"ünï\tcødé 😀", []Field{v("ünï"), v("cødé 😀")}, ""},
		{`\\x0001ff`, []Field{v(`\x0001ff`)}, ""},
		{`abc\`, nil, "lone backslash"},
		{"a\rb", nil, `raw '\r'`},
		{"a\nb", nil, `raw '\n'`},
	} {
		t.Run(tc.row, func(t *testing.T) {
			got, err := SplitCopyRow([]byte(tc.row))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestRowReader(t *testing.T) {
	long := strings.Repeat("x", 200_000) // longer than the RowReader's buffer
	for _, tc := range []struct {
		name  string
		input string
		want  [][]Field
		err   string
	}{
		{"none", "", nil, ""},
		{"rows", "1\ta\n2\t\\N\n", [][]Field{{{Value: "1"}, {Value: "a"}}, {{Value: "2"}, {Null: true}}}, ""},
		{"long row", "1\t" + long + "\n", [][]Field{{{Value: "1"}, {Value: long}}}, ""},
		{"no newline", "1\n2", [][]Field{{{Value: "1"}}}, "read COPY row 2: the row data ends without a newline"},
		{"bad escape", "1\nx\\\n", [][]Field{{{Value: "1"}}}, "decode COPY row 2: COPY row ends with a lone backslash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := NewRowReader(strings.NewReader(tc.input))
			var got [][]Field
			var err error
			for {
				var f []Field
				if f, err = rr.ReadRow(); err != nil {
					break
				}
				got = append(got, f)
			}
			if tc.err == "" && err != io.EOF || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", abbrevFields(got), abbrevFields(tc.want))
			}
		})
	}
}

func abbrevFields(rows [][]Field) string {
	var b strings.Builder
	for _, r := range rows {
		for _, f := range r {
			b.WriteString(abbrev(f.Value, 20) + "|")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestRowReaderOverItem reads decoded rows straight from a Reader's item.
func TestRowReaderOverItem(t *testing.T) {
	input := "COPY t (a, b) FROM stdin;\n1\ttab\\there\n2\t\\N\n\\.\n" + trailer
	r := NewReader(strings.NewReader(input))
	it, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	rr := NewRowReader(it.Rows)
	var got [][]Field
	for {
		f, err := rr.ReadRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	want := [][]Field{{{Value: "1"}, {Value: "tab\there"}}, {{Value: "2"}, {Null: true}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestParseCopyStatement(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		table Name
		cols  []string
		err   string
	}{
		{"COPY public.orders (id, amount) FROM stdin;", Name{"public", "orders"}, []string{"id", "amount"}, ""},
		{`COPY "My Schema"."a.b" ("x;y", "q""uote", "Ünï") FROM stdin;`, Name{"My Schema", "a.b"}, []string{"x;y", `q"uote`, "Ünï"}, ""},
		{"COPY public.t  FROM stdin;", Name{"public", "t"}, nil, ""},
		{"copy ONLY T\n(A)\nfrom STDIN;", Name{"", "t"}, []string{"a"}, ""},
		{`COPY "a"".b"."c;d" (e$1) FROM stdin;`, Name{`a".b`, "c;d"}, []string{"e$1"}, ""},
		{"COPY public.t (a) TO stdout;", Name{}, nil, "expected FROM stdin"},
		{"COPY public.t (a FROM stdin;", Name{}, nil, "expected a column list"},
		{`COPY "unterminated FROM stdin;`, Name{}, nil, "expected a table name"},
		{`COPY "" FROM stdin;`, Name{}, nil, "expected a table name"},
		{"COPYX t FROM stdin;", Name{}, nil, "expected COPY"},
		{"COPY public.(a) FROM stdin;", Name{}, nil, "expected a table name after the schema"},
		{"COPY t FROM stdinx;", Name{}, nil, "expected FROM stdin"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			table, cols, err := ParseCopyStatement(tc.sql)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v, %v; want error %q", table, cols, err, tc.err)
				}
				return
			}
			if err != nil || table != tc.table || !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("got %q %q %v; want %q %q", table, cols, err, tc.table, tc.cols)
			}
		})
	}
}
