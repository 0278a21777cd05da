package extract

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReader: any input reads without panicking into items that are in
// order, within the input, hold exactly its bytes, and end with io.EOF or a
// CorruptError; a tiny buffer fed byte by byte reads the same.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"SELECT 1;" + trailer, "COPY t FROM stdin;\n1\t\\\\.\n\\.\n" + trailer} {
		f.Add([]byte(s))
	}
	if paths, _ := filepath.Glob("testdata/reader/*.sql"); len(paths) > 0 {
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		items, err := readItems(string(input), defaultBufSize, bytes.NewReader(input))
		small, smallErr := readItems(string(input), 8, iotest.OneByteReader(bytes.NewReader(input)))
		if !reflect.DeepEqual(items, small) || !sameError(err, smallErr) {
			t.Fatalf("a tiny buffer reads differently:\nbig:   %+v, %v\nsmall: %+v, %v", items, err, small, smallErr)
		}
		var ce *CorruptError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is not a CorruptError: %v", err)
		}
		if ce != nil && (ce.Offset < 0 || ce.Offset > int64(len(input))) {
			t.Fatalf("error offset %d outside the input (%d bytes)", ce.Offset, len(input))
		}
		if err == nil {
			checkCoverage(t, string(input), items)
			return
		}
		// Before the error, the items read must still be exact.
		for i, it := range items {
			if it.Offset < 0 || it.End > int64(len(input)) || i > 0 && it.Offset < items[i-1].End {
				t.Fatalf("item %d spans [%d,%d)", i, it.Offset, it.End)
			}
			if it.Kind != CopyData && string(input[it.Offset:it.End]) != it.SQL {
				t.Fatalf("item %d SQL %q, input %q", i, it.SQL, input[it.Offset:it.End])
			}
		}
	})
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// FuzzSplitCopyRow: any row decodes without panicking, and a decoded row
// re-encoded as pg_dump would write it decodes to the same fields.
func FuzzSplitCopyRow(f *testing.F) {
	for _, s := range []string{"", "a\tb", `\N`, `\\N\t\101\x41\x\q`, "tab\\there\\n\\\\.", "abc\\", "ünï\t😀"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, row []byte) {
		fields, err := SplitCopyRow(row)
		if err != nil {
			return
		}
		// Fields are not counted by tabs: backslash-tab is an escaped tab, as in PostgreSQL.
		again, err := SplitCopyRow(encodeCopyRow(fields))
		if err != nil || !reflect.DeepEqual(again, fields) {
			t.Fatalf("round trip of %q: %q, %v", row, encodeCopyRow(fields), err)
		}
	})
}

// encodeCopyRow writes fields in COPY text format, as PostgreSQL does.
func encodeCopyRow(fields []Field) []byte {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		if f.Null {
			b.WriteString(`\N`)
			continue
		}
		for j := 0; j < len(f.Value); j++ {
			switch c := f.Value[j]; c {
			case '\\':
				b.WriteString(`\\`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				b.WriteByte(c)
			}
		}
	}
	return []byte(b.String())
}
