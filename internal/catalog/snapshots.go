package catalog

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Snapshot is one daily snapshot of a project.
type Snapshot struct {
	Ref  string
	Time time.Time // UTC, from the key
	Object
}

// ListSnapshots returns ref's daily snapshots, newest first. Sidecars,
// safety snapshots, audit records and partial uploads are not snapshots.
func ListSnapshots(ctx context.Context, s Store, ref string) ([]Snapshot, error) {
	if err := ValidateRef(ref); err != nil {
		return nil, err
	}
	var out []Snapshot
	err := s.List(ctx, ProjectPrefix(ref), func(o Object) error {
		if r, t, ok := ParseSnapshotKey(o.Key); ok && r == ref {
			out = append(out, Snapshot{Ref: r, Time: t, Object: o})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots of project %s in %s: %w", ref, s, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}
