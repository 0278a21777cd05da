package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TimeForms lists what ParseTime accepts, for help texts and errors.
const TimeForms = "RFC 3339 (2026-11-20T14:05:00Z, 2026-11-20T14:05:00+01:00), " +
	"2026-11-20 14:05, 2026-11-20 14:05:30, 2026-11-20T14:05, a bare date 2026-11-20 (midnight), " +
	"now, today, yesterday, today 09:30, yesterday 14:00, " +
	"or a time ago: 3h ago, 90m ago, 2d ago, 1w ago, 1h30m ago, 3 hours ago, 2 days ago"

// ErrBadTime is the error of a time ParseTime cannot read: a mistake of
// the user's, which a command reports as such.
var ErrBadTime = errors.New("cannot read time")

// localLayouts are the absolute forms without a zone: they mean a wall
// clock time in the caller's location.
var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// clockLayouts are the times of day after "today" or "yesterday".
var clockLayouts = []string{"15:04", "15:04:05"}

// ParseTime reads a point in time as a support engineer types it (see
// TimeForms). Forms without a zone are wall clock times in loc (nil means
// UTC); relative forms count back from now. Days and weeks in "ago" forms
// are 24 and 168 hours; "today" and "yesterday" are calendar days in loc.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if t, ok := parseAbsolute(in, loc); ok {
		return t, nil
	}
	if t, ok := parseDayRelative(in, now, loc); ok {
		return t, nil
	}
	if rest, ok := strings.CutSuffix(in, " ago"); ok {
		if d, ok := parseAgo(rest); ok {
			return now.Add(-d), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w %q: use %s (times without a zone are in %s)", ErrBadTime, s, TimeForms, loc)
}

func parseAbsolute(s string, loc *time.Location) (time.Time, bool) {
	// RFC 3339 wants upper-case T and Z; lower-casing the input is undone here.
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, true
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, strings.ToUpper(s), loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseDayRelative reads now, today and yesterday, with an optional time of day.
func parseDayRelative(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	if s == "now" {
		return now, true
	}
	word, clock, _ := strings.Cut(s, " ")
	var back int
	switch word {
	case "today":
	case "yesterday":
		back = 1
	default:
		return time.Time{}, false
	}
	y, m, d := now.In(loc).Date()
	day := time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	if clock == "" {
		return day, true
	}
	for _, layout := range clockLayouts {
		if c, err := time.Parse(layout, clock); err == nil {
			return time.Date(y, m, d-back, c.Hour(), c.Minute(), c.Second(), 0, loc), true
		}
	}
	return time.Time{}, false
}

// agoTerm is one "<number> <unit>" of a duration: "3h", "3 hours", "90m".
var agoTerm = regexp.MustCompile(`^(\d+) ?([a-z]+) ?`)

var agoUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// maxAgo keeps the sum far from overflowing: nobody restores from 100 years ago.
const maxAgo = 100 * 365 * 24 * time.Hour

// parseAgo reads the duration before "ago": one or more terms such as
// "1h30m", "2 days", "1 day 6 hours".
func parseAgo(s string) (time.Duration, bool) {
	var total time.Duration
	for s != "" {
		m := agoTerm.FindStringSubmatch(s)
		if m == nil {
			return 0, false
		}
		unit, ok := agoUnits[m[2]]
		n, err := strconv.ParseInt(m[1], 10, 64)
		if !ok || err != nil || n > int64(maxAgo/unit) {
			return 0, false
		}
		total += time.Duration(n) * unit
		if total > maxAgo {
			return 0, false
		}
		s = s[len(m[0]):]
	}
	return total, true
}
