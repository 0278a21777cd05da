package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

func TestParseTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	// 2026-11-21 00:30 in Berlin (UTC+1) is still the 20th in UTC: "today"
	// must be Berlin's calendar day.
	now := time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC)
	in := func(loc *time.Location, y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, loc)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2026-11-20T14:05:00Z", berlin, in(time.UTC, 2026, 11, 20, 14, 5, 0)},
		{"2026-11-20T14:05:00+01:00", time.UTC, in(time.UTC, 2026, 11, 20, 13, 5, 0)},
		{"2026-11-20T14:05:00.250Z", time.UTC, in(time.UTC, 2026, 11, 20, 14, 5, 0).Add(250 * time.Millisecond)},
		{"2026-11-20t14:05:00z", time.UTC, in(time.UTC, 2026, 11, 20, 14, 5, 0)},
		{"2026-11-20 14:05", time.UTC, in(time.UTC, 2026, 11, 20, 14, 5, 0)},
		{"2026-11-20 14:05", berlin, in(time.UTC, 2026, 11, 20, 13, 5, 0)},
		{"2026-11-20 14:05:30", berlin, in(berlin, 2026, 11, 20, 14, 5, 30)},
		{"2026-11-20T14:05", berlin, in(berlin, 2026, 11, 20, 14, 5, 0)},
		{"2026-07-20 14:05", berlin, in(time.UTC, 2026, 7, 20, 12, 5, 0)}, // summer time
		{"2026-11-20", berlin, in(berlin, 2026, 11, 20, 0, 0, 0)},
		{"  2026-11-20   14:05 ", time.UTC, in(time.UTC, 2026, 11, 20, 14, 5, 0)},
		{"now", berlin, now},
		{"NOW", berlin, now},
		{"today", time.UTC, in(time.UTC, 2026, 11, 20, 0, 0, 0)},
		{"today", berlin, in(berlin, 2026, 11, 21, 0, 0, 0)},
		{"yesterday", berlin, in(berlin, 2026, 11, 20, 0, 0, 0)},
		{"yesterday 14:00", berlin, in(berlin, 2026, 11, 20, 14, 0, 0)},
		{"yesterday 14:00", time.UTC, in(time.UTC, 2026, 11, 19, 14, 0, 0)},
		{"Yesterday 14:00:15", nil, in(time.UTC, 2026, 11, 19, 14, 0, 15)},
		{"today 09:30", berlin, in(berlin, 2026, 11, 21, 9, 30, 0)},
		{"3h ago", berlin, now.Add(-3 * time.Hour)},
		{"90m ago", berlin, now.Add(-90 * time.Minute)},
		{"2d ago", berlin, now.Add(-48 * time.Hour)},
		{"1w ago", berlin, now.Add(-7 * 24 * time.Hour)},
		{"3 hours ago", berlin, now.Add(-3 * time.Hour)},
		{"1 hour ago", berlin, now.Add(-time.Hour)},
		{"2 days ago", berlin, now.Add(-48 * time.Hour)},
		{"1h30m ago", berlin, now.Add(-90 * time.Minute)},
		{"1 day 6 hours ago", berlin, now.Add(-30 * time.Hour)},
		{"45s ago", berlin, now.Add(-45 * time.Second)},
		{"0m ago", berlin, now},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := catalog.ParseTime(tt.in, now, tt.loc)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q, %v) = %v, want %v", tt.in, tt.loc, got, tt.want)
			}
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, in := range []string{
		"", "soon", "3h", "ago", "3 ago", "h ago", "3 fortnights ago", "-3h ago", "1.5h ago",
		"2026-13-01", "2026-11-20 25:00", "20/11/2026", "yesterday 25:00", "tomorrow",
		"99999999999999999999h ago", "1000000w ago", "today at 9",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := catalog.ParseTime(in, now, time.UTC)
			if err == nil {
				t.Fatalf("ParseTime(%q) succeeded", in)
			}
			if !errors.Is(err, catalog.ErrBadTime) {
				t.Errorf("error %q is not ErrBadTime", err)
			}
			for _, want := range []string{"3h ago", "yesterday 14:00", "2026-11-20 14:05", "RFC 3339", "UTC"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not list the form %q", err, want)
				}
			}
		})
	}
}
