package dump

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// redacted replaces every password this package removes from text.
const redacted = "xxxxx"

var (
	// scheme://user:password@ → scheme://user:xxxxx@ (any scheme, so that
	// postgres://, postgresql:// and webhook-style URLs are all covered).
	urlPasswordRE = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^\s:@/]*:)[^\s/]*@`)
	// password=... in libpq keyword/value strings, URL query strings and
	// environment listings (PGPASSWORD=..., sslpassword=...).
	kvPasswordRE = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)`)
)

// Redact removes passwords from s: the password of any URL's userinfo
// (postgres://user:pass@host → postgres://user:xxxxx@host) and the value of
// any password=... pair (libpq keyword/value strings, URL query parameters,
// PGPASSWORD=... and sslpassword=...). Everything else is left as it is.
//
// Redact works on the shape of the text; text that may contain a password in
// no recognisable shape (pg_dump's stderr) is additionally scrubbed of the
// exact password by this package before it is logged or returned.
func Redact(s string) string {
	s = urlPasswordRE.ReplaceAllString(s, "${1}"+redacted+"@")
	return kvPasswordRE.ReplaceAllString(s, "${1}"+redacted)
}

// target is how pg_dump reaches one project's database.
type target struct {
	dbname   string   // the --dbname argument: a URL or keyword/value string without password, or a bare database name
	password string   // goes into PGPASSWORD, never onto the command line
	secrets  []string // exact strings to scrub from any text we pass on
}

// scrub removes the exact secrets and anything that looks like a password
// from s.
func (t target) scrub(s string) string {
	for _, sec := range t.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return Redact(s)
}

// newTarget splits a project's database URL into what pg_dump gets on its
// command line and the password it gets through its environment. env is the
// extra environment given to pg_dump; a PGPASSWORD in it is scrubbed too.
//
// The connection string is not parsed with pgconn.ParseConfig: that function
// also reads PG* environment variables and ~/.pgpass of this process, which this
// package must not do, and it would only tell us the password anyway.
func newTarget(ref, dsn string, env []string) (target, error) {
	var t target
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PGPASSWORD="); ok && v != "" {
			t.secrets = append(t.secrets, v)
		}
	}
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		// The project ref is its database name; host, port and user come
		// from pg_dump's own PG* environment (Config.Env).
		t.dbname = ref
	case strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			msg := "malformed URL"
			if ue, ok := err.(*url.Error); ok {
				msg = ue.Err.Error() // url.Error's own text quotes the whole URL, password included
			}
			// Best effort: the password may be anywhere in a URL we could not parse.
			if i := strings.Index(dsn, "://"); i >= 0 {
				if at := strings.LastIndex(dsn, "@"); at > i {
					if c := strings.Index(dsn[i+3:at], ":"); c >= 0 {
						t.secrets = append(t.secrets, dsn[i+3+c+1:at])
					}
				}
			}
			return t, fmt.Errorf("database URL of project %s is not a valid postgres:// URL (%s): fix it in the projects file", ref, t.scrub(msg))
		}
		if u.User != nil {
			if pw, ok := u.User.Password(); ok {
				t.password = pw
				t.secrets = append(t.secrets, pw, url.PathEscape(pw), url.QueryEscape(pw))
			}
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if q.Has("password") {
			pw := q.Get("password")
			if pw != "" {
				t.password = pw // libpq: parameters after '?' override the userinfo
				t.secrets = append(t.secrets, pw, url.QueryEscape(pw))
			}
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		t.dbname = u.String()
	case strings.Contains(dsn, "="):
		pairs, err := parseKeywordValue(dsn)
		if err != nil {
			return t, fmt.Errorf("database connection string of project %s is malformed (%v): use key=value pairs or a postgres:// URL", ref, err)
		}
		var b strings.Builder
		for _, p := range pairs {
			if p[0] == "password" {
				if p[1] != "" {
					t.password = p[1]
					t.secrets = append(t.secrets, p[1])
				}
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p[0])
			b.WriteString("='")
			b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(p[1]))
			b.WriteByte('\'')
		}
		t.dbname = b.String()
	default:
		// A bare database name, as libpq accepts it.
		t.dbname = dsn
	}
	return t, nil
}

// parseKeywordValue splits a libpq keyword/value connection string into its
// pairs, following libpq's quoting rules (single quotes, backslash escapes).
// Errors never quote values.
func parseKeywordValue(s string) ([][2]string, error) {
	var out [][2]string
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' || key == "" {
			return nil, fmt.Errorf("missing \"=\" after keyword %q", key)
		}
		i++ // '='
		skip()
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '\'' {
					closed = true
					i++
					break
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value for keyword %q", key)
			}
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		out = append(out, [2]string{key, val.String()})
	}
}
