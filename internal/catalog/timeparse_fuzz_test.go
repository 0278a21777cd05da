package catalog_test

import (
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

// FuzzParseTime: whatever a support engineer types for --near either parses
// to a time, the same in any time zone when the input names its own offset,
// or is refused with an error; it never panics.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-20T14:05:00Z", "2026-11-20 14:05", "2026-11-20", "3h ago", "yesterday 14:00",
		"1 day 6 hours ago", "now", "today 09:30", "2026-11-20T14:05:00+02:00", "90m ago"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		utc, err := catalog.ParseTime(s, now, time.UTC)
		if err != nil {
			return
		}
		if _, err := catalog.ParseTime(s, now, berlin); err != nil {
			t.Fatalf("ParseTime(%q) accepted in UTC, refused in Europe/Berlin: %v", s, err)
		}
		if rfc := utc.Format(time.RFC3339Nano); rfc != "" {
			back, err := catalog.ParseTime(rfc, now, berlin)
			if err != nil || !back.Equal(utc) {
				t.Fatalf("ParseTime(%q) = %v; its RFC 3339 form %q parses back as %v (%v)", s, utc, rfc, back, err)
			}
		}
	})
}
