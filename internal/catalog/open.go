package catalog

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
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
}

// Open opens the store named by rawURL:
//
//	s3://bucket/prefix   an S3 bucket, keys under prefix
//	file:///dir          a local directory
//	/dir, ./dir, dir     a local directory (a bare path)
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("no snapshot store given: pass --store s3://bucket/prefix or --store /path/to/dir (or set RESTORECTL_STORE)")
	}
	if !strings.Contains(rawURL, "://") {
		return NewLocal(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse store URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("store URL %q has no bucket: use s3://bucket/prefix", rawURL)
		}
		return NewS3(ctx, u.Host, strings.Trim(u.Path, "/"), opts)
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("store URL %q names a remote host: use file:///absolute/path", rawURL)
		}
		return NewLocal(filepath.FromSlash(u.Path))
	default:
		return nil, fmt.Errorf("store URL %q: unsupported scheme %q (use s3:// or file://)", rawURL, u.Scheme)
	}
}
