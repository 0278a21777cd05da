package termsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in          string
		str, text, styled string
	}{
		{"plain", "public.orders", "public.orders", "public.orders", "public.orders"},
		{"unicode kept", `"Ünïcødé"."漢字 🎉"`, `"Ünïcødé"."漢字 🎉"`, `"Ünïcødé"."漢字 🎉"`, `"Ünïcødé"."漢字 🎉"`},
		{"OSC title", "evil\x1b]0;pwned\x07", `evil\x1b]0;pwned\x07`, `evil\x1b]0;pwned\x07`, `evil\x1b]0;pwned\x07`},
		{"clear screen", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"newline and tab", "a\nb\tc\rd", `a\nb\tc\rd`, "a\nb\tc\\rd", "a\nb\tc\\rd"},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`, `a\x00b\x7f`, `a\x00b\x7f`},
		{"C1 CSI", "a\u009b2Jb\u009d0;x\u009c", `a\u009b2Jb\u009d0;x\u009c`, `a\u009b2Jb\u009d0;x\u009c`, `a\u009b2Jb\u009d0;x\u009c`},
		{"bidi override", "invoice\u202efdp.exe", `invoice\u202efdp.exe`, `invoice\u202efdp.exe`, `invoice\u202efdp.exe`},
		{"bidi isolates and marks", "\u2066a\u2069\u200e\u200f\u061c", `\u2066a\u2069\u200e\u200f\u061c`, `\u2066a\u2069\u200e\u200f\u061c`, `\u2066a\u2069\u200e\u200f\u061c`},
		{"line separators", "a\u2028b\u2029", `a\u2028b\u2029`, `a\u2028b\u2029`, `a\u2028b\u2029`},
		{"not UTF-8", "a\xff\xc3b", `a\xff\xc3b`, `a\xff\xc3b`, `a\xff\xc3b`},
		{"replacement character kept", "a\uFFFDb", "a\uFFFDb", "a\uFFFDb", "a\uFFFDb"},
		{"SGR kept only when styled", "\x1b[1;38;2;1:2:3mbold\x1b[0m", `\x1b[1;38;2;1:2:3mbold\x1b[0m`, `\x1b[1;38;2;1:2:3mbold\x1b[0m`, "\x1b[1;38;2;1:2:3mbold\x1b[0m"},
		{"not SGR when styled", "\x1b[2J\x1b[?25l\x1b[", `\x1b[2J\x1b[?25l\x1b[`, `\x1b[2J\x1b[?25l\x1b[`, `\x1b[2J\x1b[?25l\x1b[`},
		{"empty", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.str {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.str)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := Styled(tt.in); got != tt.styled {
				t.Errorf("Styled(%q) = %q, want %q", tt.in, got, tt.styled)
			}
		})
	}
}

// terminalSafe reports why s could act on a terminal, "" when it cannot.
func terminalSafe(s string, keepLines bool) string {
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	for _, r := range s {
		if (r == '\n' || r == '\t') && keepLines {
			continue
		}
		if r < 0x20 || r == 0x7f || unsafeRune(r) {
			return "holds " + string(r)
		}
	}
	return ""
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"evil\x1b]0;pwned\x07", "\x1b[2J", "a\u009b", "\u202e", "\xff", "ok", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if why := terminalSafe(String(s), false); why != "" {
			t.Errorf("String(%q) = %q: %s", s, String(s), why)
		}
		if why := terminalSafe(Text(s), true); why != "" {
			t.Errorf("Text(%q) = %q: %s", s, Text(s), why)
		}
		if why := terminalSafe(s, false); why == "" && String(s) != s {
			t.Errorf("String(%q) = %q changed a safe string", s, String(s))
		}
		// Styled leaves ESC only at the start of an SGR sequence.
		out := Styled(s)
		for i := strings.IndexByte(out, 0x1b); i >= 0; i = strings.IndexByte(out, 0x1b) {
			n := sgrLen(out[i:])
			if n == 0 {
				t.Fatalf("Styled(%q) = %q keeps an ESC that starts no SGR", s, Styled(s))
			}
			out = out[i+n:]
		}
	})
}

func TestJSON(t *testing.T) {
	values := []string{
		"evil\x1b]0;pwned\x07",
		"a\x1b[2J\x7f",
		"\u009b31m\u202e\u2066\u2028<&>",
		"Ünïcødé 漢字 🎉",
		"",
	}
	enc, err := json.MarshalIndent(map[string]any{"names": values, "n": 1}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(enc)
	if why := terminalSafe(string(out), true); why != "" {
		t.Errorf("JSON output %q %s", out, why)
	}
	var back struct{ Names []string }
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Join(back.Names, "|") != strings.Join(values, "|") {
		t.Errorf("decoded %q, want %q", back.Names, values)
	}
	if !strings.Contains(string(out), `\u009b31m\u202e\u2066`) || !strings.Contains(string(out), `\u007f`) {
		t.Errorf("JSON output lacks the escapes: %s", out)
	}
	plain := []byte(`{"a": "Ünïcødé"}`)
	if got := JSON(plain); string(got) != string(plain) {
		t.Errorf("JSON(%s) = %s", plain, got)
	}
}
