package ticket_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/ticket"
)

// hostileTable is a customer's table whose name retitles the window (OSC)
// and clears the screen (CSI, also as the C1 control U+009B).
const hostileTable = "public.\"evil\x1b]0;pwned\x07\u009b2J\""

// TestWritePlan: every part of a plan, as both faces show it.
func TestWritePlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan apply.Plan
		want string
	}{
		{"overwrite with drift and sequences", apply.Plan{
			Mode: apply.Overwrite, Snapshot: "demo/20261121T030000Z.sql.gz", Target: "postgres://demo@db/demo", Role: "demo",
			Tables: []apply.TablePlan{
				{Name: "public.orders", Exists: true, RowsNow: 40, SnapshotRows: 55, RowsAfter: 55, Deleted: 40, Inserted: 55,
					Drift: []apply.Drift{{Column: "extra", Target: "text", Compatible: true, Reason: "an extra nullable column on the target"}}},
				{Name: "public.order_items", RowsAfter: 3, SnapshotRows: 3, Inserted: 3, Cascaded: true},
			},
			Statements: []string{"TRUNCATE ONLY public.orders", "COPY public.orders: 55 rows", "CREATE TABLE public.order_items", "COPY public.order_items: 3 rows"},
			Sequences: []apply.SequencePlan{
				{Name: "public.orders_id_seq", Exists: true, Now: 41, Snapshot: 56, After: 56, Action: apply.SeqSet},
				{Name: "public.order_items_id_seq", Snapshot: 4, After: 4, Action: apply.SeqSet},
				{Name: "public.new_id_seq", Action: apply.SeqSet},
				{Name: "public.x_id_seq", Exists: true, Now: 160, Snapshot: 60, After: 160, Action: apply.SeqKept},
				{Name: "public.shared_seq", Exists: true, Now: 9, Snapshot: 20, After: 9, Action: apply.SeqNotOwned},
				{Name: "public.old_seq", Exists: true, Now: 9, After: 9, Action: apply.SeqIfAhead},
				{Name: "public.back_seq", Exists: true, Now: 160, Snapshot: 60, After: 60, Action: apply.SeqRewound},
			},
			Warnings: []string{"public.orders: foreign key orders_customer_id_fkey left out"},
		}, `Plan: overwrite of demo/20261121T030000Z.sql.gz into postgres://demo@db/demo
Loaded as role demo (the snapshot's code never runs as a superuser)

TABLE               ON TARGET          ROWS NOW  SNAPSHOT  AFTER  DELETE  INSERT  UPDATE
public.orders       exists             40        55        55     40      55      0
public.order_items  created (cascade)  0         3         3      0       3       0
  drift public.orders.extra: snapshot (none), target text (compatible: an extra nullable column on the target)

Statements (4):
  TRUNCATE ONLY public.orders
  COPY public.orders: 55 rows
  CREATE TABLE public.order_items
  COPY public.order_items: 3 rows

Sequences (next value now → after the restore):
  public.orders_id_seq       41 → 56    set: the snapshot's 56 is ahead
  public.order_items_id_seq  new → 4    created, set as the snapshot has it
  public.new_id_seq          new → ?    created, set as the snapshot has it (its value is read during the restore)
  public.x_id_seq            160 → 160  kept: the snapshot's 60 is not ahead; sequences move back only when asked (--rewind-sequences)
  public.shared_seq          9 → 9      not owned by a restored table: left as it is (the snapshot's: 20)
  public.old_seq             9 → 9      set if the snapshot's is ahead (its value is read during the restore)
  public.back_seq            160 → 60   rewound to the snapshot's 60, as asked (--rewind-sequences)

warning: public.orders: foreign key orders_customer_id_fkey left out
`},
		{"merge with counts", apply.Plan{
			Mode: apply.Merge, Snapshot: "demo/20261121T030000Z.sql.gz", Target: "postgres://demo@db/demo", Role: "demo",
			Tables: []apply.TablePlan{
				{Name: "public.orders", Exists: true, RowsNow: 40, SnapshotRows: 55, RowsAfter: 55, Inserted: 15, Updated: 2,
					Missing: 15, Identical: 38, Different: 2},
				{Name: "public.notes", Exists: true, RowsNow: 7, SnapshotRows: 9, RowsAfter: -1},
			},
		}, `Plan: merge of demo/20261121T030000Z.sql.gz into postgres://demo@db/demo
Loaded as role demo (the snapshot's code never runs as a superuser)

TABLE          ON TARGET  ROWS NOW  SNAPSHOT  AFTER  DELETE  INSERT  UPDATE
public.orders  exists     40        55        55     0       15      2
public.notes   exists     7         9         ?      0       0       0
  public.orders: 15 missing, 38 identical, 2 different by primary key
`},
		{"undo with written and gone since", apply.Plan{
			Mode: apply.Overwrite, Snapshot: "demo/pre-restore/20261121T150000Z-r1.sql.gz", Target: "postgres://demo@db/demo", Role: "demo",
			Tables: []apply.TablePlan{
				{Name: "public.orders", Exists: true, RowsNow: 57, SnapshotRows: 40, RowsAfter: 40, Deleted: 57, Inserted: 40,
					WrittenSince: 2, GoneSince: 1},
			},
		}, `Plan: overwrite of demo/pre-restore/20261121T150000Z-r1.sql.gz into postgres://demo@db/demo
Loaded as role demo (the snapshot's code never runs as a superuser)

TABLE          ON TARGET  ROWS NOW  SNAPSHOT  AFTER  DELETE  INSERT  UPDATE
public.orders  exists     57        40        40     57      40      0
  public.orders: since that restore, 2 rows written and 1 of its rows changed or deleted: undo discards them
`},
		{"large counts, exact", apply.Plan{
			Mode: apply.Overwrite, Snapshot: "demo/20261121T030000Z.sql.gz", Target: "postgres://demo@db/demo",
			Tables: []apply.TablePlan{{Name: "public.events", Exists: true, RowsNow: 1499999, SnapshotRows: 1500000, RowsAfter: 1500000,
				Deleted: 1499999, Inserted: 1500000}},
			Sequences: []apply.SequencePlan{{Name: "public.events_id_seq", Exists: true, Now: 1500000, Snapshot: 1500001, After: 1500001, Action: apply.SeqSet}},
		}, `Plan: overwrite of demo/20261121T030000Z.sql.gz into postgres://demo@db/demo

TABLE          ON TARGET  ROWS NOW   SNAPSHOT   AFTER      DELETE     INSERT     UPDATE
public.events  exists     1,499,999  1,500,000  1,500,000  1,499,999  1,500,000  0

Sequences (next value now → after the restore):
  public.events_id_seq  1,500,000 → 1,500,001  set: the snapshot's 1,500,001 is ahead
`},
		{"new project", apply.Plan{
			Mode: apply.NewProject, Snapshot: "demo/20261121T030000Z.sql.gz", Target: "demo_restore_1",
			Tables: []apply.TablePlan{{Name: "public.orders", SnapshotRows: 55, RowsAfter: 55, Inserted: 55}},
		}, `Plan: new-project of demo/20261121T030000Z.sql.gz into demo_restore_1

TABLE          ON TARGET  ROWS NOW  SNAPSHOT  AFTER  DELETE  INSERT  UPDATE
public.orders  created    0         55        55     0       55      0
`},
		{"hostile names", apply.Plan{
			Mode: apply.Overwrite, Snapshot: "demo/\x1b[2J.sql.gz", Target: "postgres://db/demo", Role: "demo\x07",
			Tables: []apply.TablePlan{{Name: hostileTable, Exists: true, RowsNow: 1, SnapshotRows: 2, RowsAfter: 2, Deleted: 1, Inserted: 2,
				Missing: 1, WrittenSince: 1,
				Drift: []apply.Drift{{Column: "col\x1b[31m", Snapshot: "text\u202e", Reason: "new \u009b column"}}}},
			Statements: []string{"TRUNCATE ONLY " + hostileTable},
			Sequences:  []apply.SequencePlan{{Name: "public.\"seq\x1b]0;x\x07\"", Exists: true, Now: 1, Snapshot: 2, After: 2, Action: "odd\x1b[1m"}},
			Warnings:   []string{"warning about " + hostileTable + "\nsecond line"},
		}, `Plan: overwrite of demo/\x1b[2J.sql.gz into postgres://db/demo
Loaded as role demo\x07 (the snapshot's code never runs as a superuser)

TABLE                                  ON TARGET  ROWS NOW  SNAPSHOT  AFTER  DELETE  INSERT  UPDATE
public."evil\x1b]0;pwned\x07\u009b2J"  exists     1         2         2      1       2       0
  public."evil\x1b]0;pwned\x07\u009b2J": 1 missing, 0 identical, 0 different by primary key
  public."evil\x1b]0;pwned\x07\u009b2J": since that restore, 1 row written and 0 of its rows changed or deleted: undo discards them
  drift public."evil\x1b]0;pwned\x07\u009b2J".col\x1b[31m: snapshot text\u202e, target (none) (refused: new \u009b column)

Statements (1):
  TRUNCATE ONLY public."evil\x1b]0;pwned\x07\u009b2J"

Sequences (next value now → after the restore):
  public."seq\x1b]0;x\x07"  1 → 2  odd\x1b[1m

warning: warning about public."evil\x1b]0;pwned\x07\u009b2J"\nsecond line
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := ticket.WritePlan(&b, &tc.plan); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			for i, r := range got {
				if r < ' ' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u202e' {
					t.Errorf("a control character %U at %d reaches the terminal:\n%q", r, i, got)
				}
			}
		})
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(b []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

// TestWritePlanError: a failed write is reported, once.
func TestWritePlanError(t *testing.T) {
	w := &failingWriter{}
	err := ticket.WritePlan(w, &apply.Plan{Mode: apply.Overwrite, Tables: []apply.TablePlan{{Name: "public.orders"}}})
	if err == nil || err.Error() != "disk full" || w.n != 1 {
		t.Errorf("WritePlan = %v after %d writes, want disk full after 1", err, w.n)
	}
}
