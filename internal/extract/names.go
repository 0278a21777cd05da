package extract

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Name is a possibly schema-qualified SQL name, unquoted: Name{"My Schema",
// "a.b"} is written "My Schema"."a.b" in SQL. Schema is empty when the name
// was written without one. Name "*" (from "schema.*") stands for every
// table of the schema.
type Name struct {
	Schema, Name string
}

// String writes the name as SQL would, quoting each part only when needed.
func (n Name) String() string {
	name := QuoteIdent(n.Name)
	if n.Name == "*" {
		name = "*"
	}
	if n.Schema == "" {
		return name
	}
	return QuoteIdent(n.Schema) + "." + name
}

// QuoteIdent quotes s as PostgreSQL's quote_ident does: bare when it is
// lowercase letters, digits, _ and $ (not starting with a digit or $) and
// not a keyword that would need quoting; otherwise in double quotes, with
// embedded quotes doubled.
func QuoteIdent(s string) string {
	if isBareIdent(s) && !needsQuoteAsKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes s as a SQL string literal, as libpq's
// PQescapeLiteral does: quotes doubled and, when s holds a backslash, the
// E'...' form with backslashes doubled, so that it reads the same whatever
// standard_conforming_strings says.
func QuoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// dollarQuote quotes body between dollar quotes whose tag (restorectl,
// then restorectl_1, ...) occurs nowhere in body, nor across its end, so
// that nothing in body ends the quote early.
func dollarQuote(body string) string {
	tag := "$restorectl$"
	for i := 1; strings.Index(body+tag, tag) != len(body); i++ {
		tag = fmt.Sprintf("$restorectl_%d$", i)
	}
	return tag + body + tag
}

func isBareIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case (c >= '0' && c <= '9') || c == '$':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// needsQuoteAsKeyword asks pg_query's scanner, so the keyword list is the
// parser's own (PostgreSQL 17's grammar) rather than a copy that drifts.
// Like quote_ident, only unreserved keywords may stay bare.
func needsQuoteAsKeyword(s string) bool {
	res, err := pg_query.Scan(s)
	if err != nil || len(res.GetTokens()) != 1 {
		return true // cannot tell: quoting is always correct
	}
	switch res.GetTokens()[0].GetKeywordKind() {
	case pg_query.KeywordKind_NO_KEYWORD, pg_query.KeywordKind_UNRESERVED_KEYWORD:
		return false
	}
	return true
}

// ParseName parses a name as written in SQL: orders, public.orders,
// "My Schema"."a.b", public.* . Unquoted parts are folded to lower case as
// PostgreSQL folds them (ASCII letters only); quoted parts are kept exactly,
// with "" standing for one quote. Whitespace around the dot is allowed.
func ParseName(s string) (Name, error) {
	parts, err := splitName(s)
	if err != nil {
		return Name{}, fmt.Errorf("parse name %q: %w; write it as in SQL, e.g. public.orders or \"My Schema\".\"a.b\"", s, err)
	}
	switch len(parts) {
	case 1:
		if parts[0] == "*" {
			return Name{}, fmt.Errorf("parse name %q: a bare * names no schema; write schema.* (e.g. public.*)", s)
		}
		return Name{Name: parts[0]}, nil
	case 2:
		return Name{Schema: parts[0], Name: parts[1]}, nil
	}
	return Name{}, fmt.Errorf("parse name %q: %d dot-separated parts; expected name or schema.name (quote a name that contains a dot: \"a.b\")", s, len(parts))
}

// splitName splits s into its dot-separated parts, unquoting and folding
// each. The only unquoted "*" allowed is a whole last part.
func splitName(s string) ([]string, error) {
	var parts []string
	rest := strings.TrimSpace(s)
	if rest == "" {
		return nil, errors.New("empty name")
	}
	for {
		part, r, err := namePart(rest)
		if err != nil {
			return nil, err
		}
		if len(parts) > 0 && parts[len(parts)-1] == "*" {
			return nil, errors.New("* must be the last part")
		}
		parts = append(parts, part)
		rest = strings.TrimLeft(r, " \t\r\n")
		if rest == "" {
			return parts, nil
		}
		if rest[0] != '.' {
			return nil, fmt.Errorf("unexpected %q after %q", firstRune(rest), part)
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" {
			return nil, errors.New("nothing after the last dot")
		}
	}
}

// namePart reads one identifier from the start of s and returns it with
// the remaining text.
func namePart(s string) (part, rest string, err error) {
	switch {
	case s[0] == '"':
		return quotedPart(s)
	case s[0] == '*':
		return "*", s[1:], nil
	}
	end := 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !isIdentRune(r, end == 0) {
			break
		}
		end += size
	}
	if end == 0 {
		return "", "", fmt.Errorf("unexpected %q: an unquoted name starts with a letter or _ (quote other names)", firstRune(s))
	}
	return foldASCII(s[:end]), s[end:], nil
}

// quotedPart reads a double-quoted identifier; "" inside stands for ".
func quotedPart(s string) (part, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		if b.Len() == 0 {
			return "", "", errors.New(`empty quoted name ""`)
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New("unterminated quoted name (a \" is missing)")
}

// isIdentRune reports whether r may appear in an unquoted identifier; like
// PostgreSQL's scanner, any non-ASCII character counts as a letter.
func isIdentRune(r rune, first bool) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= utf8.RuneSelf && r != utf8.RuneError:
		return true
	case r >= '0' && r <= '9', r == '$':
		return !first
	}
	return false
}

// foldASCII lower-cases ASCII letters only, as PostgreSQL does for
// unquoted identifiers in a UTF-8 database.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return string(r)
}
