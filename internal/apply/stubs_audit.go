package apply

import (
	"context"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

// Record is an audit record. (Stub: helper C.)
type Record struct {
	ID string `json:"id"`
}

func newRecord(req Request, start time.Time) *Record                                { panic("TODO") }
func (rec *Record) finish(res *Result, err error)                                   { panic("TODO") }
func writeRecord(ctx context.Context, s catalog.Store, rec *Record) (string, error) { panic("TODO") }

// safety writes the safety snapshot of tables, read in the exported
// snapshot snapshotID (pg_export_snapshot of the restore's transaction),
// and returns its key.
func (r *run) safety(ctx context.Context, snapshotID string, tables []extract.Name) (string, error) {
	panic("TODO")
}
