package dump

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// FuzzConnString: whatever the parts of a database URL or keyword/value
// string, pg_dump's command line is exactly what it would be without the
// password, the password is handed over separately, and scrubbing any text
// holding the connection string removes it.
func FuzzConnString(f *testing.F) {
	f.Add("postgres", "s3cr3tpw", "db.internal:5432", "abcd1234")
	f.Add("backup", "p@ss:w/rd?&=#", "127.0.0.1", "my db")
	f.Add("", `'quo\te' d`, "h", "d")
	f.Add("u", "pässwörd", "[::1]:5432", "d?sslmode=disable")
	f.Fuzz(func(t *testing.T, user, pw, host, db string) {
		if pw == "" || strings.Trim(pw, "x") == "" {
			t.Skip("nothing to hide, or only the redaction mark itself")
		}
		withPW := url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: host, Path: "/" + db}
		withoutPW := withPW
		withoutPW.User = url.User(user)
		quote := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace
		kv := fmt.Sprintf("host='%s' user='%s' dbname='%s'", quote(host), quote(user), quote(db))
		for _, dsn := range [][2]string{
			{withPW.String(), withoutPW.String()},
			{kv + " password='" + quote(pw) + "'", kv},
		} {
			tg, err := newTarget("ref", dsn[0], nil)
			if err != nil {
				// Short passwords turn up inside ordinary words of the message.
				if len(pw) >= 8 && strings.Contains(err.Error(), pw) {
					t.Fatalf("error for %q shows the password: %v", dsn[0], err)
				}
				continue
			}
			if tg.password != pw {
				t.Errorf("newTarget(%q).password = %q, want %q", dsn[0], tg.password, pw)
			}
			if plain, err := newTarget("ref", dsn[1], nil); err != nil || plain.dbname != tg.dbname {
				t.Errorf("pg_dump's --dbname with a password %q differs from without one %q (%v)", tg.dbname, plain.dbname, err)
			}
			if s := tg.scrub("pg_dump: error: connection to " + dsn[0] + " failed"); strings.Contains(s, pw) {
				t.Errorf("scrub left the password in %q", s)
			}
		}
	})
}
