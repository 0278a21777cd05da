package catalog

import (
	"path"
	"strings"
	"time"
)

// Restores keep two kinds of objects under a project's prefix, beside its
// daily snapshots but in folders of their own, so that ParseSnapshotKey
// (whose ref may not contain a slash) never takes them for snapshots and
// neither listing nor pruning ever touches them:
//
//	<ref>/pre-restore/<YYYYMMDDTHHMMSSZ>-<id>.sql.gz   safety snapshots (and their .index.json)
//	<ref>/audit/<YYYYMMDDTHHMMSSZ>-<id>.json           audit records
//
// Both carry the restore's id: two restores in the same second (an undo
// right after its restore, say) must never overwrite each other's safety
// snapshot, least of all the one being read.
const (
	safetyDir = "pre-restore/"
	auditDir  = "audit/"
	auditExt  = ".json"
)

// SafetyKey is the key of the safety snapshot of ref's restore id, taken
// at t: what a destructive restore replaced, kept so that the restore can
// be undone. Its sidecar index goes beside it as for any snapshot.
func SafetyKey(ref string, t time.Time, id string) string {
	return SafetyPrefix(ref) + t.UTC().Format(TimestampLayout) + "-" + id + SnapshotExt
}

// SafetyPrefix is the prefix under which all of ref's safety snapshots live.
func SafetyPrefix(ref string) string { return ProjectPrefix(ref) + safetyDir }

// AuditKey is the key of the audit record of ref's restore id, started at
// t. Keys of one project sort by start time.
func AuditKey(ref string, t time.Time, id string) string {
	return AuditPrefix(ref) + t.UTC().Format(TimestampLayout) + "-" + id + auditExt
}

// AuditPrefix is the prefix under which all of ref's audit records live.
func AuditPrefix(ref string) string { return ProjectPrefix(ref) + auditDir }

// ParseAuditKey reports the project ref, start time and id of an audit
// record's key, and ok=false for anything else.
func ParseAuditKey(key string) (ref string, t time.Time, id string, ok bool) {
	dir, file := path.Split(key)
	ref, isAudit := strings.CutSuffix(dir, "/"+auditDir)
	stem, isJSON := strings.CutSuffix(file, auditExt)
	if !isAudit || !isJSON || ValidateRef(ref) != nil {
		return "", time.Time{}, "", false
	}
	ts, id, found := strings.Cut(stem, "-")
	if !found || id == "" {
		return "", time.Time{}, "", false
	}
	t, err := time.Parse(TimestampLayout, ts)
	if err != nil || t.Format(TimestampLayout) != ts {
		return "", time.Time{}, "", false
	}
	return ref, t, id, true
}

// RefOfKey is the project a snapshot's key is filed under: the folder
// before its file name (<ref>/<time>.sql.gz), or before pre-restore/ for
// a safety snapshot (<ref>/pre-restore/<time>-<id>.sql.gz), whatever
// prefix comes before the refs (backups/<ref>/<time>.sql.gz). "" when the
// key names no project: a file at the top of its store, or a folder that
// is not a valid ref.
func RefOfKey(key string) string {
	dir := path.Dir(key)
	if d, ok := strings.CutSuffix(dir, "/"+strings.TrimSuffix(safetyDir, "/")); ok {
		dir = d
	} else if dir+"/" == safetyDir {
		return ""
	}
	ref := path.Base(dir)
	if dir == "." || ValidateRef(ref) != nil {
		return ""
	}
	return ref
}
