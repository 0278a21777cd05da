package ticket_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/testenv"
	"github.com/powabase/restorectl/internal/ticket"
)

// sampleKey is the sample store's snapshot of project demo the tests use.
const sampleKey = "demo/20261121T030000Z.sql.gz"

var orders = []extract.Name{{Schema: "public", Name: "orders"}}

// sampleStore is a copy of the sample store: restores write audit records
// and safety snapshots into it.
func sampleStore(t *testing.T) (catalog.Store, string) {
	t.Helper()
	dir, err := sample.Unpack(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st, dir
}

func openSample(t *testing.T, svc *ticket.Service, opts ticket.OpenOptions) *ticket.Snapshot {
	t.Helper()
	s, err := ticket.Open(t.Context(), svc.Resolve(catalog.Snapshot{Object: catalog.Object{Key: sampleKey}}), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestServiceRefusesWhatIsNotConfigured: what the configuration cannot
// run is refused before anything is read or written, with the error each
// face turns into the flag to set; and a snapshot of another project never
// goes into this one unasked.
func TestServiceRefusesWhatIsNotConfigured(t *testing.T) {
	st, dir := sampleStore(t)
	svc := &ticket.Service{Store: st}
	snap := openSample(t, svc, ticket.OpenOptions{})
	for _, tc := range []struct {
		name string
		svc  ticket.Service
		req  ticket.Request
		want error
	}{
		{"overwrite without target", ticket.Service{Store: st}, ticket.Request{Mode: apply.Overwrite, Tables: orders, Ticket: "T"}, ticket.ErrNoTarget},
		{"merge without target", ticket.Service{Store: st, AdminURL: "postgres://a@h/postgres"}, ticket.Request{Mode: apply.Merge, Tables: orders, Ticket: "T"}, ticket.ErrNoTarget},
		{"new project without admin", ticket.Service{Store: st, TargetTemplate: "postgres://a@h/{ref}"}, ticket.Request{Mode: apply.NewProject, Tables: orders, Ticket: "T"}, ticket.ErrNoAdmin},
		{"another project", ticket.Service{Store: st, TargetTemplate: "postgres://a@h/{ref}"}, ticket.Request{Mode: apply.Overwrite, Tables: orders, Project: "other", Ticket: "T"}, &apply.OtherProjectError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Snapshot = snap
			res, err := tc.svc.Restore(t.Context(), tc.req, nil)
			var other *apply.OtherProjectError
			if _, ok := tc.want.(*apply.OtherProjectError); ok {
				if !errors.As(err, &other) || other.SnapshotProject != "demo" || other.Project != "other" {
					t.Fatalf("err = %v, want the snapshot of demo refused for project other", err)
				}
			} else if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if res != nil {
				t.Errorf("a refused restore has a result: %+v", res)
			}
		})
	}
	recs, err := svc.Audit(t.Context(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("refusals left %d audit records", len(recs))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "demo"))
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("refusals wrote %s into the store", e.Name())
		}
	}

	// A file outside any store's layout names no project: the restore must.
	if _, err := ticket.Project(catalog.Resolved{Name: "/tmp/x.sql.gz"}, "", false); !errors.Is(err, ticket.ErrUnknownProject) {
		t.Errorf("file outside a store: %v, want ErrUnknownProject", err)
	}
	if ref, err := ticket.Project(catalog.Resolved{Name: "/tmp/x.sql.gz"}, "demo", false); err != nil || ref != "demo" {
		t.Errorf("file outside a store, project named: %q, %v", ref, err)
	}
}

// TestServiceTargets: the template's {ref} is the project, and passwords
// never leave the service except to connect.
func TestServiceTargets(t *testing.T) {
	svc := &ticket.Service{TargetTemplate: "postgres://admin:s3cret@db-{ref}.internal:5432/postgres", AdminURL: "postgres://admin:s3cret@cluster:5432/postgres"}
	target, admin := svc.Targets("abc")
	if target != "admin@db-abc.internal:5432/postgres" || admin != "admin@cluster:5432/postgres" {
		t.Errorf("Targets = %q, %q", target, admin)
	}
	if url, err := svc.Target("abc"); err != nil || url != "postgres://admin:s3cret@db-abc.internal:5432/postgres" {
		t.Errorf("Target = %q, %v", url, err)
	}
	literal := &ticket.Service{TargetTemplate: "postgres://u@db/x"}
	if url, _ := literal.Target("abc"); url != "postgres://u@db/x" {
		t.Errorf("a URL without {ref} is changed: %q", url)
	}
	if target, admin := (&ticket.Service{}).Targets("abc"); target != "" || admin != "" {
		t.Errorf("nothing configured: %q, %q", target, admin)
	}
}

// TestServiceTicket works a whole ticket through the service, as both
// faces do: a project lost orders; the merge's plan counts them, the
// overwrite puts them back, the audit lists it, and the undo takes the
// project back to just before the restore, writes since included.
func TestServiceTicket(t *testing.T) {
	ctx := t.Context()
	st, _ := sampleStore(t)
	pg := testenv.StartPostgres(t)
	db, _ := pg.CreateProject(t)
	svc := &ticket.Service{Store: st, TargetTemplate: pg.URL(db), PgDump: pg.Bin("pg_dump"), Operator: "tester"}
	snap := openSample(t, svc, ticket.OpenOptions{})

	script := filepath.Join(t.TempDir(), "orders.sql")
	if _, _, err := snap.Export(ctx, script, snap.Select(orders), extract.SchemaAndData); err != nil {
		t.Fatal(err)
	}
	pg.LoadScriptAs(t, db, db, script)
	pg.Exec(t, db, "DELETE FROM public.orders WHERE id > 40; UPDATE public.orders SET note = 'changed' WHERE id = 1")

	plan, err := svc.Plan(ctx, ticket.Request{Snapshot: snap, Mode: apply.Merge, Tables: orders, Ticket: "T-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Tables) != 1 || plan.Tables[0].Missing != 15 || plan.Tables[0].Different != 1 {
		t.Fatalf("merge plan: %+v, want 15 missing and 1 different", plan.Tables)
	}
	if n := count(t, pg, db); n != 40 {
		t.Fatalf("the dry run changed the project: %d orders", n)
	}

	res, err := svc.Restore(ctx, ticket.Request{Snapshot: snap, Mode: apply.Overwrite, Tables: orders, Ticket: "T-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != apply.Committed || res.SafetyKey == "" || !strings.HasPrefix(res.SafetyKey, "demo/pre-restore/") {
		t.Fatalf("outcome %s, safety snapshot %q", res.Outcome, res.SafetyKey)
	}
	if n := count(t, pg, db); n != 55 {
		t.Fatalf("after the overwrite the project holds %d orders, want the snapshot's 55", n)
	}
	recs, err := svc.Audit(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var rec *apply.Record
	for i := range recs {
		if recs[i].ID == res.AuditID {
			rec = &recs[i]
		}
	}
	if rec == nil || rec.Operator != "tester" || rec.Ticket != "T-1" || rec.Project != "demo" || rec.Outcome != apply.OutcomeOK {
		t.Fatalf("audit record of the restore: %+v", rec)
	}

	// An undo of the dry run is refused: it changed nothing.
	var dry string
	for _, r := range recs {
		if r.Outcome == apply.OutcomeDryRun {
			dry = r.ID
		}
	}
	if _, err := svc.Undo(ctx, ticket.UndoRequest{ID: dry, Project: "demo", Ticket: "T-1"}, ticket.OpenOptions{}, nil); err == nil {
		t.Error("the undo of a dry run ran")
	}

	pg.Exec(t, db, "INSERT INTO public.orders (id, customer_id, status, total, note, created_at) VALUES (1000, 2, 'paid', 1, 'after', now())")
	var notes []string
	undo, err := svc.Undo(ctx, ticket.UndoRequest{ID: res.AuditID, Project: "demo", Ticket: "T-1"},
		ticket.OpenOptions{Notes: func(s string) { notes = append(notes, s) }}, nil)
	if err != nil {
		t.Fatalf("undo: %v (notes %q)", err, notes)
	}
	if undo.Outcome != apply.Committed || undo.Plan.Tables[0].WrittenSince != 1 {
		t.Errorf("undo: outcome %s, plan %+v; want committed, counting the 1 row written since", undo.Outcome, undo.Plan.Tables)
	}
	if n := count(t, pg, db); n != 40 {
		t.Errorf("after the undo the project holds %d orders, want the 40 it had before the restore", n)
	}
}

func count(t *testing.T, pg *testenv.Postgres, db string) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), pg.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM public.orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExportLeavesNoFile: a snapshot that ends early (truncated in the
// store after it was opened), or an export cancelled, leaves no file, not
// even an empty one, whether the snapshot is scanned or read by ranges.
func TestExportLeavesNoFile(t *testing.T) {
	for _, noIndex := range []bool{true, false} {
		t.Run(map[bool]string{true: "scan", false: "ranged"}[noIndex], func(t *testing.T) {
			st, dir := sampleStore(t)
			svc := &ticket.Service{Store: st}
			snap := openSample(t, svc, ticket.OpenOptions{NoIndex: noIndex})
			out := t.TempDir()

			cancelled, cancel := context.WithCancel(t.Context())
			cancel()
			if _, _, err := snap.Export(cancelled, filepath.Join(out, "a.sql"), snap.Select(orders), extract.SchemaAndData); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled export: %v", err)
			}

			file := filepath.Join(dir, sampleKey)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, data[:len(data)/3], 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err = snap.Export(t.Context(), filepath.Join(out, "b.sql.gz"), snap.Select(allTables(snap.TOC())), extract.SchemaAndData)
			if err == nil {
				t.Fatal("the export of a truncated snapshot succeeded")
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("failed exports left %v", entries)
			}
		})
	}
}

func allTables(toc *extract.TOC) []extract.Name {
	var names []extract.Name
	for _, tb := range toc.Tables {
		names = append(names, tb.Name)
	}
	return names
}
