package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// buildBinary builds restorectl for tests that need it as a process, as
// shipped; with tags (testHooksTag) it is built with them.
func buildBinary(t *testing.T, tags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "restorectl")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("build restorectl: %v\n%s", err, out)
	}
	return bin
}

// runCLI runs the command in-process with the given environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{
		stdout: &out, stderr: &errOut,
		getenv:  func(k string) string { return environ[k] },
		environ: os.Environ,
	}
	err := run(context.Background(), args, e)
	code = exitCode(&errOut, err, nil)
	return out.String(), errOut.String(), code
}

func TestUsageErrors(t *testing.T) {
	store := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"backup without project", []string{"backup", "--store", store}, "--project or --projects is required"},
		{"backup both", []string{"backup", "--project", "a", "--projects", "f.yaml"}, "either --project or --projects"},
		{"bad ref", []string{"backup", "--project", "../etc", "--store", store}, "invalid project ref"},
		{"bad shard", []string{"backup", "--projects", "f.yaml", "--shard", "4/4"}, "want I/N with 0 <= I < N"},
		{"shard without file", []string{"backup", "--project", "a", "--shard", "0/2"}, "--shard applies to --projects only"},
		{"no store", []string{"backup", "--project", "a"}, "no snapshot store"},
		{"prune keep-min 0", []string{"prune", "--project", "a", "--keep-days", "3", "--keep-min", "0", "--store", store}, "keep-min must be at least 1"},
		{"prune no days", []string{"prune", "--project", "a", "--store", store}, "keep-days must be at least 1"},
		{"stray argument", []string{"snapshots", "--project", "a", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"prune", "--nope"}, "prune: unknown flag --nope\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tt.args...)
			if code != exitUsage {
				t.Errorf("exit status %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "backup"}, {"backup", "-h"}} {
		_, stderr, code := runCLI(t, nil, args...)
		if code != exitOK {
			t.Errorf("%v: exit status %d, stderr %q", args, code, stderr)
		}
	}
}

func TestExitCodes(t *testing.T) {
	var sink bytes.Buffer
	tests := []struct {
		err  error
		sig  os.Signal
		want int
	}{
		{nil, nil, exitOK},
		{errors.New("boom"), nil, exitFailure},
		{failedError{"reported"}, nil, exitFailure},
		{usagef("bad"), nil, exitUsage},
		{fmt.Errorf("list: %w", &catalog.StoreError{Problem: catalog.StoreMissing}), nil, exitStore},
		{fmt.Errorf("resolve: %w", &catalog.NoSnapshotsError{Ref: "p"}), nil, exitNotFound},
		{&catalog.StoreError{Problem: catalog.StoreDenied}, syscall.SIGTERM, exitSIGTERM},
		{context.Canceled, syscall.SIGTERM, exitSIGTERM},
		{context.Canceled, os.Interrupt, exitSIGINT},
	}
	for _, tt := range tests {
		if got := exitCode(&sink, tt.err, tt.sig); got != tt.want {
			t.Errorf("exitCode(%v, %v) = %d, want %d", tt.err, tt.sig, got, tt.want)
		}
	}
}

// TestBackupAndPruneCommands runs the real commands against the harness's
// PostgreSQL and a local store: backup, list, prune.
func TestBackupAndPruneCommands(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, `CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'a'), (2, 'b');`)
	store := t.TempDir()
	environ := map[string]string{"RESTORECTL_STORE": store, "RESTORECTL_DATABASE_URL": url}

	stdout, stderr, code := runCLI(t, environ, "backup", "--project", "proj1", "--pg-dump", pg.Bin("pg_dump"), "--progress")
	if code != exitOK {
		t.Fatalf("backup: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "1 ok, 0 failed") {
		t.Errorf("summary missing: %q", stdout)
	}
	for _, want := range []string{`"msg":"backup ok"`, `"msg":"backup run finished","projects":1,"ok":1,"failed":0`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("log lacks %s: %q", want, stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^proj1 +done +`).MatchString(stderr) {
		t.Errorf("no progress line for the finished backup: %q", stderr)
	}

	stdout, _, code = runCLI(t, environ, "snapshots", "--project", "proj1")
	if code != exitOK || !strings.Contains(stdout, "proj1/") || !strings.Contains(stdout, ".sql.gz") {
		t.Fatalf("snapshots: exit %d, %q", code, stdout)
	}

	// An old snapshot beside the new one: prune deletes it, keeps the new.
	s, err := catalog.NewLocal(store)
	if err != nil {
		t.Fatal(err)
	}
	old := catalog.SnapshotKey("proj1", time.Now().AddDate(0, 0, -40))
	storetest.Put(t, s, old, []byte("old"))
	stdout, _, code = runCLI(t, environ, "prune", "--project", "proj1", "--keep-days", "30", "--keep-min", "1", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "would delete "+old) {
		t.Fatalf("prune --dry-run: exit %d, %q", code, stdout)
	}
	stdout, _, code = runCLI(t, environ, "prune", "--project", "proj1", "--keep-days", "30", "--keep-min", "1")
	if code != exitOK || !strings.Contains(stdout, "deleted "+old) {
		t.Fatalf("prune: exit %d, %q", code, stdout)
	}
	snaps, err := catalog.ListSnapshots(context.Background(), s, "proj1")
	if err != nil || len(snaps) != 1 || snaps[0].Key == old {
		t.Fatalf("after prune: %v, %v", snaps, err)
	}
}

// TestSignalMidUpload stops the real binary mid-upload. SIGTERM, as a pod
// eviction sends it: exit 143, a failure log line, and nothing left in the
// store, not even an unfinished S3 multipart upload. SIGKILL cannot be
// handled, but still leaves no snapshot visible.
func TestSignalMidUpload(t *testing.T) {
	bin := buildBinary(t)
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	fake, pidFile := filepath.Join(dir, "pg_dump"), filepath.Join(dir, "pg_dump.pid")
	// An endless dump that never reaches its trailer, and records its pid.
	script := "#!/bin/sh\necho $$ > " + pidFile + "\nwhile :; do head -c 1048576 /dev/urandom | od -An -tx1; done\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		store func(t *testing.T) string
		sig   syscall.Signal
	}{
		{"local SIGTERM", func(t *testing.T) string { return t.TempDir() }, syscall.SIGTERM},
		{"local SIGKILL", func(t *testing.T) string { return t.TempDir() }, syscall.SIGKILL},
		{"s3 SIGTERM", func(t *testing.T) string { return "s3://" + m.CreateBucket(t) + "/daily" }, syscall.SIGTERM},
		{"s3 SIGKILL", func(t *testing.T) string { return "s3://" + m.CreateBucket(t) + "/daily" }, syscall.SIGKILL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storeURL := tt.store(t)
			cmd := exec.Command(bin, "backup", "--project", "evicted", "--store", storeURL, "--pg-dump", fake)
			cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_S3="+m.Endpoint, "AWS_ACCESS_KEY_ID="+m.AccessKey,
				"AWS_SECRET_ACCESS_KEY="+m.SecretKey, "AWS_REGION="+m.Region)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once the upload is under way: a multipart upload in S3,
			// a partial file in the directory.
			deadline := time.Now().Add(30 * time.Second)
			for len(leftovers(t, m, storeURL)) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no upload started within 30s; stderr:\n%s", stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("restorectl did not exit within 30s of %v", tt.sig)
			}

			s, err := catalog.Open(t.Context(), storeURL, m.Options())
			if err != nil {
				t.Fatal(err)
			}
			if snaps, err := catalog.ListSnapshots(t.Context(), s, "evicted"); err != nil || len(snaps) != 0 {
				t.Errorf("snapshots after %v: %v (%v)", tt.sig, snaps, err)
			}
			if tt.sig == syscall.SIGKILL {
				// pg_dump must not outlive restorectl, holding locks.
				pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
				if err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						syscall.Kill(pid, syscall.SIGKILL)
						t.Fatal("pg_dump still runs 10s after restorectl was killed")
					}
				}
				return
			}
			if code := cmd.ProcessState.ExitCode(); code != exitSIGTERM {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, exitSIGTERM, stderr.String())
			}
			if !strings.Contains(stderr.String(), `"msg":"backup cancelled"`) || !strings.Contains(stderr.String(), `"cancelled_projects":["evicted"]`) {
				t.Errorf("no cancellation log lines after SIGTERM: %s", stderr.String())
			}
			left := leftovers(t, m, storeURL)
			if len(left) != 0 {
				t.Errorf("left behind after SIGTERM: %v", left)
			}
		})
	}
}

// leftovers lists what an unfinished upload leaves in a store: multipart
// uploads in S3, files (partial ones included) in a directory.
func leftovers(t *testing.T, m *testenv.MinIO, storeURL string) []string {
	t.Helper()
	var left []string
	if bucket, ok := strings.CutPrefix(storeURL, "s3://"); ok {
		bucket, _, _ = strings.Cut(bucket, "/")
		out, err := m.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			left = append(left, "multipart upload of "+*u.Key)
		}
		return left
	}
	filepath.WalkDir(storeURL, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	return left
}

// TestBackupToS3FromEnvironment configures everything the way the CronJob
// does, through the environment: store URL, custom endpoint, credentials.
func TestBackupToS3FromEnvironment(t *testing.T) {
	pg := testenv.StartPostgres(t)
	m := testenv.StartMinIO(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, `CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);`)
	bucket := m.CreateBucket(t)
	// The AWS SDK reads its credential chain from the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", m.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.SecretKey)
	t.Setenv("AWS_REGION", m.Region)
	environ := map[string]string{
		"RESTORECTL_STORE":        "s3://" + bucket + "/daily",
		"RESTORECTL_DATABASE_URL": url,
		"AWS_ENDPOINT_URL_S3":     m.Endpoint,
	}
	if _, stderr, code := runCLI(t, environ, "backup", "--project", "s3proj", "--pg-dump", pg.Bin("pg_dump")); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, environ, "snapshots", "--project", "s3proj", "--json")
	if code != exitOK {
		t.Fatalf("snapshots: exit %d: %s", code, stderr)
	}
	var snaps []struct {
		Key  string `json:"key"`
		Size int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(stdout), &snaps); err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots --json = %s (%v), want one snapshot", stdout, err)
	}
	if !regexp.MustCompile(`^s3proj/\d{8}T\d{6}Z\.sql\.gz$`).MatchString(snaps[0].Key) || snaps[0].Size < 100 {
		t.Errorf("snapshot %+v: want key s3proj/<YYYYMMDDTHHMMSSZ>.sql.gz of at least 100 bytes", snaps[0])
	}
}

// TestBackupManyProjects: one project's failure does not stop the others,
// the summary names it and the exit status is 1; --shard picks positions.
func TestBackupManyProjects(t *testing.T) {
	pg := testenv.StartPostgres(t)
	_, good := pg.CreateDatabase(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "projects.yaml")
	yaml := "- ref: p0\n  database_url: " + good + "\n" +
		"- ref: p1\n  database_url: " + pg.URL("no_such_db") + "\n" +
		"- ref: p2\n  database_url: " + good + "\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"RESTORECTL_STORE": filepath.Join(dir, "store")}
	args := []string{"backup", "--projects", file, "--concurrency", "2", "--pg-dump", pg.Bin("pg_dump")}

	stdout, stderr, code := runCLI(t, environ, args...)
	if code != exitFailure || !strings.Contains(stdout, "3 projects, 2 ok, 1 failed: p1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Another store: the first run's snapshots may carry this second.
	environ["RESTORECTL_STORE"] = filepath.Join(dir, "store2")
	stdout, stderr, code = runCLI(t, environ, append(args, "--shard", "0/2")...)
	if code != exitOK || !strings.Contains(stdout, "2 projects, 2 ok, 0 failed") {
		t.Fatalf("--shard 0/2 (p0, p2): exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestBackupAlertsWhenNothingCanRun: when S3 cannot be reached or the
// projects file cannot be read, no backup runs; the webhook hears about it
// and the exit status is 1.
func TestBackupAlertsWhenNothingCanRun(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	tests := []struct {
		name, stdout, stderr, alert string
		args                        []string
	}{
		{"store unreachable", "1 failed: p1", "cannot reach S3", `"stage":"upload"`, []string{"--project", "p1"}},
		{"projects file missing", "", "no-such-file.yaml", `"stage":"config"`, []string{"--projects", "no-such-file.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hookURL, received := alertHook(t)
			environ := map[string]string{
				"RESTORECTL_STORE":         "s3://backups/daily",
				"AWS_ENDPOINT_URL_S3":      "http://127.0.0.1:1",
				"RESTORECTL_ALERT_WEBHOOK": hookURL,
			}
			stdout, stderr, code := runCLI(t, environ, append([]string{"backup"}, tt.args...)...)
			if code != exitFailure || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			alerts := received()
			if len(alerts) != 1 || !strings.Contains(alerts[0], tt.alert) || !strings.Contains(alerts[0], tt.stderr) {
				t.Errorf("alerts = %q, want one with %s saying %q", alerts, tt.alert, tt.stderr)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// alertHook is a webhook that records the alerts posted to it: its URL,
// and what it received so far.
func alertHook(t *testing.T) (url string, received func() []string) {
	var mu sync.Mutex
	var alerts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		alerts = append(alerts, string(body))
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	return hook.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(alerts)
	}
}
