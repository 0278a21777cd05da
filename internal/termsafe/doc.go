// Package termsafe renders text that came from a snapshot or a store
// (table, schema and column names, values, keys, and the messages that
// quote them) for a terminal.
//
// A snapshot is customer-controlled: a table may be called
// "evil\x1b]0;pwned\x07" and a value may hold "\x1b[2J". Printed as they
// are, such bytes are commands to the terminal: they clear the screen,
// retitle the window, move the cursor to overwrite what was printed,
// write to the clipboard (OSC 52), or reorder a line (bidi overrides). So
// everything restorectl prints on a terminal goes through this package,
// which writes those characters out visibly instead:
//
//   - C0 controls and DEL as \n, \t, \r or \xNN (\x1b, \x07, \x7f);
//   - C1 controls U+0080–U+009F as \u0080 … \u009f (\u009b is CSI);
//   - bidi embeddings, overrides, isolates and marks (U+061C, U+200E,
//     U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph
//     separators U+2028 and U+2029 as \u202e and so on;
//   - bytes that are not UTF-8 as \xNN.
//
// Everything else, ordinary Unicode included (ü, 漢字, emoji), is kept.
// The escaped form is for reading, not for parsing: a backslash is left
// as it is, so a name spelled with a literal `\x1b` looks the same as one
// holding the control character.
//
// String is for one line (a name, a cell); Text for a message of several
// lines (an error), keeping its newlines and tabs; Styled for a screen
// already coloured with SGR sequences (the console's last line of
// defence); JSON for encoded JSON, which stays exactly the same value.
package termsafe
