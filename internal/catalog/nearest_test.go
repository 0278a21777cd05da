package catalog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

func TestNearest(t *testing.T) {
	at := time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	snap := func(d time.Duration) catalog.Snapshot {
		ts := at.Add(d)
		return catalog.Snapshot{Ref: "p", Time: ts, Object: catalog.Object{Key: catalog.SnapshotKey("p", ts)}}
	}
	tests := []struct {
		name      string
		offsets   []time.Duration // snapshot times relative to at, newest first
		wantOrder []time.Duration // the same offsets, nearest first
	}{
		{"empty", nil, nil},
		{"one before", []time.Duration{-time.Hour}, []time.Duration{-time.Hour}},
		{"nearest first", []time.Duration{48 * time.Hour, 3 * time.Hour, -2 * time.Hour, -26 * time.Hour},
			[]time.Duration{-2 * time.Hour, 3 * time.Hour, -26 * time.Hour, 48 * time.Hour}},
		{"tie: before wins", []time.Duration{time.Hour, -time.Hour}, []time.Duration{-time.Hour, time.Hour}},
		{"exact match first", []time.Duration{time.Second, 0, -time.Second}, []time.Duration{0, -time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var snaps []catalog.Snapshot
			for _, d := range tt.offsets {
				snaps = append(snaps, snap(d))
			}
			got := catalog.Nearest(snaps, at)
			var order []time.Duration
			for _, r := range got {
				order = append(order, r.Distance)
				if !r.Time.Equal(at.Add(r.Distance)) {
					t.Errorf("%s: distance %v does not match time %v", r.Key, r.Distance, r.Time)
				}
				want := catalog.At
				if r.Distance < 0 {
					want = catalog.Before
				} else if r.Distance > 0 {
					want = catalog.After
				}
				if r.Position != want {
					t.Errorf("%s at %v: position %q, want %q", r.Key, r.Distance, r.Position, want)
				}
			}
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("Nearest order %v, want %v", order, tt.wantOrder)
			}
		})
	}
}

// A time centuries away saturates the distance instead of wrapping around
// to the other side.
func TestNearestFarAway(t *testing.T) {
	snaps := snaps(days(1), days(2))
	for _, tt := range []struct {
		at   time.Time
		want catalog.Position
	}{
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), catalog.Before},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), catalog.After},
	} {
		for _, r := range catalog.Nearest(snaps, tt.at) {
			if r.Position != tt.want || (r.Distance < 0) != (tt.want == catalog.Before) {
				t.Errorf("Nearest to %v: %s is %s by %v, want %s", tt.at, r.Key, r.Position, r.Distance, tt.want)
			}
		}
	}
}

func TestNewestAtOrBefore(t *testing.T) {
	list := snaps(days(0.5), days(1), days(2), days(3)) // newest first
	current := list[1]
	older := current
	older.Noncurrent, older.VersionID, older.ModTime = true, "v-old", now.Add(-days(1))
	newer := older
	newer.VersionID, newer.ModTime = "v-new", now.Add(-days(0.9))
	tests := []struct {
		name    string
		snaps   []catalog.Snapshot
		at      time.Time
		want    string // key, "" for none
		wantVer string
	}{
		{"none at all", nil, now, "", ""},
		{"all after", list, now.Add(-days(4)), "", ""},
		{"between", list, now.Add(-days(1.5)), list[2].Key, ""},
		{"exactly at", list, list[1].Time, list[1].Key, ""},
		{"after the newest", list, now, list[0].Key, ""},
		{"order does not matter", []catalog.Snapshot{list[3], list[0], list[2], list[1]}, now.Add(-days(0.7)), list[1].Key, ""},
		{"current version wins", []catalog.Snapshot{older, current, newer}, now, current.Key, ""},
		{"then the newest version", []catalog.Snapshot{older, newer}, now, current.Key, "v-new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := catalog.NewestAtOrBefore(tt.snaps, tt.at)
			if ok != (tt.want != "") || got.Key != tt.want || got.VersionID != tt.wantVer {
				t.Errorf("NewestAtOrBefore = %q (version %q), %v; want %q (version %q)", got.Key, got.VersionID, ok, tt.want, tt.wantVer)
			}
		})
	}
}
