package backupjob

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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

// FuzzLoadProjects: any projects file either loads into valid, distinct
// project refs or is refused with an error; it never panics.
func FuzzLoadProjects(f *testing.F) {
	f.Add([]byte("- ref: abcd1234\n  database_url: postgres://u:pw@h/abcd1234\n- ref: efgh5678\n"))
	f.Add([]byte(`[{"ref": "a"}, {"ref": "b", "database_url": "host=h dbname=b"}]`))
	f.Add([]byte("- ref: ../etc\n"))
	f.Add([]byte("- ref: a\n- ref: a\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "projects.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ps, err := LoadProjects(path)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if !refOK(p.Ref) || seen[p.Ref] {
				t.Fatalf("LoadProjects accepted ref %q (seen before: %v)", p.Ref, seen[p.Ref])
			}
			seen[p.Ref] = true
		}
	})
}

func refOK(ref string) bool {
	if ref == "" || len(ref) > 63 {
		return false
	}
	for _, c := range ref {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return ref[0] != '-' && ref[0] != '_'
}
