package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/testenv"
)

// TestOpenRefusesUnusableStores: a store that cannot be parsed, does not
// exist or cannot be read fails Open with a *catalog.StoreError saying
// what is wrong and what to do, never as an empty store; a store that does
// not answer is a plain error (trying again may work).
func TestOpenRefusesUnusableStores(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket, other := m.CreateBucket(t), m.CreateBucket(t)
	dir := t.TempDir()
	t.Chdir(dir)
	file := filepath.Join(dir, "snapshot.sql.gz")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// May read the other bucket only: listing this one is denied.
	onlyOther := m.Restricted(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],`+
		`"Resource":["arn:aws:s3:::`+other+`","arn:aws:s3:::`+other+`/*"]}]}`)
	withCreds := func(c credentials.StaticCredentialsProvider) func(*catalog.Options) {
		return func(o *catalog.Options) { o.S3Credentials = c }
	}
	tests := []struct {
		name    string
		url     string
		opts    func(*catalog.Options)
		problem catalog.StoreProblem // "" for an error that is not a StoreError
		want    []string
	}{
		{"s3 with one slash", "s3:/backups/daily", nil, catalog.StoreBadURL, []string{"two slashes", "did you mean s3://backups/daily?"}},
		{"s3 without slashes", "s3:backups/daily", nil, catalog.StoreBadURL, []string{"did you mean s3://backups/daily?"}},
		{"s3 colon only", "s3:", nil, catalog.StoreBadURL, []string{"names no bucket"}},
		{"s3 without bucket", "s3://", nil, catalog.StoreBadURL, []string{"has no bucket", "s3://bucket/prefix"}},
		{"s3 empty host", "s3:///daily", nil, catalog.StoreBadURL, []string{"has no bucket"}},
		{"invalid bucket name", "s3://Backups_Daily/x", nil, catalog.StoreBadURL, []string{`"Backups_Daily" is not a valid bucket name`}},
		{"credentials in URL", "s3://AKIDEXAMPLE:sekrit@" + bucket + "/daily", nil, catalog.StoreBadURL, []string{"credentials in a store URL are not used", "AWS_ACCESS_KEY_ID", "s3://***@"}},
		{"query", "s3://" + bucket + "/daily?region=eu-west-1", nil, catalog.StoreBadURL, []string{"no query"}},
		{"file with one slash", "file:/srv/backups", nil, catalog.StoreBadURL, []string{"did you mean file:///srv/backups?"}},
		{"file remote host", "file://otherhost/dir", nil, catalog.StoreBadURL, []string{"remote host"}},
		{"unknown scheme", "gs://bucket/x", nil, catalog.StoreBadURL, []string{`unsupported scheme "gs"`}},
		{"unknown scheme, one slash", "gs:/bucket/x", nil, catalog.StoreBadURL, []string{`"gs:" is not a scheme`, "./gs:/bucket/x"}},
		{"relative directory missing", "backups/daily", nil, catalog.StoreMissing, []string{filepath.Join(dir, "backups/daily") + " does not exist", "relative to the current directory", "s3://bucket/prefix"}},
		{"absolute directory missing", filepath.Join(dir, "nope"), nil, catalog.StoreMissing, []string{filepath.Join(dir, "nope") + " does not exist", "check --store"}},
		{"file URL missing", "file://" + dir + "/nope", nil, catalog.StoreMissing, []string{filepath.Join(dir, "nope") + " does not exist"}},
		{"a file, not a directory", file, nil, catalog.StoreBadURL, []string{"is a file, not a directory", "SNAPSHOT argument"}},
		{"under a file", file + "/x", nil, catalog.StoreMissing, []string{"does not exist"}},
		{"missing bucket", "s3://no-such-bucket-here/daily", nil, catalog.StoreMissing, []string{`bucket "no-such-bucket-here" does not exist`, "check the bucket name"}},
		{"wrong credentials", "s3://" + bucket + "/daily", withCreds(credentials.NewStaticCredentialsProvider("nobody", "wrong-secret", "")),
			catalog.StoreDenied, []string{`access denied to bucket "` + bucket + `"`, "AWS_ACCESS_KEY_ID"}},
		{"no permission", "s3://" + bucket + "/daily", withCreds(credentials.NewStaticCredentialsProvider(onlyOther.AccessKey, onlyOther.SecretKey, onlyOther.SessionToken)),
			catalog.StoreDenied, []string{`access denied to bucket "` + bucket + `"`, "s3:ListBucket"}},
		{"unreachable endpoint", "s3://" + bucket + "/daily", func(o *catalog.Options) { o.S3Endpoint = "http://127.0.0.1:1" }, "", []string{"cannot reach S3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := m.Options()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			s, err := catalog.Open(t.Context(), tt.url, opts)
			if err == nil {
				t.Fatalf("Open(%q) = %v, want an error", tt.url, s)
			}
			var se *catalog.StoreError
			switch isStoreErr := errors.As(err, &se); {
			case tt.problem == "" && isStoreErr:
				t.Errorf("Open(%q) = %v, a StoreError; want a plain error", tt.url, err)
			case tt.problem != "" && !isStoreErr:
				t.Errorf("Open(%q) = %v (%T), want a StoreError", tt.url, err, err)
			case isStoreErr && se.Problem != tt.problem:
				t.Errorf("Open(%q): problem %q, want %q", tt.url, se.Problem, tt.problem)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%q) = %q, want it to say %q", tt.url, err, w)
				}
			}
			for _, secret := range []string{"sekrit", "AKIDEXAMPLE", "wrong-secret", m.SecretKey, onlyOther.SecretKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Open(%q) error shows a secret: %v", tt.url, err)
				}
			}
		})
	}
	// The restricted credentials work where their policy lets them.
	opts := m.Options()
	opts.S3Credentials = credentials.NewStaticCredentialsProvider(onlyOther.AccessKey, onlyOther.SecretKey, onlyOther.SessionToken)
	if _, err := catalog.Open(t.Context(), "s3://"+other+"/daily", opts); err != nil {
		t.Errorf("Open of the bucket the credentials may list: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "backups")); !os.IsNotExist(err) {
		t.Errorf("opening a missing store created something: %v", err)
	}
}

// A directory this process may not read is refused as denied.
func TestOpenUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := catalog.Open(t.Context(), dir, catalog.Options{})
	var se *catalog.StoreError
	if !errors.As(err, &se) || se.Problem != catalog.StoreDenied || !strings.Contains(err.Error(), "cannot read directory") {
		t.Fatalf("Open(unreadable) = %v, want a StoreError, denied", err)
	}
}

// With CreateDir (the backup job) a store's own directory is created when
// its parent exists; a missing parent is still refused, and a missing
// bucket is never created.
func TestOpenCreateDir(t *testing.T) {
	m := testenv.StartMinIO(t)
	base := t.TempDir()
	opts := m.Options()
	opts.CreateDir = true
	tests := []struct {
		name, url string
		create    bool
		problem   catalog.StoreProblem // "" when it opens
		created   string               // what must exist afterwards, or not
	}{
		{"new directory", filepath.Join(base, "store"), true, "", filepath.Join(base, "store")},
		{"new directory by URL", "file://" + base + "/url-store", true, "", filepath.Join(base, "url-store")},
		{"missing parent", filepath.Join(base, "no/store"), true, catalog.StoreMissing, ""},
		{"without CreateDir", filepath.Join(base, "plain"), false, catalog.StoreMissing, ""},
		{"missing bucket", "s3://never-created-bucket/daily", true, catalog.StoreMissing, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.CreateDir = tt.create
			s, err := catalog.Open(t.Context(), tt.url, o)
			var se *catalog.StoreError
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("Open(%q): %v", tt.url, err)
			case tt.problem == "":
				if fi, err := os.Stat(tt.created); err != nil || !fi.IsDir() {
					t.Errorf("Open(%q) made no directory %s: %v", tt.url, tt.created, err)
				}
				if got := strings.TrimPrefix(s.String(), "file://"); got != tt.created {
					t.Errorf("store %s, want file://%s", s, tt.created)
				}
			case !errors.As(err, &se) || se.Problem != tt.problem:
				t.Fatalf("Open(%q) = %v, want a StoreError %q", tt.url, err, tt.problem)
			}
		})
	}
	for _, p := range []string{filepath.Join(base, "no"), filepath.Join(base, "plain")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refused Open (%v)", p, err)
		}
	}
	if _, err := m.Client().HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String("never-created-bucket")}); err == nil {
		t.Error("Open with CreateDir created a bucket")
	}
}
