package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
)

// summaryBackend answers Targets, all Summary asks a backend.
type summaryBackend struct {
	Backend
	target string
}

func (b summaryBackend) Targets(string) (string, string) { return b.target, "" }

// summaryOrigin is a console started with every flag an undo repeats.
var summaryOrigin = ticket.Origin{Store: "s3://backups/daily", Target: "postgres://postgres@db-{ref}.internal:5432/postgres?sslmode=disable",
	PgDump: "/usr/lib/postgresql/17/bin/pg_dump"}

// summaryUndo is the undo line of summaryOrigin's committed restore.
const summaryUndo = "restorectl undo 20261122T120000Z-7f3a9c --project demo --store s3://backups/daily " +
	"--target 'postgres://postgres@db-demo.internal:5432/postgres?sslmode=disable' --pg-dump /usr/lib/postgresql/17/bin/pg_dump --ticket 'SUP 42' --yes"

// summarySession is a console whose session did what done says.
func summarySession(origin ticket.Origin, done ...doneWork) *Session {
	s := &Session{Backend: summaryBackend{target: "postgres@db-demo.internal:5432/postgres"}, Origin: origin}
	s.done = done
	return s
}

func summaryRequest(mode apply.Mode) RestoreRequest {
	return RestoreRequest{Mode: mode, Project: "demo", Ticket: "SUP 42",
		Snapshot: catalog.Snapshot{Object: catalog.Object{Key: "demo/20261121T030000Z.sql.gz"}},
		Tables:   []extract.Name{{Schema: "public", Name: "orders"}, {Schema: "public", Name: "order_items"}}}
}

func summaryCommitted() *apply.Result {
	return &apply.Result{Outcome: apply.Committed, XID: 7310, AuditID: "20261122T120000Z-7f3a9c",
		SafetyKey: "demo/pre-restore/20261122T120000Z-7f3a9c.sql.gz",
		Checks: []apply.Check{
			{Table: extract.Name{Schema: "public", Name: "orders"}, Want: 55, Got: 55, OK: true},
			{Table: extract.Name{Schema: "public", Name: "order_items"}, Want: 140, Got: 140, OK: true},
		}}
}

// TestSummary: what the console prints as it ends says what happened to
// the target, per outcome, and offers an undo line that runs as pasted
// only where there is something to undo.
func TestSummary(t *testing.T) {
	overwrite, newProject := summaryRequest(apply.Overwrite), summaryRequest(apply.NewProject)
	newProject.Database = "demo_sup42"
	unknown := summaryCommitted()
	unknown.Outcome, unknown.Checks = apply.Unknown, nil
	for _, tc := range []struct {
		name      string
		s         *Session
		want, not []string
	}{
		{"nothing restored", summarySession(summaryOrigin), nil, nil},
		{"committed", summarySession(summaryOrigin, doneWork{req: overwrite, res: summaryCommitted()}),
			[]string{"restorectl: restore committed: overwrite of 2 tables (public.orders, public.order_items) from snapshot demo/20261121T030000Z.sql.gz\n",
				"  target           postgres@db-demo.internal:5432/postgres\n",
				"  ticket           SUP 42\n",
				"  verified         yes: 2 tables, each with the snapshot's row count\n",
				"  audit record     20261122T120000Z-7f3a9c\n",
				"  safety snapshot  demo/pre-restore/20261122T120000Z-7f3a9c.sql.gz\n",
				"  Undo it with:\n    " + summaryUndo + "\n"},
			[]string{"nothing was changed", "txid_status", "psql"}},
		{"committed, recording failed", summarySession(summaryOrigin, doneWork{req: overwrite, res: summaryCommitted(),
			err: errors.New("recording it in audit record demo/audit/x.json failed: put: connection reset by peer")}),
			[]string{"restore committed", "  warning          the restore is committed (the target has changed), but what came after it failed:\n" +
				"                   recording it in audit record demo/audit/x.json failed: put: connection reset by peer\n", summaryUndo},
			[]string{"nothing was changed"}},
		{"unknown", summarySession(summaryOrigin, doneWork{req: overwrite, res: unknown, err: errors.New("commit: unexpected EOF")}),
			[]string{"restore outcome UNKNOWN", "may or may not have changed", "SELECT pg_catalog.txid_status(7310);",
				"  error            commit: unexpected EOF\n", "safety snapshot  demo/pre-restore/",
				"  If it committed, undo it with:\n    " + summaryUndo + "\n"},
			[]string{"rolled back", "verified", "Undo it with"}},
		{"rolled back", summarySession(summaryOrigin, doneWork{req: overwrite, res: &apply.Result{Outcome: apply.RolledBack, AuditID: "a-rb"},
			err: errors.New("copy public.orders: boom")}),
			[]string{"restorectl: restore rolled back, nothing was changed: overwrite of", "postgres@db-demo.internal:5432/postgres (as it was)",
				"  error            copy public.orders: boom\n", "  audit record     a-rb\n"},
			[]string{"undo", "safety", "committed"}},
		{"cancelled by quitting", summarySession(summaryOrigin, doneWork{req: overwrite, res: &apply.Result{Outcome: apply.RolledBack, AuditID: "a-c"},
			err: fmt.Errorf("the restore was stopped (%w)", context.Canceled)}),
			[]string{"restore cancelled and rolled back, nothing was changed", "audit record     a-c"}, []string{"undo"}},
		{"refused", summarySession(summaryOrigin, doneWork{req: overwrite, res: &apply.Result{Outcome: apply.NotStarted, AuditID: "a-ref"},
			err: &apply.RefusedError{Reasons: []string{"public.order_items references public.orders", "public.orders: drift"}}}),
			[]string{"restore not started, nothing was changed", "restore refused, nothing was changed:\n                     - public.order_items references public.orders\n"},
			[]string{"undo"}},
		{"no result", summarySession(summaryOrigin, doneWork{req: overwrite, err: errors.New("write the audit record: denied")}),
			[]string{"restore not started, nothing was changed", "error            write the audit record: denied"}, []string{"undo", "audit record "}},
		{"new project", summarySession(summaryOrigin, doneWork{req: newProject, res: &apply.Result{Outcome: apply.Committed, AuditID: "a-np",
			Database: &apply.Database{Name: "demo_sup42", Connect: "postgresql://demo@db:5432/demo_sup42?sslmode=disable"},
			Checks:   []apply.Check{{Table: extract.Name{Schema: "public", Name: "orders"}, Want: 55, Got: 54}}}}),
			[]string{"restore committed: new project of", "  database         demo_sup42\n",
				"  verified         FAILED: public.orders has 54 rows, the snapshot 55\n",
				"  Connect with:\n    psql 'postgresql://demo@db:5432/demo_sup42?sslmode=disable'\n"},
			[]string{"undo", "target", "safety"}},
		{"target with a password", summarySession(ticket.Origin{Store: "file:///srv/snapshots", TargetRedacted: "postgres://admin:xxxxx@db-{ref}:5432/postgres"},
			doneWork{req: overwrite, res: summaryCommitted()}),
			[]string{"    restorectl undo 20261122T120000Z-7f3a9c --project demo --store file:///srv/snapshots --ticket 'SUP 42' --yes\n",
				"set RESTORECTL_TARGET_URL_TEMPLATE to postgres://admin:xxxxx@db-demo:5432/postgres with the password in place of xxxxx"},
			[]string{"--target '", "--target postgres"}},
		{"target from the environment", summarySession(ticket.Origin{Store: "file:///srv/snapshots", TargetEnv: true},
			doneWork{req: overwrite, res: summaryCommitted()}),
			[]string{"--store file:///srv/snapshots --ticket", "reads the target from RESTORECTL_TARGET_URL_TEMPLATE"}, []string{"--target"}},
		{"temporary store", summarySession(ticket.Origin{Store: "file:///tmp/restorectl-demo-1", TemporaryStore: true},
			doneWork{req: overwrite, res: summaryCommitted()}),
			[]string{"safety snapshot  demo/pre-restore/", "store was temporary and has been removed"}, []string{"undo it with", "--project"}},
		{"the demo's own PostgreSQL", summarySession(ticket.Origin{Store: "file:///srv/snapshots", TemporaryTarget: true},
			doneWork{req: overwrite, res: summaryCommitted()}, doneWork{req: newProject, res: &apply.Result{Outcome: apply.Committed, AuditID: "a-np",
				Database: &apply.Database{Name: "demo_sup42", Connect: "postgresql://postgres@/demo_sup42?host=%2Ftmp%2Frestorectl-pg-1%2Frun&port=5432"}}}),
			[]string{"safety snapshot  demo/pre-restore/", "removed as the demo ends, and the restored tables with it: there is nothing to undo",
				"removed as the demo ends, and the new database with it"}, []string{"ndo it with", "Connect with", "psql"}},
		{"export", summarySession(summaryOrigin, doneWork{req: RestoreRequest{Snapshot: catalog.Snapshot{Object: catalog.Object{Key: "demo/20261121T030000Z.sql.gz"}},
			Tables: []extract.Name{{Schema: "public", Name: "orders"}}}, export: "/home/sup/demo-orders.sql", size: 2048}),
			[]string{"restorectl: exported public.orders of snapshot demo/20261121T030000Z.sql.gz to /home/sup/demo-orders.sql (2.0 KiB)\n"},
			[]string{"restore committed", "undo"}},
		{"hostile names", summarySession(summaryOrigin, doneWork{req: RestoreRequest{Mode: apply.Overwrite, Project: "demo", Ticket: "T\x1b]0;x\a",
			Snapshot: catalog.Snapshot{Object: catalog.Object{Key: "demo/20261121T030000Z.sql.gz"}}, Tables: []extract.Name{{Schema: "public", Name: "o\x1b[2Jrders"}}},
			res: summaryCommitted()}),
			[]string{`o\x1b[2Jrders`}, []string{"\x1b", "\a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(tc.s)
			if tc.want == nil && got != "" {
				t.Fatalf("Summary = %q, want nothing", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("summary has %q:\n%s", w, got)
				}
			}
		})
	}
}

// The result screen shows the same complete undo line as the exit
// summary; on a narrow terminal it is wrapped, never cut short.
func TestResultUndoLineComplete(t *testing.T) {
	for _, width := range []int{200, 80} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			s := resultSuccess(t)
			s.Origin = summaryOrigin
			s.Ticket.ID = "SUP 42"
			r := NewResultScreen(s, nil)
			r.SetSize(width, 40)
			v := r.View()
			_, after, ok := strings.Cut(v, "To undo:\n")
			if !ok {
				t.Fatalf("no undo line:\n%s", v)
			}
			lines := strings.Split(after, "\n")
			var line string
			for _, l := range lines {
				if l == "" {
					break
				}
				line += strings.TrimPrefix(l, "  ")
				if ansi.StringWidth(l) > width {
					t.Errorf("line %q is wider than %d", l, width)
				}
			}
			if line != summaryUndo {
				t.Errorf("undo line on the screen:\n%s\nwant:\n%s", line, summaryUndo)
			}
			if strings.Contains(after, "…") {
				t.Errorf("the undo line is cut short:\n%s", v)
			}
		})
	}
}
