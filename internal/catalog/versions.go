package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/smithy-go"
)

// VersionLister is implemented by stores that keep older versions of
// overwritten and deleted objects: S3 buckets with versioning. The platform's
// bucket is versioned, so a pruned or overwritten snapshot can still be
// restored until the lifecycle rules expire it. Local stores keep no
// versions; callers fall back to Store.List and Store.Open.
type VersionLister interface {
	// ListVersions calls fn for every version of every object whose key
	// starts with prefix: keys in lexical order, each key's versions newest
	// first, Noncurrent set on all but the current one. Delete markers are
	// skipped, since there is nothing to read in them: a deleted object
	// shows as noncurrent versions only. In a bucket that never had
	// versioning every object has one current version with VersionID "".
	ListVersions(ctx context.Context, prefix string, fn func(Object) error) error
	// OpenVersion streams one version of the object at key; an empty
	// versionID means the current version. A version that does not exist
	// is an error wrapping ErrNotFound.
	OpenVersion(ctx context.Context, key, versionID string) (io.ReadCloser, error)
}

// ListSnapshotVersions is ListSnapshots with the version ids that only a
// version listing provides and, with noncurrent, the older versions of
// overwritten and deleted snapshots too (marked Noncurrent, after the
// current version of their key). On a store without versions it is
// ListSnapshots.
func ListSnapshotVersions(ctx context.Context, s Store, ref string, noncurrent bool) ([]Snapshot, error) {
	vl, ok := s.(VersionLister)
	if !ok {
		return ListSnapshots(ctx, s, ref)
	}
	list := vl.ListVersions
	if !noncurrent {
		list = func(ctx context.Context, prefix string, fn func(Object) error) error {
			return vl.ListVersions(ctx, prefix, func(o Object) error {
				if o.Noncurrent {
					return nil
				}
				return fn(o)
			})
		}
	}
	snaps, err := listSnapshots(ctx, s, ref, list)
	if err != nil && !noncurrent && isAccessDenied(err) {
		// Listing versions needs s3:ListBucketVersions, which a role that
		// can list the bucket may lack: show the snapshots without ids.
		return ListSnapshots(ctx, s, ref)
	}
	return snaps, err
}

// isAccessDenied reports whether S3 refused a request for lack of permission.
func isAccessDenied(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDenied" {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusForbidden
}

// OpenSnapshot streams the object at key, or one version of it when
// versionID is not empty.
func OpenSnapshot(ctx context.Context, s Store, key, versionID string) (io.ReadCloser, error) {
	if versionID == "" {
		return s.Open(ctx, key)
	}
	vl, ok := s.(VersionLister)
	if !ok {
		return nil, fmt.Errorf("open %s version %s in %s: this store keeps no versions: name the snapshot without a version id", key, versionID, s)
	}
	return vl.OpenVersion(ctx, key, versionID)
}
