package apply

import (
	"context"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// Stubs until audit.go and safety.go land: records and safety snapshots
// are not written.

// Record is an audit record.
type Record struct {
	ID string `json:"id"`
}

func newRecord(req Request, start time.Time) *Record                                { return &Record{ID: "stub"} }
func (rec *Record) finish(res *Result, err error)                                   {}
func writeRecord(ctx context.Context, s catalog.Store, rec *Record) (string, error) { return "", nil }

// safety writes the safety snapshot of tables, read in the exported
// snapshot snapshotID (pg_export_snapshot of the restore's transaction,
// which holds locks that keep writers off them), and returns its key.
func (r *run) safety(ctx context.Context, snapshotID string, tables []extract.Name) (string, error) {
	return "", nil
}
