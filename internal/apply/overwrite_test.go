package apply

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/extract"
)

// tgtShop is the source database of the overwrite and merge tests: a
// trigger logs inserts and updates of products and orders into audit_log.
const tgtShop = `
CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, msg text NOT NULL);
CREATE FUNCTION public.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.audit_log (msg) VALUES (TG_TABLE_NAME || ' ' || TG_OP || ' ' || NEW.id);
  RETURN NEW;
END $$;
CREATE TYPE public.status AS ENUM ('new', 'paid', 'shipped');

CREATE TABLE public.products (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags jsonb);
CREATE INDEX products_name_idx ON public.products (name);
CREATE TRIGGER products_log AFTER INSERT OR UPDATE ON public.products FOR EACH ROW EXECUTE FUNCTION public.log_change();

CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES public.customers (id),
  status public.status NOT NULL DEFAULT 'new',
  total numeric(10,2)
);
CREATE TRIGGER orders_log AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.log_change();
CREATE TABLE public.order_items (
  id serial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES public.orders (id),
  product_id integer,
  qty integer NOT NULL
);
CREATE TABLE public.events (at timestamptz NOT NULL, what text);

INSERT INTO public.products (name, price, tags)
SELECT 'product ' || i, i * 1.5, jsonb_build_object('i', i) FROM generate_series(1, 50) AS i;
INSERT INTO public.customers (name) SELECT 'customer ' || i FROM generate_series(1, 10) AS i;
INSERT INTO public.orders (customer_id, status, total)
SELECT 1 + i % 10, (ARRAY['new', 'paid', 'shipped']::public.status[])[1 + i % 3], i FROM generate_series(1, 30) AS i;
INSERT INTO public.order_items (order_id, product_id, qty) SELECT 1 + i % 30, 1 + i % 50, i FROM generate_series(1, 60) AS i;
INSERT INTO public.events SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour', 'e' || i FROM generate_series(1, 5) AS i;
`

// tgtProductsDrift deletes and changes products on the target, adds a
// nullable column and moves its sequence on.
const tgtProductsDrift = `
ALTER TABLE public.products ADD COLUMN discount numeric;
DELETE FROM public.products WHERE id > 40;
UPDATE public.products SET price = 0 WHERE id <= 5;
INSERT INTO public.products (name) VALUES ('added on the target');
UPDATE public.customers SET name = 'changed on the target' WHERE id = 1;
`

func TestOverwriteDriftedTable(t *testing.T) {
	s := newTgtScenario(t, tgtShop, tgtProductsDrift)
	seqBefore := s.pg.Sequences(t, s.target)
	res, err := s.run(t.Context(), s.request(Overwrite, "public.products"), nil)
	if err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if !res.Verified() || len(res.Checks) != 1 || res.Checks[0].Got != 50 {
		t.Errorf("checks = %+v, want products 50 of 50", res.Checks)
	}
	if got := s.query(t, s.target, "SELECT count(*)::text FROM public.products WHERE discount IS NOT NULL"); got != "0" {
		t.Errorf("%s rows have a discount, want none (the column is not in the snapshot)", got)
	}
	s.pg.Exec(t, s.target, "ALTER TABLE public.products DROP COLUMN discount")
	if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
		t.Errorf("products = %s, want the snapshot's %s", got, want)
	}
	for tbl, sum := range s.targetSums {
		if tbl != "public.products" && s.pg.TableChecksum(t, s.target, tbl) != sum {
			t.Errorf("%s changed: it was not restored", tbl)
		}
	}
	// The target's sequence is ahead of the snapshot's (a row was added
	// since): it is kept, or the next INSERT would reuse a key.
	for seq, pos := range s.pg.Sequences(t, s.target) {
		if want := seqBefore[seq]; pos != want {
			t.Errorf("sequence %s = %s, want %s (untouched)", seq, pos, want)
		}
	}

	p := res.Plan
	if p == nil || len(p.Tables) != 1 {
		t.Fatalf("plan = %+v, want one table", p)
	}
	tp := p.Tables[0]
	if !tp.Exists || tp.RowsNow != 41 || tp.RowsAfter != 50 || tp.Deleted != 41 || tp.Inserted != 50 || tp.SnapshotRows != 50 {
		t.Errorf("plan of products = %+v", tp)
	}
	if len(tp.Drift) != 1 || tp.Drift[0].Column != "discount" || !tp.Drift[0].Compatible {
		t.Errorf("drift = %+v, want discount, compatible", tp.Drift)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "discount") }) {
		t.Errorf("warnings = %q, want one about discount", p.Warnings)
	}
	if want := []SequencePlan{{Name: "public.products_id_seq", Exists: true, Now: 52, Snapshot: 51, After: 52, Action: SeqKept}}; !slices.EqualFunc(p.Sequences, want, sameSequencePlan) {
		t.Errorf("sequences = %+v, want %+v", p.Sequences, want)
	}
	for _, want := range []string{"TRUNCATE ONLY public.products", "COPY public.products: 50 rows"} {
		if !slices.Contains(p.Statements, want) {
			t.Errorf("statements = %q, want %q", p.Statements, want)
		}
	}
	if p.Target == "" || strings.Contains(p.Target, "postgres://") {
		t.Errorf("plan target = %q, want it redacted", p.Target)
	}
}

// TestTargetTriggersSilent: restored rows fire no user trigger.
func TestTargetTriggersSilent(t *testing.T) {
	for _, mode := range []Mode{Overwrite, Merge} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 20")
			before := s.pg.TableChecksum(t, s.target, "public.audit_log")
			if _, err := s.run(t.Context(), s.request(mode, "public.products"), nil); err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			if got := s.pg.TableChecksum(t, s.target, "public.audit_log"); got != before {
				t.Errorf("audit_log = %s, want %s: a trigger fired", got, before)
			}
			if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
				t.Errorf("products = %s, want the snapshot's %s", got, want)
			}
		})
	}
}

func TestOverwriteForeignKeys(t *testing.T) {
	const drift = `DELETE FROM public.order_items WHERE order_id > 20; DELETE FROM public.orders WHERE id > 20;`
	t.Run("refused", func(t *testing.T) {
		s := newTgtScenario(t, tgtShop, drift)
		_, err := s.run(t.Context(), s.request(Overwrite, "public.orders"), nil)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Fatalf("err = %v, want a RefusedError", err)
		}
		if len(refused.Reasons) != 1 || !strings.Contains(refused.Reasons[0], "public.order_items references public.orders") ||
			!strings.Contains(refused.Reasons[0], "--cascade") {
			t.Errorf("reasons = %q", refused.Reasons)
		}
		s.assertUnchanged(t)
	})
	t.Run("cascade", func(t *testing.T) {
		s := newTgtScenario(t, tgtShop, drift)
		req := s.request(Overwrite, "public.orders")
		req.Cascade = true
		res, err := s.run(t.Context(), req, nil)
		if err != nil {
			t.Fatalf("overwrite --cascade: %v", err)
		}
		for _, tbl := range []string{"public.orders", "public.order_items"} {
			if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
				t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
			}
		}
		var cascaded []string
		for _, tp := range res.Plan.Tables {
			if tp.Cascaded {
				cascaded = append(cascaded, tp.Name)
			}
		}
		if !slices.Equal(cascaded, []string{"public.order_items"}) {
			t.Errorf("cascaded = %q, want public.order_items", cascaded)
		}
		if len(res.Checks) != 2 || !res.Verified() {
			t.Errorf("checks = %+v", res.Checks)
		}
	})
}

// tgtPartitionedEvents: users referenced by a partitioned events table,
// the key declared on the partitioned table (cloned onto each partition).
const tgtPartitionedEvents = `
CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO public.users SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 30) AS i;
CREATE TABLE public.events (
  id bigint NOT NULL, at date NOT NULL,
  user_id bigint NOT NULL REFERENCES public.users (id),
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO public.events SELECT i, date '2024-01-01' + i, 1 + i % 30 FROM generate_series(0, 600) AS i;`

// TestOverwritePartitionedForeignKey: a table referenced by a foreign key
// declared on a partitioned table is emptied with the whole partitioned
// table (PostgreSQL refuses to TRUNCATE it with the partitions alone);
// when the target holds a partition the snapshot lacks, the overwrite is
// refused before anything changes, naming it.
func TestOverwritePartitionedForeignKey(t *testing.T) {
	const drift = `DELETE FROM public.events WHERE user_id > 20; DELETE FROM public.users WHERE id > 20;`
	for _, tc := range []struct {
		name, drift string
		all         bool
		refused     string
	}{
		{name: "cascade", drift: drift},
		{name: "all", drift: drift, all: true},
		{name: "a partition the snapshot lacks", all: true,
			drift: drift + ` CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
				INSERT INTO public.events VALUES (1, '2026-02-01', 1);`,
			refused: "public.events references public.users (FOREIGN KEY events_user_id_fkey), and the target holds partitions of public.events the snapshot lacks (public.events_2026)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtScenario(t, tgtPartitionedEvents, tc.drift)
			req := s.request(Overwrite, "public.users")
			req.Cascade, req.All = true, tc.all
			dry := req
			dry.DryRun = true
			plan, err := s.run(t.Context(), dry, nil)
			if tc.refused == "" && (err != nil || !slices.Contains(plan.Plan.Statements, "TRUNCATE public.events, ONLY public.users")) {
				t.Fatalf("dry run: %v; statements %q", err, plan.Plan.Statements)
			}
			_, err = s.run(t.Context(), req, nil)
			if tc.refused != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) || len(refused.Reasons) != 1 || !strings.Contains(refused.Reasons[0], tc.refused) {
					t.Fatalf("err = %v, want a refusal saying %q", err, tc.refused)
				}
				s.assertUnchanged(t)
				return
			}
			if err != nil {
				t.Fatalf("overwrite: %v", err)
			}
			for _, tbl := range s.pg.Tables(t, s.src) {
				if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
					t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
				}
			}
		})
	}
}

// TestOverwriteForeignKeyViolation: rows loaded with triggers off that
// reference rows the target lacks are caught before COMMIT.
func TestOverwriteForeignKeyViolation(t *testing.T) {
	s := newTgtScenario(t, tgtShop, `DELETE FROM public.order_items WHERE order_id > 20; DELETE FROM public.orders WHERE id > 20;`)
	_, err := s.run(t.Context(), s.request(Overwrite, "public.order_items"), nil)
	t.Logf("refused: %v", err)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a RefusedError", err)
	}
	// Orders 21 to 30 have two items each.
	if len(refused.Reasons) != 1 || !strings.Contains(refused.Reasons[0], "20 rows of public.order_items reference rows that public.orders does not hold") ||
		!strings.Contains(refused.Reasons[0], "order_items_order_id_fkey") {
		t.Errorf("reasons = %q", refused.Reasons)
	}
	s.assertUnchanged(t)
}

// TestOverwriteLockBusy: a table another session holds stops the restore
// with its name, and changes nothing.
func TestOverwriteLockBusy(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
	tx := s.hold(t, "LOCK TABLE public.products IN ROW EXCLUSIVE MODE")
	req := s.request(Overwrite, "public.products")
	req.LockTimeout = 500 * time.Millisecond
	_, err := s.run(t.Context(), req, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "table public.products is busy") {
		t.Fatalf("err = %v, want a BusyError saying public.products is busy", err)
	}
	tx.Rollback(t.Context())
	s.assertUnchanged(t)
}

func TestOverwriteDriftRefused(t *testing.T) {
	for _, tc := range []struct {
		name, drift, table, column string
	}{
		{"retyped", "ALTER TABLE public.products ALTER COLUMN price TYPE text", "public.products", "price"},
		{"dropped", "ALTER TABLE public.products DROP COLUMN tags", "public.products", "tags"},
		{"not null without default", "ALTER TABLE public.products ADD COLUMN sku text NOT NULL DEFAULT 'x'; ALTER TABLE public.products ALTER COLUMN sku DROP DEFAULT", "public.products", "sku"},
		{"type missing", "ALTER TABLE public.orders ALTER COLUMN status DROP DEFAULT, ALTER COLUMN status TYPE text; DROP TYPE public.status", "public.orders", "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtScenario(t, tgtShop, tc.drift+"; DELETE FROM public.products WHERE id > 45")
			req := s.request(Overwrite, tc.table)
			req.Cascade = true
			res, err := s.run(t.Context(), req, nil)
			t.Logf("refused: %v", err)
			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("err = %v, want a RefusedError", err)
			}
			if !strings.Contains(err.Error(), tc.table+" column "+tc.column+":") {
				t.Errorf("err = %v, want it to name column %s", err, tc.column)
			}
			if res == nil || res.Plan == nil || !slices.ContainsFunc(res.Plan.Tables, func(tp TablePlan) bool {
				return slices.ContainsFunc(tp.Drift, func(d Drift) bool { return d.Column == tc.column && !d.Compatible })
			}) {
				t.Errorf("the plan does not show the drift of %s", tc.column)
			}
			s.assertUnchanged(t)
		})
	}
}

func TestOverwriteCreatesMissingTable(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DROP TABLE public.products")
	res, err := s.run(t.Context(), s.request(Overwrite, "public.products"), nil)
	if err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if !slices.Contains(res.Created, extract.Name{Schema: "public", Name: "products"}) {
		t.Errorf("created = %v, want public.products", res.Created)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
		t.Errorf("products = %s, want the snapshot's %s", got, want)
	}
	if got := s.query(t, s.target, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'products'"); got != "products_name_idx,products_pkey" {
		t.Errorf("indexes = %s, want products_name_idx,products_pkey", got)
	}
	if got := s.query(t, s.target, "SELECT count(*)::text FROM pg_trigger WHERE tgname = 'products_log'"); got != "1" {
		t.Errorf("%s products_log triggers, want 1", got)
	}
	if got, want := s.pg.Sequences(t, s.target)["public.products_id_seq"], s.pg.Sequences(t, s.src)["public.products_id_seq"]; got != want {
		t.Errorf("products_id_seq = %q, want %q", got, want)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "public.audit_log"), s.targetSums["public.audit_log"]; got != want {
		t.Errorf("audit_log changed")
	}
	if len(res.Plan.Tables) != 1 || res.Plan.Tables[0].Exists || res.Plan.Tables[0].Inserted != 50 {
		t.Errorf("plan = %+v", res.Plan.Tables)
	}
}

func TestTargetDryRun(t *testing.T) {
	s := newTgtScenario(t, tgtShop, tgtProductsDrift)
	req := s.request(Overwrite, "public.products")
	req.DryRun = true
	res, err := s.run(t.Context(), req, nil)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	s.assertUnchanged(t)
	if res.SafetyKey != "" || len(res.Checks) != 0 {
		t.Errorf("a dry run wrote a safety snapshot %q or verified %v", res.SafetyKey, res.Checks)
	}
	tp := res.Plan.Tables[0]
	if tp.RowsNow != 41 || tp.RowsAfter != 50 || tp.Deleted != 41 || tp.Inserted != 50 {
		t.Errorf("plan = %+v, want 41 now, 50 after, 41 deleted, 50 inserted", tp)
	}
}

func TestOverwriteCancelled(t *testing.T) {
	s := newTgtScenario(t, tgtShop, tgtProductsDrift)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	copying := false
	progress := ProgressFunc(func(e Event) {
		if e.Phase == PhaseCopy {
			copying = true
			cancel()
		}
	})
	req := s.request(Overwrite, "public.products", "public.events")
	_, err := s.run(ctx, req, progress)
	if err == nil {
		t.Fatal("a cancelled overwrite succeeded")
	}
	if !copying {
		t.Fatalf("the overwrite stopped before copying: %v", err)
	}
	t.Logf("cancelled: %v", err)
	s.assertUnchanged(t)
}

func TestOverwriteCopyErrorNamesTable(t *testing.T) {
	// A unique index the target gained since, which the snapshot's rows
	// break.
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 1; CREATE UNIQUE INDEX one_product ON public.products ((true))")
	_, err := s.run(t.Context(), s.request(Overwrite, "public.products"), nil)
	t.Logf("failed: %v", err)
	var se *StatementError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StatementError", err)
	}
	if se.Entry.Object != (extract.Name{Schema: "public", Name: "products"}) || !strings.Contains(err.Error(), "public.products") {
		t.Errorf("err = %v, want it to name public.products", err)
	}
	s.assertUnchanged(t)
}

// TestOverwritePartitions restores partitioned tables (with a foreign key
// to one of them) and an inheritance parent that has rows of its own.
func TestOverwritePartitions(t *testing.T) {
	for _, tc := range []struct {
		name, drift string
		tables      []string
		cascade     bool
		refused     string   // in the refusal, if refused
		restored    []string // equal to the snapshot's after
		parents     []string // partitioned parents of restored partitions: changed too
	}{
		{name: "referenced partitioned table refused", drift: "DELETE FROM public.measurements WHERE id % 3 = 0",
			tables: []string{"public.measurements"}, refused: "public.measurement_notes references public.measurements"},
		{name: "referenced partitioned table cascaded", drift: "DELETE FROM public.measurements WHERE id % 3 = 0",
			tables: []string{"public.measurements"}, cascade: true,
			restored: []string{"public.measurements", "public.measurement_notes", "public.measurements_2023", `archive.measurements_old`}},
		{name: "referenced partition refused", drift: "DELETE FROM public.measurements_2024 WHERE id % 3 = 0",
			tables: []string{"public.measurements_2024"}, refused: "public.measurement_notes references public.measurements_2024"},
		{name: "partition alone", drift: "DELETE FROM public.customers_eu WHERE id % 3 = 0; DELETE FROM public.customers_us",
			tables: []string{"public.customers_eu"}, restored: []string{"public.customers_eu"}, parents: []string{"public.customers"}},
		{name: "sub-partitioned with a generated column", drift: "DELETE FROM ai.usage WHERE tenant = 1; UPDATE ai.usage SET tokens = 0 WHERE tenant = 2",
			tables: []string{"ai.usage"}, restored: []string{"ai.usage", "ai.usage_2025", "ai.usage_2026", "ai.usage_2025_chat", "ai.usage_2026_h1"}},
		{name: "inheritance parent", drift: "DELETE FROM ONLY public.vehicles; DELETE FROM public.cars WHERE name = 'van'",
			tables: []string{"public.vehicles"}, restored: []string{"public.vehicles"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtCorpusScenario(t, "partitions", tc.drift)
			req := s.request(Overwrite, tc.tables...)
			req.Cascade = tc.cascade
			res, err := s.run(t.Context(), req, nil)
			if tc.refused != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("err = %v, want a refusal naming %q", err, tc.refused)
				}
				s.assertUnchanged(t)
				return
			}
			if err != nil {
				t.Fatalf("overwrite: %v", err)
			}
			if !res.Verified() {
				t.Errorf("checks = %+v", res.Checks)
			}
			restored := map[string]bool{}
			for _, tbl := range tc.restored {
				restored[tbl] = true
				if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
					t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
				}
			}
			var touched []string
			for _, tp := range res.Plan.Tables {
				touched = append(touched, tp.Name)
			}
			for tbl, sum := range s.targetSums {
				if !restored[tbl] && !slices.Contains(touched, tbl) && !slices.Contains(tc.parents, tbl) && s.pg.TableChecksum(t, s.target, tbl) != sum {
					t.Errorf("%s changed: it was not restored", tbl)
				}
			}
		})
	}
}

// TestTargetPlatform restores tables of a project shaped like the
// platform's (extensions, domains, composite types, RLS, identity,
// generated columns, a materialized view) into a drifted copy of it.
func TestTargetPlatform(t *testing.T) {
	for _, tc := range []struct {
		name, drift string
		mode        Mode
		all         bool
		tables      []string
		created     int
	}{
		{name: "overwrite all", mode: Overwrite, all: true, drift: `
			DELETE FROM public.order_lines WHERE line_no > 1;
			DELETE FROM public.events WHERE id % 7 = 0;
			UPDATE ai.embeddings SET content = 'changed' WHERE chunk = 0;
			SELECT nextval('public.invoice_number_seq') FROM generate_series(1, 5);`},
		{name: "overwrite dropped tables", mode: Overwrite, tables: []string{"public.shipments", "ai.embeddings"}, created: 2,
			drift: "DROP TABLE public.shipments; DROP TABLE ai.embeddings"},
		{name: "merge", mode: Merge, tables: []string{"ai.documents", "ai.embeddings"},
			drift: "DELETE FROM ai.documents WHERE id % 10 = 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtCorpusScenario(t, "platform", tc.drift)
			req := s.request(tc.mode, tc.tables...)
			req.All = tc.all
			res, err := s.run(t.Context(), req, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.mode, err)
			}
			if !res.Verified() || len(res.Created) != tc.created {
				t.Errorf("checks = %+v, created = %v", res.Checks, res.Created)
			}
			restored := tc.tables
			if tc.all {
				restored = s.pg.Tables(t, s.src)
			}
			for _, tbl := range restored {
				if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
					t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
				}
			}
			// Lifted for the restore's transaction only (the owner loads
			// and counts every row), and back when it commits.
			if f := s.query(t, s.target, "SELECT relforcerowsecurity::text FROM pg_class WHERE oid = 'public.orders'::regclass"); f != "true" {
				t.Errorf("public.orders lost FORCE ROW LEVEL SECURITY")
			}
			if tc.all {
				// The snapshot's values, except where the target is ahead:
				// sequences never go backwards unasked.
				src, got := s.pg.Sequences(t, s.src), s.pg.Sequences(t, s.target)
				src["public.invoice_number_seq"] = "20005 true"
				for seq, pos := range src {
					if got[seq] != pos {
						t.Errorf("sequence %s = %s, want %s", seq, got[seq], pos)
					}
				}
			}
		})
	}
}

// TestOverwriteRangedSource: a restore reads an indexed snapshot with
// ranged reads as well as by scanning.
func TestOverwriteRangedSource(t *testing.T) {
	s := newTgtCorpusScenario(t, "platform", "DELETE FROM ai.embeddings WHERE chunk = 2")
	gz := s.pg.Corpus(t, "platform")[0].GzipPath
	data, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := extract.IndexSnapshotStream(t.Context(), bytes.NewReader(data), int64(len(data)), "")
	if err != nil {
		t.Fatal(err)
	}
	s.source = RangedSource(gz, &extract.Ranged{Index: ix, Open: func(_ context.Context, off, n int64) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data[off : off+n])), nil
	}})
	res, err := s.run(t.Context(), s.request(Overwrite, "ai.embeddings"), nil)
	if err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "ai.embeddings"), s.srcSums["ai.embeddings"]; got != want || !res.Verified() {
		t.Errorf("ai.embeddings = %s, want the snapshot's %s; checks %+v", got, want, res.Checks)
	}
}

// TestOverwriteNeedsSuperuser: without the right to create the restore's
// load role, the restore says what connection it needs and changes
// nothing.
func TestOverwriteNeedsSuperuser(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.products WHERE id > 45")
	role := "restorer_" + strings.ToLower(rand.Text()[:10])
	s.pg.Exec(t, "postgres", "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() { // t.Context() is done by now
		ctx := context.Background()
		for _, c := range [][2]string{{s.target, "REASSIGN OWNED BY " + role + " TO postgres; DROP OWNED BY " + role}, {"postgres", "DROP ROLE " + role}} {
			conn, err := pgx.Connect(ctx, s.pg.URL(c[0]))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := conn.Exec(ctx, c[1]); err != nil {
				t.Errorf("%s: %v", c[1], err)
			}
			conn.Close(ctx)
		}
	})
	s.pg.Exec(t, s.target, "ALTER TABLE public.products OWNER TO "+role)
	req := s.request(Overwrite, "public.products")
	req.Target = strings.Replace(s.targetURL, "://postgres@", "://"+role+"@", 1)
	_, err := s.run(t.Context(), req, nil)
	if err == nil || !strings.Contains(err.Error(), "needs to be a superuser") {
		t.Fatalf("err = %v, want it to ask for a superuser connection", err)
	}
	s.assertUnchanged(t)
}

// TestSafetySnapshotFailureChangesNothing: when the safety snapshot cannot
// be written, neither overwrite nor merge touches the target, and the
// error says so.
func TestSafetySnapshotFailureChangesNothing(t *testing.T) {
	for _, mode := range []Mode{Overwrite, Merge} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTgtScenario(t, tgtShop, tgtProductsDrift)
			cfg := Config{Store: s.store, PgDump: filepath.Join(t.TempDir(), "no-pg_dump")}
			res, err := Run(t.Context(), cfg, s.request(mode, "public.products"))
			if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("restore without a working pg_dump: %v", err)
			}
			if res.SafetyKey != "" || len(res.Checks) != 0 {
				t.Errorf("result %+v after a failed safety snapshot", res)
			}
			s.assertUnchanged(t)
		})
	}
}

// BenchmarkOverwrite restores one table over a target again and again:
// what a restore costs end to end, for comparing its fixed costs (the
// load role, the safety snapshot) across versions.
func BenchmarkOverwrite(b *testing.B) {
	s := newTgtScenario(b, tgtShop, "")
	for b.Loop() {
		if _, err := s.run(b.Context(), s.request(Overwrite, "public.products"), nil); err != nil {
			b.Fatal(err)
		}
	}
}
