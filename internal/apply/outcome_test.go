package apply

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/powabase/restorectl/internal/catalog"
)

// failingAuditStore fails every write of an audit record after the first
// ok ones.
type failingAuditStore struct {
	catalog.Store
	ok     int32
	writes atomic.Int32
}

func (s *failingAuditStore) Create(ctx context.Context, key string) (catalog.ObjectWriter, error) {
	if _, _, _, audit := catalog.ParseAuditKey(key); audit && s.writes.Add(1) > s.ok {
		return nil, errors.New("the store refuses the write (test)")
	}
	return s.Store.Create(ctx, key)
}

// safetySource reads the safety snapshot at key of store.
func safetySource(t *testing.T, store catalog.Store, key string) *Source {
	t.Helper()
	rc, err := store.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	path := filepath.Join(t.TempDir(), "safety.sql.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return fileSource(t, path)
}

// TestOverwriteCommittedRecordingFails: when writing the audit record
// fails after COMMIT, the outcome is committed (not "rolled back"), the
// error says so, and the record written before the first change (with
// the safety snapshot and the transaction) is enough for undo, which asks
// the target whether that transaction committed.
func TestOverwriteCommittedRecordingFails(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
	// Two writes succeed: "running", then the safety snapshot's key.
	store := &failingAuditStore{Store: s.store, ok: 2}
	res, err := Run(t.Context(), Config{Store: store, PgDump: s.pg.Bin("pg_dump")}, s.request(Overwrite, "public.products"))
	if err == nil || !strings.Contains(err.Error(), "the restore was committed; recording it in audit record") {
		t.Fatalf("err = %v, want it to say the restore was committed", err)
	}
	if res.Outcome != Committed || res.SafetyKey == "" || res.XID == 0 {
		t.Fatalf("result: outcome %s, safety %q, xid %d; want committed with a safety snapshot and a transaction", res.Outcome, res.SafetyKey, res.XID)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
		t.Fatalf("products = %s, want the snapshot's %s (committed)", got, want)
	}
	rec, err := FindRecord(t.Context(), s.store, "abcd1234", res.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != OutcomeRunning || rec.SafetySnapshot != res.SafetyKey || rec.XID != res.XID {
		t.Fatalf("record: outcome %s, safety %q, xid %d; want running with the safety snapshot and the transaction", rec.Outcome, rec.SafetySnapshot, rec.XID)
	}
	if err := Undoable(t.Context(), rec, s.targetURL); err != nil {
		t.Fatalf("undo refused: %v", err)
	}
	// The project writes a row after the restore: the undo plan says so.
	s.pg.Exec(t, s.target, "INSERT INTO public.products (name) VALUES ('after the restore')")
	undo := Request{Mode: Overwrite, Source: safetySource(t, s.store, rec.SafetySnapshot), All: true, Project: "abcd1234", SnapshotProject: "abcd1234",
		Target: s.targetURL, Ticket: "SUP-1", Operator: "test", UndoOf: &rec}
	ures, err := s.run(t.Context(), undo, nil)
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if tp := ures.Plan.Tables[0]; tp.WrittenSince != 1 || tp.GoneSince != 0 {
		t.Errorf("undo plan of products: written since %d, gone since %d; want 1, 0", tp.WrittenSince, tp.GoneSince)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.targetSums["public.products"]; got != want {
		t.Errorf("products after the undo = %s, want the pre-restore %s", got, want)
	}
}

// TestUndoRefusesWhatDidNotCommit: a restore refused after its safety
// snapshot (rolled back) and a dry run cannot be undone: putting the
// safety snapshot back would discard the project's writes for nothing.
func TestUndoRefusesWhatDidNotCommit(t *testing.T) {
	s := newTgtScenario(t, tgtShop, `DELETE FROM public.order_items WHERE order_id > 20; DELETE FROM public.orders WHERE id > 20;`)
	res, err := s.run(t.Context(), s.request(Overwrite, "public.order_items"), nil)
	var refused *RefusedError
	if !errors.As(err, &refused) || res.Outcome != RolledBack || res.SafetyKey == "" {
		t.Fatalf("restore: outcome %s, safety %q, err %v; want a refusal after the safety snapshot", res.Outcome, res.SafetyKey, err)
	}
	rec, err := FindRecord(t.Context(), s.store, "abcd1234", res.AuditID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Transaction != RolledBack {
		t.Errorf("record's transaction = %q, want %q", rec.Transaction, RolledBack)
	}
	for name, r := range map[string]Record{
		"rolled back":              rec,
		"running, xid rolled back": func() Record { r := rec; r.Outcome, r.Transaction = OutcomeRunning, ""; return r }(),
	} {
		err := Undoable(t.Context(), r, s.targetURL)
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "nothing to undo") {
			t.Errorf("%s: undo: %v, want it refused", name, err)
		}
	}
}
