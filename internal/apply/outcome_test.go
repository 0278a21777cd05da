package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	if urec, err := FindRecord(t.Context(), s.store, "abcd1234", ures.AuditID); err != nil || urec.UndoOf != rec.ID {
		t.Errorf("the undo's record: undo_of %q, %v; want %q", urec.UndoOf, err, rec.ID)
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

// commitCutter is a TCP proxy to PostgreSQL that loses the
// acknowledgement of a COMMIT: it passes the COMMIT to the server, then
// closes the client's connection before the answer comes back. With
// cutAll it also closes every other connection and refuses new ones (the
// network is gone, not one connection).
type commitCutter struct {
	ln     net.Listener
	target string
	cutAll bool
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func newCommitCutter(t *testing.T, target string, cutAll bool) *commitCutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &commitCutter{ln: ln, target: target, cutAll: cutAll}
	t.Cleanup(func() { ln.Close(); c.closeAll() })
	go c.serve()
	return c
}

func (c *commitCutter) serve() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut && c.cutAll {
			c.mu.Unlock()
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			client.Close()
			continue
		}
		c.conns = append(c.conns, client, server)
		c.mu.Unlock()
		go func() { io.Copy(client, server); client.Close() }()
		go c.forward(client, server)
	}
}

// forward copies the client's messages to the server until the load
// role's session (the restore's transaction) has sent a COMMIT (a simple
// Query "commit", as pgx sends it), then cuts.
func (c *commitCutter) forward(client, server net.Conn) {
	commit := []byte("Q\x00\x00\x00\x0bcommit\x00")
	buf := make([]byte, 64<<10)
	var tail []byte
	load, first := false, true
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
			if first {
				// The startup message names the user.
				load, first = bytes.Contains(buf[:n], []byte("restorectl_load_")), false
			}
			tail = append(tail, buf[:n]...)
			if load && bytes.Contains(tail, commit) {
				c.mu.Lock()
				c.cut = true
				c.mu.Unlock()
				client.Close()
				if c.cutAll {
					c.closeAll()
				}
				return
			}
			tail = tail[max(len(tail)-len(commit), 0):]
		}
		if err != nil {
			server.Close()
			return
		}
	}
}

func (c *commitCutter) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
}

// TestOverwriteCommitAcknowledgementLost: the COMMIT reaches the server
// but its answer never comes back. When the target can still be asked,
// the restore settles the outcome from txid_status (committed); when it
// cannot, the outcome is unknown, the error names the transaction to ask
// about, and undo (asking the target itself later) still works.
func TestOverwriteCommitAcknowledgementLost(t *testing.T) {
	for _, cutAll := range []bool{false, true} {
		s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
		cutter := newCommitCutter(t, fmt.Sprintf("%s:%d", s.pg.Host, s.pg.Port), cutAll)
		u, err := url.Parse(s.targetURL)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = cutter.ln.Addr().String()
		req := s.request(Overwrite, "public.products")
		req.Target = u.String()
		res, err := s.run(t.Context(), req, nil)
		if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
			t.Fatalf("cut all %v: products = %s, want the snapshot's %s (the COMMIT reached the server)", cutAll, got, want)
		}
		if !cutAll {
			if err != nil || res.Outcome != Committed {
				t.Errorf("one connection cut: outcome %s, err %v; want committed, settled by asking the target", res.Outcome, err)
			}
			continue
		}
		if res.Outcome != Unknown || err == nil || !strings.Contains(err.Error(), fmt.Sprintf("SELECT pg_catalog.txid_status(%d)", res.XID)) {
			t.Fatalf("network cut: outcome %s, err %v; want unknown, naming txid_status(%d)", res.Outcome, err, res.XID)
		}
		rec, err := FindRecord(t.Context(), s.store, "abcd1234", res.AuditID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Transaction != Unknown || rec.XID != res.XID {
			t.Errorf("record: transaction %s, xid %d; want unknown, %d", rec.Transaction, rec.XID, res.XID)
		}
		if err := Undoable(t.Context(), rec, s.targetURL); err != nil {
			t.Errorf("undo refused once the target answers: %v", err)
		}
		// With the network gone the load role could not be dropped: it
		// expires (VALID UNTIL) and is NOLOGIN; drop it so that other
		// tests of the cluster count none.
		s.pg.Exec(t, s.target, `DO $$ DECLARE r text; BEGIN
			FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'restorectl\_load\_%' LOOP
				EXECUTE format('DROP OWNED BY %I', r); EXECUTE format('DROP ROLE %I', r);
			END LOOP; END $$`)
	}
}
