package apply

import "github.com/powabase/restorectl/internal/extract"

// Plan is what a restore will do (or did), for --dry-run, the console and
// the audit record.
type Plan struct {
	Mode     Mode   `json:"mode"`
	Snapshot string `json:"snapshot"`
	// Target is the target without its password (Redact).
	Target string `json:"target"`
	// Role is the role the snapshot's statements and rows are loaded as
	// (the tables' owner, or the new project's owner), never a superuser.
	Role   string      `json:"role,omitempty"`
	Tables []TablePlan `json:"tables"`
	// Statements are what will run, one line each ("TRUNCATE ONLY
	// public.orders", "COPY public.orders: 120 rows", "CREATE TABLE
	// public.new_table"), in order.
	Statements []string `json:"statements"`
	// Sequences are the selection's sequences: what the target has, the
	// snapshot's value, and what the restore does (overwrite, merge).
	Sequences []SequencePlan `json:"sequences,omitempty"`
	// Warnings are about drift that is compatible, foreign keys left out,
	// statements pg_query could not parse.
	Warnings []string `json:"warnings,omitempty"`
}

// TablePlan is one table of a plan.
type TablePlan struct {
	Table extract.Name `json:"-"`
	Name  string       `json:"table"` // Table as SQL writes it
	// Exists says the target has the table; when not, the restore creates it.
	Exists bool `json:"exists"`
	// RowsNow is the target's row count, RowsAfter the count after the
	// restore (for merge without a dry run's counting: -1, unknown).
	RowsNow   int64 `json:"rows_now"`
	RowsAfter int64 `json:"rows_after"`
	// SnapshotRows is the snapshot's row count.
	SnapshotRows int64 `json:"snapshot_rows"`
	Deleted      int64 `json:"deleted"`
	Inserted     int64 `json:"inserted"`
	Updated      int64 `json:"updated"`
	// Merge: the snapshot's rows by key, compared with the target's.
	Missing   int64 `json:"missing,omitempty"`
	Identical int64 `json:"identical,omitempty"`
	Different int64 `json:"different,omitempty"`
	// Drift are the column-level differences from the snapshot.
	Drift []Drift `json:"drift,omitempty"`
	// Undo (Request.UndoOf): of the rows the target holds now, how many
	// were written (inserted or updated) since the restore being undone;
	// and how many of the rows that restore wrote are gone or changed.
	// Undo discards both.
	WrittenSince int64 `json:"written_since,omitempty"`
	GoneSince    int64 `json:"gone_since,omitempty"`
	// Cascaded says the table was added by --cascade.
	Cascaded bool `json:"cascaded,omitempty"`
}

// Drift is one column that differs between the snapshot and the target.
type Drift struct {
	Column string `json:"column"`
	// Snapshot and Target are the column's type on each side, "" where it
	// is missing ("integer", "text NOT NULL", "jsonb DEFAULT").
	Snapshot string `json:"snapshot"`
	Target   string `json:"target"`
	// Compatible drift (an extra nullable or defaulted column on the
	// target) lets the restore proceed; anything else refuses it.
	Compatible bool   `json:"compatible"`
	Reason     string `json:"reason"`
}
