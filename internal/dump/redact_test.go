package dump

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://user:pass@host:5432/db", "postgres://user:xxxxx@host:5432/db"},
		{"postgresql://user:p%40ss@host/db?sslmode=require", "postgresql://user:xxxxx@host/db?sslmode=require"},
		{"POSTGRES://u:pw@h/db", "POSTGRES://u:xxxxx@h/db"},
		{"postgres://:pw@h/db", "postgres://:xxxxx@h/db"},
		{"postgres://u:p@ss@host/db", "postgres://u:xxxxx@host/db"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host:5432/db", "postgres://host:5432/db"},
		{"postgres://u@h/db?password=pw&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"host=h user=u password=pw dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password = 'p w\\'x' dbname=d", "host=h password = xxxxx dbname=d"},
		{"PGPASSWORD=pw PGHOST=h", "PGPASSWORD=xxxxx PGHOST=h"},
		{"sslpassword=pw", "sslpassword=xxxxx"},
		{"dial postgres://a:b@h1/x and postgres://c:d@h2/y", "dial postgres://a:xxxxx@h1/x and postgres://c:xxxxx@h2/y"},
		{"nothing secret here: a=b c:d@e", "nothing secret here: a=b c:d@e"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewTarget(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, env     string
		wantDB, wantPW     string
		wantErr            string
		scrubIn, scrubWant string
	}{
		{name: "empty", wantDB: "ref1"},
		{name: "bare name", dsn: "otherdb", wantDB: "otherdb"},
		{name: "url", dsn: "postgres://u:pw%2Fx@h:5432/db?sslmode=require", wantDB: "postgres://u@h:5432/db?sslmode=require", wantPW: "pw/x",
			scrubIn: "failed for pw/x and pw%2Fx", scrubWant: "failed for xxxxx and xxxxx"},
		{name: "url query password", dsn: "postgresql://u@h/db?password=pw&sslmode=disable", wantDB: "postgresql://u@h/db?sslmode=disable", wantPW: "pw"},
		{name: "url no password", dsn: "postgres://u@h/db", wantDB: "postgres://u@h/db"},
		{name: "keyword/value", dsn: "host=h  port=5432 password='a b\\'c' dbname = db", wantDB: "host='h' port='5432' dbname='db'", wantPW: "a b'c",
			scrubIn: "oops a b'c", scrubWant: "oops xxxxx"},
		{name: "keyword/value escapes kept", dsn: `host=h dbname='we\'ird db' password=x\y`, wantDB: `host='h' dbname='we\'ird db'`, wantPW: "xy"},
		{name: "env password scrubbed", env: "PGPASSWORD=envpw", wantDB: "ref1", scrubIn: "envpw!", scrubWant: "xxxxx!"},
		{name: "bad keyword/value", dsn: "host=h password='unterminated", wantErr: "malformed"},
		{name: "bad url", dsn: "postgres://u:pw@h:port/db", wantErr: "not a valid postgres:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env []string
			if tc.env != "" {
				env = []string{tc.env}
			}
			got, err := newTarget("ref1", tc.dsn, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "unterminated") && strings.Contains(err.Error(), "'unterminated") {
					t.Fatalf("err = %v, want %q without the password", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.dbname != tc.wantDB || got.password != tc.wantPW {
				t.Fatalf("got dbname %q password %q err %v; want %q %q", got.dbname, got.password, err, tc.wantDB, tc.wantPW)
			}
			if tc.scrubIn != "" {
				if s := got.scrub(tc.scrubIn); s != tc.scrubWant {
					t.Errorf("scrub(%q) = %q, want %q", tc.scrubIn, s, tc.scrubWant)
				}
			}
		})
	}
}
