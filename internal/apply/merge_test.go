package apply

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// tgtMergeDrift loses three products, changes two, adds one (moving the
// sequence past the snapshot's) and moves customers' sequence back.
const tgtMergeDrift = `
DELETE FROM public.products WHERE id IN (1, 2, 3);
UPDATE public.products SET price = 999 WHERE id IN (10, 11);
INSERT INTO public.products (name) VALUES ('added on the target');
DELETE FROM public.order_items WHERE order_id IN (SELECT id FROM public.orders WHERE customer_id > 8);
DELETE FROM public.orders WHERE customer_id > 8;
DELETE FROM public.customers WHERE id > 8;
SELECT setval('public.customers_id_seq', 8);
`

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name          string
		updateChanged bool
		dryRun        bool
	}{
		{"missing rows", false, false},
		{"update changed", true, false},
		{"dry run", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtScenario(t, tgtShop, tgtMergeDrift)
			req := s.request(Merge, "public.products", "public.customers")
			req.UpdateChanged, req.DryRun = tc.updateChanged, tc.dryRun
			seqBefore := s.pg.Sequences(t, s.target)
			res, err := s.run(t.Context(), req, nil)
			if err != nil {
				t.Fatalf("merge: %v", err)
			}

			plans := map[string]TablePlan{}
			for _, tp := range res.Plan.Tables {
				plans[tp.Name] = tp
			}
			p := plans["public.products"]
			wantUpdated := int64(0)
			if tc.updateChanged {
				wantUpdated = 2
			}
			if p.Missing != 3 || p.Identical != 45 || p.Different != 2 || p.Inserted != 3 || p.Updated != wantUpdated ||
				p.RowsNow != 48 || p.RowsAfter != 51 || p.SnapshotRows != 50 {
				t.Errorf("plan of products = %+v", p)
			}
			if c := plans["public.customers"]; c.Missing != 2 || c.Identical != 8 || c.Different != 0 || c.RowsAfter != 10 {
				t.Errorf("plan of customers = %+v", c)
			}

			if !slices.Contains(res.Plan.Statements, "INSERT INTO public.products the rows whose keys it lacks") {
				t.Errorf("statements = %q", res.Plan.Statements)
			}
			if tc.dryRun {
				s.assertUnchanged(t)
				if res.SafetyKey != "" || len(res.Checks) != 0 {
					t.Errorf("a dry run wrote a safety snapshot %q or verified %v", res.SafetyKey, res.Checks)
				}
				return
			}
			if !res.Verified() || len(res.Checks) != 2 {
				t.Errorf("checks = %+v", res.Checks)
			}
			if got, want := s.pg.TableChecksum(t, s.target, "public.customers"), s.srcSums["public.customers"]; got != want {
				t.Errorf("customers = %s, want the snapshot's %s", got, want)
			}
			price := s.query(t, s.target, "SELECT string_agg(price::text, ',' ORDER BY id) FROM public.products WHERE id IN (1, 10, 11)")
			wantPrice := "1.50,999.00,999.00"
			if tc.updateChanged {
				wantPrice = "1.50,15.00,16.50"
			}
			if price != wantPrice {
				t.Errorf("prices of products 1, 10, 11 = %s, want %s", price, wantPrice)
			}
			if got := s.query(t, s.target, "SELECT count(*)::text FROM public.products WHERE name = 'added on the target'"); got != "1" {
				t.Errorf("the target's own row is gone")
			}
			if tc.updateChanged {
				s.pg.Exec(t, s.target, "DELETE FROM public.products WHERE name = 'added on the target'")
				if got, want := s.pg.TableChecksum(t, s.target, "public.products"), s.srcSums["public.products"]; got != want {
					t.Errorf("products = %s, want the snapshot's %s", got, want)
				}
			}
			// Sequences only move forward: products' stays past the
			// snapshot's, customers' comes back to it.
			seqs, src := s.pg.Sequences(t, s.target), s.pg.Sequences(t, s.src)
			if got := seqs["public.products_id_seq"]; got != seqBefore["public.products_id_seq"] {
				t.Errorf("products_id_seq = %s, want the target's %s", got, seqBefore["public.products_id_seq"])
			}
			if got := seqs["public.customers_id_seq"]; got != src["public.customers_id_seq"] {
				t.Errorf("customers_id_seq = %s, want the snapshot's %s", got, src["public.customers_id_seq"])
			}
			if got, want := s.pg.TableChecksum(t, s.target, "public.audit_log"), s.targetSums["public.audit_log"]; got != want {
				t.Errorf("audit_log changed: a trigger fired")
			}
		})
	}
}

func TestMergeRefusesTableWithoutKey(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DELETE FROM public.events")
	_, err := s.run(t.Context(), s.request(Merge, "public.events", "public.products"), nil)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a RefusedError", err)
	}
	if len(refused.Reasons) != 1 || !strings.Contains(refused.Reasons[0], "public.events has no primary key") {
		t.Errorf("reasons = %q", refused.Reasons)
	}
	s.assertUnchanged(t)
}

func TestMergeCreatesMissingTable(t *testing.T) {
	s := newTgtScenario(t, tgtShop, "DROP TABLE public.order_items")
	res, err := s.run(t.Context(), s.request(Merge, "public.order_items"), nil)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	if got, want := s.pg.TableChecksum(t, s.target, "public.order_items"), s.srcSums["public.order_items"]; got != want {
		t.Errorf("order_items = %s, want the snapshot's %s", got, want)
	}
	if len(res.Created) != 1 || res.Created[0].String() != "public.order_items" || !res.Verified() {
		t.Errorf("created = %v, checks = %+v", res.Created, res.Checks)
	}
}

// TestMergeUniqueConflict: a missing row whose unique value the target
// holds under another key stops the merge, which changes nothing.
func TestMergeUniqueConflict(t *testing.T) {
	s := newTgtScenario(t, tgtShop, `
		CREATE UNIQUE INDEX products_name_key ON public.products (name);
		DELETE FROM public.products WHERE id = 1;
		UPDATE public.products SET name = 'product 1' WHERE id = 2;`)
	_, err := s.run(t.Context(), s.request(Merge, "public.products"), nil)
	if err == nil || !strings.Contains(err.Error(), "products_name_key") || !strings.Contains(err.Error(), "public.products") {
		t.Fatalf("err = %v, want it to name public.products and products_name_key", err)
	}
	t.Logf("failed: %v", err)
	s.assertUnchanged(t)
}

// TestMergePartitionedWithoutPartitions: a partitioned table with no
// partitions holds no rows; a restore of it is verified as holding none,
// not left unverified.
func TestMergePartitionedWithoutPartitions(t *testing.T) {
	s := newTgtScenario(t, "CREATE TABLE public.past (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)", "")
	for _, mode := range []Mode{Merge, Overwrite} {
		res, err := s.run(t.Context(), s.request(mode, "public.past"), nil)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !res.Verified() || len(res.Checks) != 1 {
			t.Errorf("%s: verified %v, checks %+v", mode, res.Verified(), res.Checks)
		}
	}
}
