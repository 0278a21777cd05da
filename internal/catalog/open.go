package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options configures how a store URL is opened. The zero value uses the AWS
// SDK's standard configuration chain for S3.
type Options struct {
	// S3Endpoint overrides the S3 endpoint (MinIO, Ceph, R2, ...). When set,
	// path-style addressing is used.
	S3Endpoint string
	// S3Region is used when the SDK's configuration chain yields no region.
	S3Region string
	// S3Credentials replaces the SDK's credential chain when non-nil.
	S3Credentials aws.CredentialsProvider
	// PartSize is the S3 multipart part size in bytes; 0 means DefaultPartSize.
	PartSize int64

	// S3DialTimeout bounds opening a connection to S3 (TCP and TLS); 0
	// means DefaultS3DialTimeout.
	S3DialTimeout time.Duration
	// S3IdleTimeout fails a request that makes no progress for this long:
	// nothing sent while uploading, no response after the request was
	// sent, nothing received while a read of the response waits. It bounds
	// uploads and downloads of any size by inactivity rather than by total
	// duration, and time the caller spends between reads of a download
	// does not count. 0 means DefaultS3IdleTimeout.
	S3IdleTimeout time.Duration
	// S3RequestTimeout bounds each request that moves little data (list,
	// stat, delete, small puts, starting and aborting a multipart upload),
	// retries included; 0 means DefaultS3RequestTimeout.
	S3RequestTimeout time.Duration

	// CreateDir lets Open create a local store's directory that does not
	// exist yet, provided its parent does: the backup job may write the
	// first snapshot of a new store, but a mistyped path two levels deep is
	// still refused. A bucket is never created: its versioning and
	// lifecycle rules are the platform's to set.
	CreateDir bool
}

// Open opens the store named by rawURL and checks that it can be used,
// so that a mistyped store fails here with a *StoreError saying what is
// wrong, rather than reading as a store without snapshots:
//
//	s3://bucket/prefix   an S3 bucket, keys under prefix; the bucket must exist and be listable
//	file:///dir          a local directory, which must exist (see Options.CreateDir)
//	/dir, ./dir, dir     a local directory (a bare path)
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("no snapshot store given: pass --store s3://bucket/prefix or --store /path/to/dir (or set RESTORECTL_STORE)")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loc, err := parseStoreURL(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.bucket != "" {
		return NewS3(ctx, loc.bucket, loc.prefix, opts)
	}
	if err := checkDir(loc.name, loc.dir, opts.CreateDir); err != nil {
		return nil, err
	}
	return NewLocal(loc.dir)
}

// storeLocation is a parsed store URL: a bucket and prefix, or a directory.
type storeLocation struct {
	name           string // as given, for messages, without credentials
	bucket, prefix string
	dir            string
}

// schemeLike matches what reads as a URL scheme: "s3:", "file:", "gs:".
// One letter is left out: "C:" would be a drive letter.
var schemeLike = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]+):`)

// bucketName is what S3 accepts as a bucket name (3 to 63 lowercase
// letters, digits, dots and hyphens).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// parseStoreURL reads a store URL or path without touching the store.
// A path that starts like a URL but is not one ("s3:/backups", one slash)
// is refused rather than taken for a directory of that name.
func parseStoreURL(raw string) (storeLocation, error) {
	loc := storeLocation{name: redactStoreURL(raw)}
	bad := func(detail, hint string) error {
		return &StoreError{Store: loc.name, Problem: StoreBadURL, Detail: detail, Hint: hint}
	}
	if !strings.Contains(raw, "://") {
		m := schemeLike.FindStringSubmatch(raw)
		if m == nil {
			loc.dir = raw
			return loc, nil
		}
		rest := strings.TrimLeft(raw[len(m[0]):], "/")
		switch scheme := strings.ToLower(m[1]); {
		case scheme == "s3" && rest == "":
			return loc, bad("not a store URL: it names no bucket", "write s3://bucket/prefix")
		case scheme == "s3":
			return loc, bad("not a store URL: an S3 store is written with two slashes, s3://bucket/prefix", "did you mean s3://"+rest+"?")
		case scheme == "file" && strings.HasPrefix(raw[len(m[0]):], "/"):
			return loc, bad("not a store URL: a local store is written file:///absolute/path, or as a plain path", "did you mean file:///"+rest+"?")
		case scheme == "file":
			return loc, bad("not a store URL: a local store is written file:///absolute/path, or as a plain path", "did you mean "+rest+"?")
		default:
			return loc, bad(fmt.Sprintf("not a store URL: %q is not a scheme restorectl knows", scheme+":"),
				"use s3://bucket/prefix, file:///dir or a directory path (write ./"+raw+" for a directory of that name)")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return loc, bad("not a store URL", "use s3://bucket/prefix, file:///dir or a directory path")
	}
	if u.User != nil {
		return loc, bad("credentials in a store URL are not used", "give them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, and write s3://bucket/prefix")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return loc, bad("a store URL takes no query or fragment", "write s3://bucket/prefix (a custom endpoint goes in AWS_ENDPOINT_URL_S3)")
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return loc, bad("the URL has no bucket", "use s3://bucket/prefix")
		}
		if !bucketName.MatchString(u.Host) {
			return loc, bad(fmt.Sprintf("%q is not a valid bucket name", u.Host),
				"S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens; check --store")
		}
		loc.bucket, loc.prefix = u.Host, strings.Trim(u.Path, "/")
		return loc, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return loc, bad("the URL names a remote host", "use file:///absolute/path (three slashes)")
		}
		if u.Path == "" {
			return loc, bad("the URL names no directory", "use file:///absolute/path")
		}
		loc.dir = filepath.FromSlash(u.Path)
		return loc, nil
	default:
		return loc, bad(fmt.Sprintf("unsupported scheme %q", u.Scheme), "use s3://bucket/prefix, file:///dir or a directory path")
	}
}

// redactStoreURL hides the user information of a URL, which may hold a
// secret key, from messages.
func redactStoreURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	host, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		return raw[:i+3] + "***@" + rest[at+1:]
	}
	return raw
}

// checkDir checks that dir is a directory this process can list; with
// create, a missing dir whose parent exists is made.
func checkDir(name, dir string, create bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", name, err)
	}
	storeErr := func(p StoreProblem, detail, hint string, err error) error {
		return &StoreError{Store: name, Problem: p, Detail: detail, Hint: hint, Err: err}
	}
	missingHint := "check --store (or RESTORECTL_STORE)"
	if !filepath.IsAbs(dir) {
		missingHint += "; a relative path is relative to the current directory"
	}
	missingHint += "; an S3 store is written s3://bucket/prefix"
	fi, err := os.Stat(abs)
	if isMissing(err) && create {
		parent := filepath.Dir(abs)
		if pfi, perr := os.Stat(parent); perr != nil || !pfi.IsDir() {
			return storeErr(StoreMissing, fmt.Sprintf("directory %s does not exist, nor does its parent %s", abs, parent),
				missingHint+"; a backup creates the store's own directory, not its parents", nil)
		}
		if err := os.Mkdir(abs, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return storeErr(deniedOr(err, StoreMissing), "cannot create directory "+abs, "check the path and its permissions", err)
		}
		fi, err = os.Stat(abs)
	}
	switch {
	case isMissing(err):
		return storeErr(StoreMissing, fmt.Sprintf("directory %s does not exist", abs), missingHint, nil)
	case errors.Is(err, fs.ErrPermission):
		return storeErr(StoreDenied, "cannot read directory "+abs, "check its permissions and its parents'", nil)
	case err != nil:
		return fmt.Errorf("open store %s: %w", name, err)
	case !fi.IsDir():
		return storeErr(StoreBadURL, abs+" is a file, not a directory",
			"--store names the directory holding the projects' folders; a snapshot file is named as the command's SNAPSHOT argument", nil)
	}
	f, err := os.Open(abs)
	if err == nil {
		_, err = f.ReadDir(1)
		f.Close()
	}
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, fs.ErrPermission):
		return storeErr(StoreDenied, "cannot read directory "+abs, "check its permissions", nil)
	default:
		return fmt.Errorf("open store %s: list %s: %w", name, abs, err)
	}
}

// isMissing reports whether err says a path does not exist (or a file
// stands where a directory of it should be).
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// deniedOr is StoreDenied for a permission error, else p.
func deniedOr(err error, p StoreProblem) StoreProblem {
	if errors.Is(err, fs.ErrPermission) {
		return StoreDenied
	}
	return p
}
