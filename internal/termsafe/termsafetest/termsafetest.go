// Package termsafetest lets tests check that output is safe for a
// terminal, independently of termsafe's own escaping.
package termsafetest

import (
	"fmt"
	"unicode/utf8"
)

// RawControls lists the characters of s a terminal would act on: C0
// controls but newline and tab, DEL, C1 controls, bidi controls; and
// "invalid UTF-8" when s is not UTF-8.
func RawControls(s string) []string {
	var found []string
	if !utf8.ValidString(s) {
		found = append(found, "invalid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			found = append(found, fmt.Sprintf("%U", r))
		}
	}
	return found
}
