package catalog

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TimestampLayout is how a snapshot's time appears in its key (always UTC).
const TimestampLayout = "20060102T150405Z"

// SnapshotExt ends every snapshot key.
const SnapshotExt = ".sql.gz"

var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// ValidateRef checks that ref can name a project in a key: letters, digits,
// '-' and '_' only, so it can never escape its own prefix.
func ValidateRef(ref string) error {
	if !refPattern.MatchString(ref) {
		return fmt.Errorf("invalid project ref %q: use letters, digits, '-' and '_' (at most 63)", ref)
	}
	return nil
}

// SnapshotKey is the key of ref's snapshot taken at t.
func SnapshotKey(ref string, t time.Time) string {
	return ref + "/" + t.UTC().Format(TimestampLayout) + SnapshotExt
}

// ProjectPrefix is the prefix under which all of ref's snapshots live.
func ProjectPrefix(ref string) string { return ref + "/" }

// ParseSnapshotKey reports the project ref and time of a daily snapshot key,
// and ok=false for anything else (sidecars, safety snapshots, audit records,
// partial uploads). The key's file name is a timestamp and ".sql.gz": the
// platform's own (TimestampLayout, which SnapshotKey writes), RFC 3339
// ("2026-11-20T14:05:00Z", any offset, which t keeps), or Unix seconds
// ("1763647500", ten digits: 2001 to 2286, so a bare date such as 20261120
// is never taken for 1970). Only the canonical spelling of each form counts
// (no "+00:00" for Z, no trailing zeros in fractions), so a look-alike is
// never listed, or pruned, as a snapshot.
func ParseSnapshotKey(key string) (ref string, t time.Time, ok bool) {
	dir, file := path.Split(key)
	ref = strings.TrimSuffix(dir, "/")
	stem, isSnap := strings.CutSuffix(file, SnapshotExt)
	if ValidateRef(ref) != nil || !isSnap {
		return "", time.Time{}, false
	}
	if t, ok := parseKeyTime(stem); ok {
		return ref, t, true
	}
	return "", time.Time{}, false
}

// parseKeyTime reads a key's timestamp in whichever form formats back to it.
func parseKeyTime(stem string) (time.Time, bool) {
	for _, layout := range []string{TimestampLayout, time.RFC3339Nano} {
		if t, err := time.Parse(layout, stem); err == nil && t.Format(layout) == stem {
			return t, true
		}
	}
	if len(stem) == 10 && stem[0] != '0' {
		if n, err := strconv.ParseInt(stem, 10, 64); err == nil && strconv.FormatInt(n, 10) == stem {
			return time.Unix(n, 0).UTC(), true
		}
	}
	return time.Time{}, false
}
