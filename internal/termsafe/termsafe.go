package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// What an escaper keeps as it is.
const (
	keepLines = 1 << iota // \n and \t
	keepSGR               // ESC [ <digits ; :> m: colours and text attributes
)

// String renders s for one line of a terminal: every control character,
// newlines and tabs included, is escaped (see the package doc).
func String(s string) string { return escape(s, 0) }

// Text renders a message of one or more lines: as String, but newlines and
// tabs are kept.
func Text(s string) string { return escape(s, keepLines) }

// Styled renders a screen that is already styled: as Text, but SGR
// sequences (ESC [ parameters m, which only set colours and attributes)
// are kept; every other escape sequence is escaped. Whatever reached the
// screen unescaped can then at worst change colours, never act on the
// terminal.
func Styled(s string) string { return escape(s, keepLines|keepSGR) }

// JSON makes encoded JSON (as encoding/json writes it) safe to print on a
// terminal without changing the value it encodes: DEL, C1 controls and
// the bidi and line-separator characters, which encoding/json writes as
// they are, become \u escapes. encoding/json already escapes C0 controls
// inside strings; outside strings JSON holds only ASCII, so every
// character replaced is inside a string, where the escape means the same
// character.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		c := b[i]
		if c == 0x7f {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if unsafeRune(r) {
			break
		}
		i += size
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if unsafeRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// escape writes s with what mode does not keep escaped.
func escape(s string, mode int) string {
	i := firstUnsafe(s, mode)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case (c == '\n' || c == '\t') && mode&keepLines != 0:
				b.WriteByte(c)
			case c == 0x1b && mode&keepSGR != 0 && sgrLen(s[i:]) > 0:
				n := sgrLen(s[i:])
				b.WriteString(s[i : i+n])
				i += n
				continue
			case c < 0x20 || c == 0x7f:
				writeByte(&b, c)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeByte(&b, c)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the index of the first byte of s that escape may have to
// change, -1 when there is none.
func firstUnsafe(s string, mode int) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !((c == '\n' || c == '\t') && mode&keepLines != 0) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// writeByte escapes an ASCII control character or a byte that is not UTF-8.
func writeByte(b *strings.Builder, c byte) {
	switch c {
	case '\n':
		b.WriteString(`\n`)
	case '\t':
		b.WriteString(`\t`)
	case '\r':
		b.WriteString(`\r`)
	default:
		fmt.Fprintf(b, `\x%02x`, c)
	}
}

// unsafeRune reports whether a terminal may act on r: a C1 control, or a
// character that reorders or breaks the line.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls (U+009B is CSI, U+009D OSC)
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// sgrLen is the length of the SGR sequence s starts with (ESC [ digits,
// semicolons and colons, m), 0 when it starts with none.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == ';', c == ':':
		case c == 'm':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}
