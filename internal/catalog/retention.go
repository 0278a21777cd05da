package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retention is the platform-wide policy: snapshots older than KeepDays are
// deleted, but the newest KeepMin are always kept, so that weeks of failing
// backups never prune the last good one.
type Retention struct {
	KeepDays int
	KeepMin  int
}

// Validate rejects policies that would delete everything or make no sense.
func (r Retention) Validate() error {
	if r.KeepDays < 1 {
		return fmt.Errorf("retention: keep-days must be at least 1, got %d", r.KeepDays)
	}
	if r.KeepMin < 1 {
		return fmt.Errorf("retention: keep-min must be at least 1 (the newest snapshot is never pruned), got %d", r.KeepMin)
	}
	return nil
}

// Plan splits snapshots (newest first, as ListSnapshots returns them) into
// those to keep and those to delete at time now.
func (r Retention) Plan(snaps []Snapshot, now time.Time) (keep, drop []Snapshot) {
	cutoff := now.Add(-time.Duration(r.KeepDays) * 24 * time.Hour)
	for i, s := range snaps {
		if i < r.KeepMin || !s.Time.Before(cutoff) {
			keep = append(keep, s)
		} else {
			drop = append(drop, s)
		}
	}
	return keep, drop
}

// SidecarSuffixes are the objects that belong to a snapshot and go with it.
var SidecarSuffixes = []string{".index.json"}

// Prune deletes ref's snapshots that policy r no longer keeps, with their
// sidecars, and returns what it deleted (or, with dryRun, would delete).
func Prune(ctx context.Context, s Store, ref string, r Retention, now time.Time, dryRun bool) ([]Snapshot, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	snaps, err := ListSnapshots(ctx, s, ref)
	if err != nil {
		return nil, err
	}
	_, drop := r.Plan(snaps, now)
	if dryRun {
		return drop, nil
	}
	var errs []error
	var deleted []Snapshot
	for _, snap := range drop {
		if err := deleteSnapshot(ctx, s, snap.Key); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, snap)
	}
	return deleted, errors.Join(errs...)
}

func deleteSnapshot(ctx context.Context, s Store, key string) error {
	// Sidecars first: a snapshot without its index still works, an index
	// without its snapshot is litter.
	for _, suf := range SidecarSuffixes {
		if err := s.Delete(ctx, key+suf); err != nil {
			return fmt.Errorf("prune %s: delete %s: %w", key, key+suf, err)
		}
	}
	if err := s.Delete(ctx, key); err != nil {
		return fmt.Errorf("prune %s: %w", key, err)
	}
	return nil
}
