package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// IndexSuffix ends a snapshot's sidecar index: "<key>.index.json".
const IndexSuffix = ".index.json"

// Snapshot is one daily snapshot of a project.
type Snapshot struct {
	Ref  string
	Time time.Time // UTC, from the key
	Object
	// Indexed: the current listing holds a sidecar index for Key. Whether
	// that index describes this object (or this version of it) is for its
	// reader to check, against the size and ETag it records.
	Indexed bool
}

// ListSnapshots returns ref's daily snapshots, newest first. Sidecars,
// safety snapshots, audit records and partial uploads are not snapshots.
// VersionID is filled only where the store's listing provides it; S3's
// ListObjectsV2 does not, ListSnapshotVersions does.
func ListSnapshots(ctx context.Context, s Store, ref string) ([]Snapshot, error) {
	return listSnapshots(ctx, s, ref, s.List)
}

// listFunc is Store.List or VersionLister.ListVersions.
type listFunc func(ctx context.Context, prefix string, fn func(Object) error) error

// listSnapshots collects ref's snapshots from one listing, marking those
// whose sidecar index appears in the same listing, so that telling which
// snapshots are indexed costs no request per snapshot.
func listSnapshots(ctx context.Context, s Store, ref string, list listFunc) ([]Snapshot, error) {
	if err := ValidateRef(ref); err != nil {
		return nil, err
	}
	var out []Snapshot
	indexed := make(map[string]bool)
	err := list(ctx, ProjectPrefix(ref), func(o Object) error {
		if key, ok := strings.CutSuffix(o.Key, IndexSuffix); ok {
			indexed[key] = indexed[key] || !o.Noncurrent
			return nil
		}
		if r, t, ok := ParseSnapshotKey(o.Key); ok && r == ref {
			out = append(out, Snapshot{Ref: r, Time: t.UTC(), Object: o})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots of project %s in %s: %w", ref, s, err)
	}
	for i := range out {
		out[i].Indexed = indexed[out[i].Key]
	}
	sortNewestFirst(out)
	return out, nil
}

// sortNewestFirst orders snapshots by time, newest first; versions of one
// key (same time) go current first, then by age.
func sortNewestFirst(snaps []Snapshot) {
	slices.SortStableFunc(snaps, func(a, b Snapshot) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if a.Noncurrent != b.Noncurrent {
			if a.Noncurrent {
				return 1
			}
			return -1
		}
		return b.ModTime.Compare(a.ModTime)
	})
}
