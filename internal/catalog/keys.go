package catalog

import (
	"fmt"
	"path"
	"regexp"
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
// partial uploads).
func ParseSnapshotKey(key string) (ref string, t time.Time, ok bool) {
	dir, file := path.Split(key)
	ref = strings.TrimSuffix(dir, "/")
	if ValidateRef(ref) != nil || !strings.HasSuffix(file, SnapshotExt) {
		return "", time.Time{}, false
	}
	t, err := time.Parse(TimestampLayout, strings.TrimSuffix(file, SnapshotExt))
	if err != nil {
		return "", time.Time{}, false
	}
	return ref, t, true
}
