package apply

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
	"github.com/powabase/restorectl/internal/extract"
)

// Outcomes of a restore, as its audit record states them.
const (
	// OutcomeRunning: the restore started and has not recorded its end. A
	// record left running is a restore that was killed (or is still going).
	OutcomeRunning   = "running"
	OutcomeOK        = "ok"
	OutcomeDryRun    = "dry-run"
	OutcomeRefused   = "refused"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
	// OutcomeUnreadable is not written: ListRecords reports it for an
	// object under the audit prefix that is not a record it can decode.
	OutcomeUnreadable = "unreadable"
)

// Record is the audit record of one restore, stored as indented JSON at
// catalog.AuditKey(Project, StartedAt, ID): first with outcome "running"
// before anything changes, then again, at the same key, with the outcome.
// It never holds a password.
type Record struct {
	ID      string `json:"id"`
	Project string `json:"project"`
	// SnapshotProject is the project the snapshot belongs to, "" when
	// unknown (a local file); IntoOtherProject is set when the snapshot
	// of another project was restored into Project on purpose (Request).
	SnapshotProject  string `json:"snapshot_project"`
	IntoOtherProject bool   `json:"into_other_project,omitempty"`

	StartedAt time.Time      `json:"started_at"`
	Operator  string         `json:"operator"`
	Ticket    string         `json:"ticket"`
	Snapshot  RecordSnapshot `json:"snapshot"`
	Mode      Mode           `json:"mode"`
	DryRun    bool           `json:"dry_run"`
	// Target is the target database without its password (Redact); empty
	// for a new project.
	Target string `json:"target"`
	// Database is the new project's database name.
	Database string `json:"database"`
	// Tables are the selected tables as SQL names (with All: every table
	// of the snapshot); Cascaded those --cascade added to them.
	Tables        []string `json:"tables"`
	All           bool     `json:"all,omitempty"`
	Cascade       bool     `json:"cascade,omitempty"`
	UpdateChanged bool     `json:"update_changed,omitempty"`
	Cascaded      []string `json:"cascaded"`
	// Rows are the plan's counts, table by table.
	Rows []RecordRows `json:"rows"`
	// SafetySnapshot is the key of the safety snapshot, "" when none was
	// written.
	SafetySnapshot string        `json:"safety_snapshot"`
	Created        []string      `json:"created"`
	Checks         []RecordCheck `json:"checks"`
	Verified       bool          `json:"verified"`
	DurationMS     int64         `json:"duration_ms"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// Transaction is what the restore did to the target (Result.Outcome),
	// empty while Outcome is running; XID its transaction there, once it
	// began changing the target: txid_status(XID) on the target tells
	// whether a restore whose record still says running committed.
	// Records written before they existed have neither.
	Transaction Outcome `json:"transaction,omitempty"`
	XID         uint64  `json:"xid,omitempty"`
	// Error is the restore's error, scrubbed of passwords.
	Error string `json:"error,omitempty"`

	// UndoOf is the ID of the restore this one undid (restorectl undo).
	UndoOf string `json:"undo_of,omitempty"`

	// Key is where the record is in the store (set by ListRecords and
	// FindRecord; it is not part of the JSON).
	Key string `json:"-"`

	// secrets are connection strings whose passwords are scrubbed from
	// Error (the target's, a new project's admin URL).
	secrets []string
}

// RecordSnapshot names the snapshot a restore read.
type RecordSnapshot struct {
	Name      string `json:"name"`
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
}

// RecordRows are one table's row counts: on the target before and after,
// in the snapshot, and what the restore deleted, inserted and updated.
type RecordRows struct {
	Table    string `json:"table"`
	Before   int64  `json:"before"`
	After    int64  `json:"after"`
	Snapshot int64  `json:"snapshot"`
	Deleted  int64  `json:"deleted"`
	Inserted int64  `json:"inserted"`
	Updated  int64  `json:"updated"`
}

// RecordCheck is the verification of one table (Check).
type RecordCheck struct {
	Table string `json:"table"`
	Want  int64  `json:"want"`
	Got   int64  `json:"got"`
	OK    bool   `json:"ok"`
}

// ErrRecordNotFound is returned (wrapped) by FindRecord.
var ErrRecordNotFound = errors.New("audit record not found")

// maxRecordSize bounds what ListRecords and FindRecord read of one object.
const maxRecordSize = 16 << 20

// newRecord is the "running" record of req, started at start, with
// everything known before the restore begins.
func newRecord(req Request, start time.Time) *Record {
	rec := &Record{
		ID:            newRecordID(),
		Project:       req.Project,
		StartedAt:     start.UTC(),
		Operator:      req.Operator,
		Ticket:        req.Ticket,
		Mode:          req.Mode,
		DryRun:        req.DryRun,
		Database:      req.Database,
		All:           req.All,
		Cascade:       req.Cascade,
		UpdateChanged: req.UpdateChanged,
		Tables:        []string{},
		Cascaded:      []string{},
		Rows:          []RecordRows{},
		Created:       []string{},
		Checks:        []RecordCheck{},
		Outcome:       OutcomeRunning,
	}
	rec.SnapshotProject, rec.IntoOtherProject = req.SnapshotProject, req.IntoOtherProject
	if req.UndoOf != nil {
		rec.UndoOf = req.UndoOf.ID
	}
	if req.Target != "" {
		rec.Target = Redact(req.Target)
		rec.secrets = append(rec.secrets, req.Target)
	}
	if src := req.Source; src != nil {
		rec.Snapshot = RecordSnapshot{Name: src.Name, Key: src.Key, VersionID: src.VersionID}
	}
	var tables []extract.Name
	if req.All {
		if req.Source != nil && req.Source.TOC != nil {
			tables = (&run{req: req}).selected()
		}
	} else {
		tables = req.Tables
	}
	rec.Tables = sqlNameList(tables)
	return rec
}

// newRecordID returns 8 random hex characters: unique enough within one
// project's records, short enough to type (restorectl undo ID).
func newRecordID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return hex.EncodeToString(b[:])
}

// finish records the outcome of the restore: err is what Run returns (nil
// on success), res what it did so far (res.Plan may be nil).
func (rec *Record) finish(res *Result, err error) {
	rec.Outcome = outcome(err, rec.DryRun)
	rec.Error = ""
	if err != nil {
		if res != nil && res.Database != nil && res.Database.URL != "" {
			rec.secrets = append(rec.secrets, res.Database.URL)
		}
		rec.Error = scrubSecrets(err.Error(), rec.secrets)
	}
	rec.update(res)
	if res != nil {
		rec.Transaction = res.Outcome
	}
}

// update copies what the restore did so far into the record, leaving its
// outcome as it is.
func (rec *Record) update(res *Result) {
	if res == nil {
		return
	}
	rec.XID = res.XID
	rec.Rows, rec.Cascaded = []RecordRows{}, []string{}
	if res.Plan != nil {
		for _, tp := range res.Plan.Tables {
			name := tp.Name
			if name == "" {
				name = tp.Table.String()
			}
			rec.Rows = append(rec.Rows, RecordRows{Table: name, Before: tp.RowsNow, After: tp.RowsAfter,
				Snapshot: tp.SnapshotRows, Deleted: tp.Deleted, Inserted: tp.Inserted, Updated: tp.Updated})
			if tp.Cascaded {
				rec.Cascaded = append(rec.Cascaded, name)
			}
		}
	}
	rec.SafetySnapshot = res.SafetyKey
	rec.Created = sqlNameList(res.Created)
	rec.Checks = []RecordCheck{}
	for _, c := range res.Checks {
		rec.Checks = append(rec.Checks, RecordCheck{Table: c.Table.String(), Want: c.Want, Got: c.Got, OK: c.OK})
	}
	rec.Verified = res.Verified()
	rec.DurationMS = res.Duration.Milliseconds()
}

// outcome classifies a restore's error.
func outcome(err error, dryRun bool) string {
	var refused *RefusedError
	switch {
	case err == nil && dryRun:
		return OutcomeDryRun
	case err == nil:
		return OutcomeOK
	case errors.As(err, &refused):
		return OutcomeRefused
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeCancelled
	}
	return OutcomeFailed
}

// scrubSecrets removes from s the passwords of the connection strings
// conns, in every spelling a message may carry them (as is, URL-escaped),
// and anything shaped like a password (dump.Redact). Errors are not
// supposed to carry passwords at all: this is the last line of defence
// before one is stored for good.
func scrubSecrets(s string, conns []string) string {
	for _, conn := range conns {
		for _, pw := range connPasswords(conn) {
			for _, v := range []string{pw, url.PathEscape(pw), url.QueryEscape(pw), url.UserPassword("", pw).String()[1:]} {
				if v != "" {
					s = strings.ReplaceAll(s, v, "xxxxx")
				}
			}
		}
	}
	return dump.Redact(s)
}

// connPasswords returns the password of a connection string as pgx reads
// it (PGPASSWORD of this process's environment included), or, when pgx
// cannot parse it, whatever sits in a URL's password position.
func connPasswords(conn string) []string {
	if cfg, err := pgx.ParseConfig(conn); err == nil {
		if cfg.Password == "" {
			return nil
		}
		return []string{cfg.Password}
	}
	if u, err := url.Parse(conn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			return []string{pw}
		}
	}
	return nil
}

func sqlNameList(names []extract.Name) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n.String())
	}
	return out
}

// writeRecord stores rec (as indented JSON) at its key, replacing what is
// there, and returns the key.
func writeRecord(ctx context.Context, s catalog.Store, rec *Record) (key string, err error) {
	key = catalog.AuditKey(rec.Project, rec.StartedAt, rec.ID)
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return key, fmt.Errorf("encode audit record %s: %w", rec.ID, err)
	}
	data = append(data, '\n')
	w, err := s.Create(ctx, key)
	if err != nil {
		return key, fmt.Errorf("write audit record %s to %s: %w", key, s, err)
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return key, fmt.Errorf("write audit record %s to %s: %w", key, s, err)
	}
	if err := w.Commit(); err != nil {
		_ = w.Abort()
		return key, fmt.Errorf("write audit record %s to %s: %w", key, s, err)
	}
	return key, nil
}

// ListRecords returns the audit records of project ref, newest first.
// Objects under the audit prefix whose key is not a record's are skipped;
// a record that does not decode (damaged, or not JSON) is listed all the
// same, with the ID and StartedAt of its key, Outcome OutcomeUnreadable
// and Error saying why, so that a damaged record is never silently missing
// from the trail. Failing to list or read the store is an error.
func ListRecords(ctx context.Context, s catalog.Store, ref string) ([]Record, error) {
	if err := catalog.ValidateRef(ref); err != nil {
		return nil, err
	}
	var keys []string
	err := s.List(ctx, catalog.AuditPrefix(ref), func(o catalog.Object) error {
		if r, _, _, ok := catalog.ParseAuditKey(o.Key); ok && r == ref {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the audit records of project %s in %s: %w", ref, s, err)
	}
	// Keys of one project sort by start time: newest first is the
	// listing reversed.
	slices.Reverse(keys)
	recs := make([]Record, 0, len(keys))
	for _, key := range keys {
		rec, err := readRecord(ctx, s, key)
		if errors.Is(err, catalog.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// FindRecord returns the audit record id of project ref, or an error
// wrapping ErrRecordNotFound.
func FindRecord(ctx context.Context, s catalog.Store, ref, id string) (Record, error) {
	if err := catalog.ValidateRef(ref); err != nil {
		return Record{}, err
	}
	var key string
	err := s.List(ctx, catalog.AuditPrefix(ref), func(o catalog.Object) error {
		if r, _, rid, ok := catalog.ParseAuditKey(o.Key); ok && r == ref && rid == id {
			key = o.Key // the latest wins, should two restores ever share an id
		}
		return nil
	})
	if err != nil {
		return Record{}, fmt.Errorf("find audit record %s of project %s in %s: %w", id, ref, s, err)
	}
	notFound := fmt.Errorf("audit record %q of project %s is not in %s: %w (list them with `restorectl audit --project %s`)",
		id, ref, s, ErrRecordNotFound, ref)
	if key == "" {
		return Record{}, notFound
	}
	rec, err := readRecord(ctx, s, key)
	if errors.Is(err, catalog.ErrNotFound) {
		return Record{}, notFound
	}
	return rec, err
}

// readRecord reads the record at key; one that does not decode is
// returned as OutcomeUnreadable (see ListRecords).
func readRecord(ctx context.Context, s catalog.Store, key string) (Record, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return Record{}, fmt.Errorf("read audit record %s in %s: %w", key, s, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
	if err != nil {
		return Record{}, fmt.Errorf("read audit record %s in %s: %w", key, s, err)
	}
	ref, start, id, _ := catalog.ParseAuditKey(key)
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	switch {
	case len(data) > maxRecordSize:
		err = fmt.Errorf("larger than %d bytes", maxRecordSize)
	default:
		err = dec.Decode(&rec)
	}
	if err != nil {
		return Record{ID: id, Project: ref, StartedAt: start, Outcome: OutcomeUnreadable, Key: key,
			Error: fmt.Sprintf("the audit record at %s cannot be read: %v", key, err)}, nil
	}
	rec.Key = key
	return rec, nil
}
