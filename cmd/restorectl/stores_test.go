package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// storeCommands are the commands that take --store, each with arguments
// that get it as far as opening the store.
var storeCommands = []struct {
	name string
	args []string
}{
	{"snapshots", []string{"snapshots", "--project", "demo"}},
	{"projects", []string{"projects"}},
	{"tables", []string{"tables", "demo@now"}},
	{"preview", []string{"preview", "demo@now", "--table", "public.orders"}},
	{"extract", []string{"extract", "demo@now", "--table", "public.orders", "--dry-run"}},
	{"restore", []string{"restore", "demo@now", "--table", "public.orders", "--dry-run"}},
	{"undo", []string{"undo", "3f9a1c2e", "--project", "demo", "--ticket", "T-1", "--yes"}},
	{"audit", []string{"audit", "--project", "demo"}},
	{"index", []string{"index", "demo@now"}},
	{"backup", []string{"backup", "--project", "demo", "--pg-dump", "/nonexistent/pg_dump"}},
	{"prune", []string{"prune", "--project", "demo", "--keep-days", "30"}},
	{"console", []string{"console"}},
}

// TestUnusableStores: every command refuses a store that cannot be
// parsed, does not exist or cannot be read, with exit status 3 and a
// message saying what is wrong and what to do, whether the store comes
// from --store or RESTORECTL_STORE; none reads it as a store without
// snapshots.
func TestUnusableStores(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket, other := m.CreateBucket(t), m.CreateBucket(t)
	onlyOther := m.Restricted(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],`+
		`"Resource":["arn:aws:s3:::`+other+`","arn:aws:s3:::`+other+`/*"]}]}`)
	cwd := t.TempDir()
	t.Chdir(cwd)
	root := testenv.Credentials{AccessKey: m.AccessKey, SecretKey: m.SecretKey}
	forms := []struct {
		name  string
		store string
		creds testenv.Credentials
		want  []string
	}{
		{"s3 with one slash", "s3:/backups/daily", root, []string{"store s3:/backups/daily: not a store URL", "did you mean s3://backups/daily?"}},
		{"relative directory missing", "backups/daily", root, []string{filepath.Join(cwd, "backups/daily") + " does not exist", "relative to the current directory"}},
		// Its parent is missing too: backup would make the store's own directory.
		{"absolute directory missing", filepath.Join(cwd, "nowhere", "store"), root, []string{filepath.Join(cwd, "nowhere", "store") + " does not exist", "check --store"}},
		{"s3 without bucket", "s3://", root, []string{"has no bucket", "s3://bucket/prefix"}},
		{"missing bucket", "s3://no-such-bucket-x/daily", root, []string{`bucket "no-such-bucket-x" does not exist`, "check the bucket name"}},
		{"wrong credentials", "s3://" + bucket + "/daily", testenv.Credentials{AccessKey: m.AccessKey, SecretKey: "wrong-secret"}, []string{`access denied to bucket "` + bucket + `"`, "AWS_ACCESS_KEY_ID"}},
		{"no permission", "s3://" + bucket + "/daily", onlyOther, []string{`access denied to bucket "` + bucket + `"`, "s3:ListBucket"}},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			// The AWS SDK reads its credential chain from the process environment.
			t.Setenv("AWS_ACCESS_KEY_ID", f.creds.AccessKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", f.creds.SecretKey)
			t.Setenv("AWS_SESSION_TOKEN", f.creds.SessionToken)
			t.Setenv("AWS_REGION", m.Region)
			for i, c := range storeCommands {
				// Half the commands are given the store by flag, half by
				// the environment.
				environ := map[string]string{"AWS_ENDPOINT_URL_S3": m.Endpoint}
				args := c.args
				if i%2 == 0 {
					args = append(append([]string{}, args...), "--store", f.store)
				} else {
					environ["RESTORECTL_STORE"] = f.store
				}
				stdout, stderr, code := runCLI(t, environ, args...)
				if code != exitStore {
					t.Errorf("%s: exit %d, want %d\nstdout %s\nstderr %s", c.name, code, exitStore, stdout, stderr)
					continue
				}
				for _, w := range f.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr does not say %q:\n%s", c.name, w, stderr)
					}
				}
				if strings.Contains(stdout+stderr, "no snapshots") {
					t.Errorf("%s: an unusable store reads as one without snapshots:\n%s%s", c.name, stdout, stderr)
				}
				for _, secret := range []string{"wrong-secret", m.SecretKey, onlyOther.SecretKey} {
					if strings.Contains(stdout+stderr, secret) {
						t.Errorf("%s: output shows a secret", c.name)
					}
				}
			}
		})
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("refused stores left %d entries in the working directory", len(entries))
	}
}

// The console refuses a bad store on a terminal too, before it opens.
func TestConsoleRefusesUnusableStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, environ: os.Environ, terminal: true}
	err := run(ctx, []string{"console", "--store", "s3:/backups/daily"}, e)
	if code := exitCode(&errOut, err, nil); code != exitStore || !strings.Contains(errOut.String(), "did you mean s3://backups/daily?") {
		t.Fatalf("console on a terminal with a bad store: exit %d, stderr %q", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("the console drew something: %q", out.String())
	}
}

// TestUnknownProject: a project without snapshots is an error (exit 4)
// naming the closest refs of the store, for the snapshots command and for
// REF@TIME alike; an empty store says so.
func TestUnknownProject(t *testing.T) {
	store := t.TempDir()
	s, err := catalog.NewLocal(store)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	for _, ref := range []string{"demo", "demo2", "abcd1234"} {
		storetest.Put(t, s, catalog.SnapshotKey(ref, base), []byte("x"))
	}
	empty := t.TempDir()
	tests := []struct {
		name   string
		store  string
		args   []string
		code   int
		stdout string // exact, when not ""
		want   []string
	}{
		{"known project", store, []string{"snapshots", "--project", "demo"}, exitOK, "", nil},
		{"typo", store, []string{"snapshots", "--project", "demx"}, exitNotFound, "",
			[]string{"project demx has no snapshots in file://" + store, "did you mean demo?", "restorectl projects lists the 3 projects"}},
		{"two close refs", store, []string{"snapshots", "--project", "demo3"}, exitNotFound, "", []string{"did you mean demo or demo2?"}},
		{"prefix", store, []string{"snapshots", "--project", "abcd"}, exitNotFound, "", []string{"did you mean abcd1234?"}},
		{"nothing close", store, []string{"snapshots", "--project", "zzzzzz"}, exitNotFound, "", []string{"check the project ref", "3 projects"}},
		{"json", store, []string{"snapshots", "--project", "demx", "--json"}, exitNotFound, "[]\n", []string{"did you mean demo?"}},
		{"REF@TIME", store, []string{"tables", "demx@now"}, exitNotFound, "", []string{"project demx has no snapshots", "did you mean demo?"}},
		{"REF@TIME extract", store, []string{"extract", "demx@yesterday", "--table", "t", "--dry-run"}, exitNotFound, "", []string{"did you mean demo?"}},
		{"empty store", empty, []string{"snapshots", "--project", "demo"}, exitNotFound, "", []string{"holds no projects at all", "check --store"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, map[string]string{"RESTORECTL_STORE": tt.store}, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" && stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestBackupStores: the backup job makes a local store's own directory,
// but refuses a store that cannot be used, alerting (stage config) and
// exiting 3, before any dump.
func TestBackupStores(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, `CREATE TABLE t (id int); INSERT INTO t VALUES (1);`)
	dir := t.TempDir()
	newStore := filepath.Join(dir, "new-store")

	environ := map[string]string{"RESTORECTL_STORE": newStore, "RESTORECTL_DATABASE_URL": url}
	if stdout, stderr, code := runCLI(t, environ, "backup", "--project", "proj1", "--pg-dump", pg.Bin("pg_dump")); code != exitOK {
		t.Fatalf("backup into a new directory: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	stdout, stderr, code := runCLI(t, environ, "snapshots", "--project", "proj1")
	if code != exitOK || !strings.Contains(stdout, "1 snapshot of project proj1 in file://"+newStore) {
		t.Fatalf("snapshots after the backup: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	tests := []struct {
		name, store string
		want        []string
	}{
		{"parent missing", filepath.Join(dir, "no", "store"), []string{"does not exist, nor does its parent " + filepath.Join(dir, "no")}},
		{"s3 with one slash", "s3:/backups/daily", []string{"did you mean s3://backups/daily?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hookURL, received := alertHook(t)
			environ := map[string]string{"RESTORECTL_STORE": tt.store, "RESTORECTL_DATABASE_URL": url, "RESTORECTL_ALERT_WEBHOOK": hookURL}
			stdout, stderr, code := runCLI(t, environ, "backup", "--project", "proj1", "--pg-dump", pg.Bin("pg_dump"))
			if code != exitStore || !strings.Contains(stdout, "1 failed: proj1") {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, exitStore, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			alerts := received()
			if len(alerts) != 1 || !strings.Contains(alerts[0], `"stage":"config"`) || !strings.Contains(alerts[0], tt.want[0]) {
				t.Errorf("alerts = %q, want one at stage config saying %q", alerts, tt.want[0])
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Errorf("a refused backup created directories: %v", err)
	}
}
