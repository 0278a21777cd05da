package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// SnapshotForms lists how ResolveSnapshot's spec may name a snapshot.
const SnapshotForms = "s3://bucket/key (with ?versionId=ID for an older version), " +
	"a local .sql.gz or .sql file, file:///path/to/snapshot.sql.gz, " +
	"or REF@TIME for the newest snapshot at or before TIME (abcd1234@'yesterday 14:00')"

// Resolved is a snapshot named on the command line.
type Resolved struct {
	Store     Store  // where it lives
	Key       string // relative to Store
	VersionID string // a version of Key; empty for the current one
	Name      string // for messages: how the user would name it again
	// Snapshot is what the catalog knows about it when the spec was REF@TIME
	// (its project, time and listing entry); zero otherwise.
	Snapshot Snapshot
}

// Project is the project the snapshot belongs to: the catalog's when
// REF@TIME found it, else the folder its key is filed in (RefOfKey); ""
// when it names none (a file outside any store's layout).
func (r Resolved) Project() string {
	switch {
	case r.Snapshot.Ref != "":
		return r.Snapshot.Ref
	case r.Store == nil:
		return ""
	}
	return RefOfKey(r.Key)
}

// Open streams the resolved snapshot (its version, if one was named).
func (r Resolved) Open(ctx context.Context) (io.ReadCloser, error) {
	return OpenSnapshot(ctx, r.Store, r.Key, r.VersionID)
}

// ResolveSnapshot finds the snapshot that spec names (see SnapshotForms).
// s3:// URLs open their own bucket with opts; local paths open a local store
// rooted at the file's directory; REF@TIME searches configured, reading TIME
// with ParseTime(now, loc). Files and current S3 objects are checked to
// exist, so a typo fails here rather than halfway through a restore.
func ResolveSnapshot(ctx context.Context, spec string, configured Store, opts Options, now time.Time, loc *time.Location) (Resolved, error) {
	spec = strings.TrimSpace(spec)
	if key, ok := underStore(spec, configured); ok {
		return resolveInStore(ctx, spec, key, configured)
	}
	switch {
	case spec == "":
		return Resolved{}, fmt.Errorf("no snapshot named: use %s", SnapshotForms)
	case strings.HasPrefix(spec, "s3://"):
		return resolveS3(ctx, spec, opts)
	case strings.HasPrefix(spec, "file://"):
		return resolveFileURL(ctx, spec)
	case strings.Contains(spec, "://"):
		return Resolved{}, fmt.Errorf("snapshot %q: unsupported URL scheme: use %s", spec, SnapshotForms)
	case isSnapshotFile(spec):
		return resolveFile(ctx, spec, spec)
	}
	if ref, when, ok := strings.Cut(spec, "@"); ok && ValidateRef(ref) == nil {
		return resolveRefAt(ctx, ref, when, configured, now, loc)
	}
	return Resolved{}, fmt.Errorf("cannot tell which snapshot %q names: use %s", spec, SnapshotForms)
}

// underStore says whether spec names an object of the configured store by
// its full URL or path (s3://bucket/prefix/<ref>/<time>.sql.gz with the
// store s3://bucket/prefix), and returns its key in that store: read
// relative to the store's prefix, the key is <ref>/..., as the catalog
// files it, and the restore's records go to the same store.
func underStore(spec string, configured Store) (key string, ok bool) {
	if configured == nil || strings.Contains(spec, "?") {
		return "", false // a versionId names an object of the bucket
	}
	root := configured.String()
	switch {
	case strings.HasPrefix(spec, "s3://"), strings.HasPrefix(spec, "file://"):
	case strings.HasPrefix(root, "file://") && isSnapshotFile(spec):
		abs, err := filepath.Abs(spec)
		if err != nil {
			return "", false
		}
		spec = "file://" + filepath.ToSlash(abs)
	default:
		return "", false
	}
	key, ok = strings.CutPrefix(spec, strings.TrimSuffix(root, "/")+"/")
	return key, ok && key != ""
}

// resolveInStore resolves key of the configured store, checking that it
// exists.
func resolveInStore(ctx context.Context, spec, key string, configured Store) (Resolved, error) {
	if err := validateKey(key); err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w", spec, err)
	}
	if _, err := configured.Stat(ctx, key); err != nil {
		return Resolved{}, notFoundHint(err, "check the key, or list the project's snapshots with restorectl snapshots --project REF")
	}
	return Resolved{Store: configured, Key: key, Name: KeyName(configured, key)}, nil
}

// KeyName names key of store s as the user names it again: its URL under
// the store, which ResolveSnapshot takes back as it is.
func KeyName(s Store, key string) string {
	return strings.TrimSuffix(s.String(), "/") + "/" + key
}

// Listed resolves a snapshot of s's listing (ListSnapshots), named by
// KeyName: the command line's REF@TIME and the console's choice alike.
func Listed(s Store, snap Snapshot) Resolved {
	return Resolved{Store: s, Key: snap.Key, VersionID: snap.VersionID, Name: KeyName(s, snap.Key), Snapshot: snap}
}

func isSnapshotFile(p string) bool {
	return strings.HasSuffix(p, ".sql.gz") || strings.HasSuffix(p, ".sql")
}

func resolveS3(ctx context.Context, spec string, opts Options) (Resolved, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w: use s3://bucket/key", spec, err)
	}
	key := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || key == "" || strings.HasSuffix(key, "/") {
		return Resolved{}, fmt.Errorf("snapshot %q names no object: use s3://bucket/path/to/snapshot.sql.gz", spec)
	}
	if err := validateKey(key); err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w", spec, err)
	}
	q := u.Query()
	versionID := q.Get("versionId")
	q.Del("versionId")
	if len(q) > 0 || (u.RawQuery != "" && versionID == "") {
		return Resolved{}, fmt.Errorf("snapshot %q: the only query parameter understood is versionId: use s3://bucket/key?versionId=ID", spec)
	}
	s, err := NewS3(ctx, u.Host, "", opts)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %s: %w", spec, err)
	}
	r := Resolved{Store: s, Key: key, VersionID: versionID, Name: "s3://" + u.Host + "/" + key}
	if versionID != "" {
		r.Name += "?versionId=" + url.QueryEscape(versionID)
		return r, nil // Stat reads only the current version
	}
	if _, err := s.Stat(ctx, key); err != nil {
		return Resolved{}, notFoundHint(err, "check the key, or list the project's snapshots with restorectl snapshots --project REF")
	}
	return r, nil
}

func resolveFileURL(ctx context.Context, spec string) (Resolved, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w: use file:///absolute/path/to/snapshot.sql.gz", spec, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return Resolved{}, fmt.Errorf("snapshot %q names a remote host: use file:///absolute/path/to/snapshot.sql.gz", spec)
	}
	if u.Path == "" || strings.HasSuffix(u.Path, "/") {
		return Resolved{}, fmt.Errorf("snapshot %q names no file: use file:///absolute/path/to/snapshot.sql.gz", spec)
	}
	return resolveFile(ctx, spec, filepath.FromSlash(u.Path))
}

// resolveFile opens a local store rooted at the file's directory.
func resolveFile(ctx context.Context, spec, file string) (Resolved, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w", spec, err)
	}
	dir, base := filepath.Split(abs)
	s, err := NewLocal(dir)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w", spec, err)
	}
	if err := validateKey(base); err != nil {
		return Resolved{}, fmt.Errorf("snapshot %q: %w: rename or copy the file", spec, err)
	}
	if _, err := s.Stat(ctx, base); err != nil {
		return Resolved{}, notFoundHint(err, "check the path (a relative path is relative to the current directory)")
	}
	return Resolved{Store: s, Key: base, Name: abs}, nil
}

func resolveRefAt(ctx context.Context, ref, when string, configured Store, now time.Time, loc *time.Location) (Resolved, error) {
	if configured == nil {
		return Resolved{}, fmt.Errorf("snapshot %s@%s: REF@TIME searches the snapshot store: pass --store or set RESTORECTL_STORE", ref, when)
	}
	t, err := ParseTime(when, now, loc)
	if err != nil {
		return Resolved{}, fmt.Errorf("snapshot %s@%s: %w", ref, when, err)
	}
	snaps, err := ListSnapshots(ctx, configured, ref)
	if err != nil {
		return Resolved{}, err
	}
	if len(snaps) == 0 {
		return Resolved{}, NoSnapshots(ctx, configured, ref)
	}
	snap, ok := NewestAtOrBefore(snaps, t)
	if !ok {
		oldest := snaps[len(snaps)-1]
		return Resolved{}, fmt.Errorf("project %s has no snapshot at or before %s in %s: the oldest is %s (%s); use a later time, or list them with restorectl snapshots --project %s",
			ref, t.In(loc).Format(time.RFC3339), configured, oldest.Key, oldest.Time.In(loc).Format(time.RFC3339), ref)
	}
	return Listed(configured, snap), nil
}

// notFoundHint adds what to try to an error that says an object is missing.
func notFoundHint(err error, hint string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s", err, hint)
	}
	return err
}
