package catalog

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Position says on which side of a point in time a snapshot was taken.
type Position string

// The positions of a snapshot relative to a point in time.
const (
	Before Position = "before"
	At     Position = "at"
	After  Position = "after"
)

// Ranked is a snapshot with its place relative to a point in time.
type Ranked struct {
	Snapshot
	Position Position
	// Distance is the snapshot's time minus the point in time: negative
	// before it, positive after.
	Distance time.Duration
}

// Nearest orders snapshots by their distance from t, nearest first. At equal
// distance the one before t goes first, since only a snapshot taken before
// an incident holds the data it destroyed; the rest of a tie keeps the
// order of snaps (ListSnapshots': current versions before older ones).
func Nearest(snaps []Snapshot, t time.Time) []Ranked {
	out := make([]Ranked, len(snaps))
	for i, s := range snaps {
		d := s.Time.Sub(t)
		out[i] = Ranked{Snapshot: s, Position: position(d), Distance: d}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		if c := cmp.Compare(abs(a.Distance), abs(b.Distance)); c != 0 {
			return c
		}
		return cmp.Compare(a.Distance, b.Distance)
	})
	return out
}

// NewestAtOrBefore returns the newest snapshot taken at or before t: the one
// to restore from for an incident at t. Among versions of one key the
// current one wins, then the most recently written.
func NewestAtOrBefore(snaps []Snapshot, t time.Time) (Snapshot, bool) {
	var best Snapshot
	found := false
	for _, s := range snaps {
		if s.Time.After(t) {
			continue
		}
		if !found || preferred(s, best) {
			best, found = s, true
		}
	}
	return best, found
}

// preferred reports whether a is a better choice than b at or before a time.
func preferred(a, b Snapshot) bool {
	switch {
	case !a.Time.Equal(b.Time):
		return a.Time.After(b.Time)
	case a.Noncurrent != b.Noncurrent:
		return !a.Noncurrent
	default:
		return a.ModTime.After(b.ModTime)
	}
}

func position(d time.Duration) Position {
	switch {
	case d < 0:
		return Before
	case d > 0:
		return After
	default:
		return At
	}
}

// abs is |d|; the distance to a far-off time saturates rather than wrapping.
func abs(d time.Duration) time.Duration {
	switch {
	case d == math.MinInt64:
		return math.MaxInt64
	case d < 0:
		return -d
	}
	return d
}
