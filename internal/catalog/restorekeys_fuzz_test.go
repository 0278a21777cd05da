package catalog_test

import (
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

// FuzzParseAuditKey: a key is an audit record's exactly when AuditKey
// writes it back the same, and no audit record is ever taken for a
// snapshot (it would be listed, and pruned, as one).
func FuzzParseAuditKey(f *testing.F) {
	t0 := time.Date(2026, 11, 20, 14, 5, 9, 0, time.UTC)
	f.Add(catalog.AuditKey("abcd1234", t0, "3f9a1c2e"))
	f.Add(catalog.SafetyKey("abcd1234", t0, "3f9a1c2e"))
	f.Add("abcd1234/audit/20261120T140509Z-.json")
	f.Add("abcd1234/audit/20261120T140509Z-a-b.json")
	f.Add("abcd1234/audit/20261320T140509Z-x.json")
	f.Add("a/b/audit/20261120T140509Z-x.json")
	f.Fuzz(func(t *testing.T, key string) {
		ref, ts, id, ok := catalog.ParseAuditKey(key)
		if !ok {
			return
		}
		if back := catalog.AuditKey(ref, ts, id); back != key {
			t.Fatalf("ParseAuditKey(%q) = %q, %v, %q, which AuditKey writes as %q", key, ref, ts, id, back)
		}
		if _, _, ok := catalog.ParseSnapshotKey(key); ok {
			t.Fatalf("audit record %q is also a snapshot key", key)
		}
	})
}
