package extract

import (
	"slices"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

func TestResolve(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dumps := map[string]*TOC{}
	for _, d := range pg.Corpus(t, "platform", "names") {
		dumps[d.Fixture] = cachedTOC(t, d.GzipPath)
	}
	tests := []struct {
		fixture string
		names   []string
		want    []Name
		err     string // substring of the error; "" for none
	}{
		{"platform", []string{"public.orders"}, []Name{n("public", "orders")}, ""},
		{"platform", []string{"PUBLIC.Orders"}, []Name{n("public", "orders")}, ""},
		{"platform", []string{"orders", "public.orders", "auth.users"}, []Name{n("public", "orders"), n("auth", "users")}, ""},
		{"platform", []string{"ai.*"}, []Name{n("ai", "documents"), n("ai", "embeddings")}, ""},
		{"platform", []string{"items"}, nil, "table name items is ambiguous: it is public.items or storage.items; qualify it"},
		{"platform", []string{"public.ordrs"}, nil, "no table public.ordrs in the snapshot; did you mean public.orders, "},
		{"platform", []string{"order"}, nil, `did you mean public.orders`},
		{"platform", []string{"nosuch.*"}, nil, "no table in schema nosuch"},
		{"platform", []string{"a.b.c"}, nil, "3 dot-separated parts"},
		{"names", []string{`"My Schema"."a.b"`}, []Name{n("My Schema", "a.b")}, ""},
		{"names", []string{`"x.y.z"`}, []Name{n("dotted.schema", "x.y.z")}, ""},
		{"names", []string{"items", `"Items"`, `public."ITEMS"`}, []Name{n("public", "items"), n("public", "Items"), n("public", "ITEMS")}, ""},
		{"names", []string{`"a.b"`}, nil, `it is "My Schema"."a.b" or "dotted.schema"."a.b"`},
		{"names", []string{`"My Schema".*`}, []Name{n("My Schema", "Orders; DROP TABLE x"), n("My Schema", "View.of; orders"), n("My Schema", "a.b")}, ""},
		{"names", []string{`"My Schema"."a,b"`}, nil, `did you mean "My Schema"."a.b"`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+" "+strings.Join(tt.names, " "), func(t *testing.T) {
			got, err := dumps[tt.fixture].Resolve(tt.names)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Resolve(%q) = %v, %v; want error containing %q", tt.names, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.names, err)
			}
			slices.SortFunc(got, cmpName)
			slices.SortFunc(tt.want, cmpName)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%q) = %v, want %v", tt.names, got, tt.want)
			}
		})
	}
}

func cmpName(a, b Name) int { return strings.Compare(a.String(), b.String()) }

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ünï", "uni", 2}, {"orders", "orders", 0}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// selFact is one fact about a selection: whether the entry of a kind on an
// object (and, if set, with that detail) is included.
type selFact struct {
	kind   Kind
	object Name
	detail string
	want   bool
}

func TestSelect(t *testing.T) {
	pg := testenv.StartPostgres(t)
	tocs := map[string]*TOC{}
	for _, d := range pg.Corpus(t, "platform", "partitions", "names", "dumplike", "views") {
		tocs[d.Fixture] = cachedTOC(t, d.GzipPath)
	}
	tests := []struct {
		name    string
		fixture string
		tables  []Name
		tablesW []Name   // Selection.Tables, if set
		shells  []Name   // Selection.Shells
		dropped []string // Selection.DroppedFKs by name
		facts   []selFact
		warns   []string // in Selection.Warnings
	}{
		{
			name: "orders", fixture: "platform", tables: []Name{n("public", "orders")},
			tablesW: []Name{n("public", "orders")},
			dropped: []string{"orders_customer_id_fkey"},
			facts: []selFact{
				{KindTable, n("public", "orders"), "", true},
				{KindCopy, n("public", "orders"), "", true},
				{KindIdentity, n("public", "orders"), "id", true},
				{KindSequenceSet, n("public", "orders_id_seq"), "", true},
				{KindType, n("public", "order_status"), "", true},          // enum of a column
				{KindComment, n("public", "order_status"), "", true},       // ... and its comment
				{KindDomain, n("public", "money_amount"), "", true},        // domain of a column
				{KindType, n("public", "address"), "", true},               // composite type of a column
				{KindFunction, n("public", "log_insert"), "", true},        // trigger function
				{KindTrigger, n("public", "orders"), "orders_audit", true}, // trigger
				{KindFunction, n("auth", "uid"), "", true},                 // a policy's function
				{KindSchema, n("", "auth"), "", true},                      // ... and its schema
				{KindPolicy, n("public", "orders"), "orders_owner", true},  // policies
				{KindRowSecurity, n("public", "orders"), "", true},         // row security
				{KindIndex, n("public", "orders_open_idx"), "orders_open_idx", true},
				{KindConstraint, n("public", "orders"), "orders_pkey", true},
				{KindFKConstraint, n("public", "orders"), "orders_customer_id_fkey", false}, // to an unselected table
				{KindComment, n("public", "orders"), "orders_customer_id_fkey", false},      // ... and its comment
				{KindExtension, n("", "btree_gist"), "", true},                              // extensions always
				{KindSet, n("", ""), "search_path", true},                                   // SETs always
				{KindView, n("public", "order_summaries"), "", false},                       // views only when selected
				{KindTable, n("public", "profiles"), "", false},
				{KindFunction, n("public", "touch_updated_at"), "", false}, // another table's trigger function
				{KindSequenceSet, n("public", "ticket_seq"), "", false},    // a sequence nothing uses
				{KindSchema, n("", "storage"), "", false},
			},
		},
		{
			name: "serial", fixture: "platform", tables: []Name{n("public", "categories")},
			facts: []selFact{
				{KindSequence, n("public", "categories_id_seq"), "", true},
				{KindSequenceOwnedBy, n("public", "categories_id_seq"), "", true},
				{KindDefault, n("public", "categories"), "id", true},
				{KindSequenceSet, n("public", "categories_id_seq"), "", true},
				{KindFKConstraint, n("public", "categories"), "categories_parent_id_fkey", true}, // self-reference
				{KindSequence, n("public", "invoice_number_seq"), "", false},
			},
		},
		{
			name: "FK between selected tables", fixture: "platform", tables: []Name{n("public", "orders"), n("public", "profiles")},
			dropped: []string{"profiles_id_fkey"},
			facts: []selFact{
				{KindFKConstraint, n("public", "orders"), "orders_customer_id_fkey", true},
				{KindComment, n("public", "orders"), "orders_customer_id_fkey", true}, // its comment with it
				{KindFKConstraint, n("public", "profiles"), "profiles_id_fkey", false},
				{KindFunction, n("public", "touch_updated_at"), "", true},
				{KindComment, n("public", "profiles"), "settings", true}, // a column comment
				{KindDomain, n("public", "email"), "", true},
			},
		},
		{
			name: "view when selected", fixture: "platform", tables: []Name{n("public", "order_summaries")},
			tablesW: []Name{n("public", "order_summaries")},
			shells:  []Name{n("public", "order_lines"), n("public", "orders"), n("public", "profiles")},
			facts: []selFact{
				{KindView, n("public", "order_summaries"), "", true},
				{KindComment, n("public", "order_summaries"), "", true},
				{KindTable, n("public", "orders"), "", true},                 // a shell
				{KindCopy, n("public", "orders"), "", false},                 // ... without rows
				{KindConstraint, n("public", "orders"), "orders_pkey", true}, // ... with its keys: the view groups by it
				{KindFKConstraint, n("public", "orders"), "orders_customer_id_fkey", false},
				{KindComment, n("public", "orders"), "orders_customer_id_fkey", false},
				{KindIndex, n("public", "orders_open_idx"), "", false},
				{KindTrigger, n("public", "orders"), "orders_audit", false},
				{KindPolicy, n("public", "orders"), "orders_owner", false},
				{KindSequenceSet, n("public", "orders_id_seq"), "", false},
			},
		},
		{
			name: "view grouped by a key", fixture: "views", tables: []Name{n("public", "order_totals")},
			shells: []Name{n("public", "orders"), n("public", "order_items")},
			facts: []selFact{
				{KindView, n("public", "order_totals"), "", true}, // the placeholder and the view replacing it
				{KindComment, n("public", "order_totals"), "", true},
				{KindConstraint, n("public", "orders"), "orders_pkey", true},
				{KindConstraint, n("public", "order_items"), "order_items_pkey", true},
				{KindFKConstraint, n("public", "order_items"), "order_items_order_id_fkey", false},
				{KindFKConstraint, n("public", "orders"), "orders_customer_id_fkey", false},
				{KindIndex, n("public", "orders_customer_idx"), "", false},
				{KindIdentity, n("public", "orders"), "id", false},
				{KindCopy, n("public", "orders"), "", false},
				{KindTable, n("public", "customers"), "", false},
				{KindConstraint, n("public", "customers"), "customers_pkey", false},
				{KindView, n("public", "customer_summaries"), "", false},
			},
		},
		{
			name: "view over a view", fixture: "views", tables: []Name{n("public", "customer_summaries")},
			shells: []Name{n("public", "customers"), n("public", "order_totals"), n("public", "orders"), n("public", "order_items")},
			facts: []selFact{
				{KindConstraint, n("public", "customers"), "customers_pkey", true},
				{KindConstraint, n("public", "orders"), "orders_pkey", true}, // what the view under it reads
				{KindComment, n("public", "order_totals"), "", false},
				{KindComment, n("public", "customers"), "", false},
			},
		},
		{
			name: "materialized view grouped by a key", fixture: "views", tables: []Name{n("public", "customer_stats")},
			shells: []Name{n("public", "customers"), n("public", "orders")},
			facts: []selFact{
				{KindMaterializedView, n("public", "customer_stats"), "", true},
				{KindIndex, n("public", "customer_stats_id_idx"), "", true},
				{KindRefresh, n("public", "customer_stats"), "", true},
				{KindConstraint, n("public", "customers"), "customers_pkey", true},
				{KindConstraint, n("public", "orders"), "orders_pkey", true},
				{KindRefresh, n("public", "daily_sales"), "", false},
			},
		},
		{
			name: "rollup of rollups", fixture: "views", tables: []Name{n("public", "yearly_sales")},
			shells: []Name{n("public", "monthly_sales"), n("public", "daily_sales"), n("public", "orders")},
			facts: []selFact{
				{KindRefresh, n("public", "yearly_sales"), "", true},
				{KindRefresh, n("public", "monthly_sales"), "", true}, // what its refresh reads
				{KindRefresh, n("public", "daily_sales"), "", true},   // ... and what that reads
				{KindComment, n("public", "monthly_sales"), "", false},
				{KindIndex, n("public", "daily_sales_day_idx"), "", false},
				{KindRefresh, n("public", "customer_stats"), "", false},
				{KindMaterializedView, n("public", "sales_forecast"), "", false},
			},
			warns: []string{
				"public.monthly_sales is not selected but comes as a definition only, refreshed from what the script restores: a materialized view of public.yearly_sales uses it",
				"public.orders is not selected but comes as a definition with its keys only (no rows, foreign keys, indexes or triggers): a materialized view of public.daily_sales uses it",
			},
		},
		{
			name: "rollup under others", fixture: "views", tables: []Name{n("public", "daily_sales")},
			shells: []Name{n("public", "orders")},
			facts: []selFact{
				{KindRefresh, n("public", "daily_sales"), "", true},
				{KindIndex, n("public", "daily_sales_day_idx"), "", true},
				{KindConstraint, n("public", "orders"), "orders_pkey", true},
				{KindMaterializedView, n("public", "monthly_sales"), "", false}, // what reads it stays out
				{KindRefresh, n("public", "monthly_sales"), "", false},
			},
		},
		{
			name: "rollup never populated", fixture: "views", tables: []Name{n("public", "sales_forecast")},
			shells: []Name{n("public", "monthly_sales"), n("public", "daily_sales"), n("public", "orders")},
			facts: []selFact{
				{KindMaterializedView, n("public", "sales_forecast"), "", true},
				{KindRefresh, n("public", "monthly_sales"), "", false}, // nothing reads it populated
				{KindRefresh, n("public", "daily_sales"), "", false},
			},
		},
		{
			name: "rollup over an emptied one", fixture: "views", tables: []Name{n("public", "best_weeks")},
			shells: []Name{n("public", "weekly_sales"), n("public", "daily_sales"), n("public", "orders")},
			facts: []selFact{
				{KindMaterializedView, n("public", "best_weeks"), "", true},
				{KindRefresh, n("public", "daily_sales"), "", false}, // the dump refreshes neither above it
			},
		},
		{
			name: "base table of views", fixture: "views", tables: []Name{n("public", "orders")},
			dropped: []string{"orders_customer_id_fkey"},
			facts: []selFact{
				{KindConstraint, n("public", "orders"), "orders_pkey", true},
				{KindCopy, n("public", "orders"), "", true},
				{KindView, n("public", "order_totals"), "", false},
				{KindMaterializedView, n("public", "daily_sales"), "", false},
				{KindRefresh, n("public", "daily_sales"), "", false},
				{KindConstraint, n("public", "customers"), "customers_pkey", false},
			},
		},
		{
			name: "partitioned", fixture: "partitions", tables: []Name{n("public", "measurements")},
			tablesW: []Name{n("public", "measurements"), n("archive", "measurements_old"), n("public", "measurements_2023"),
				n("public", "measurements_2024"), n("public", "measurements_2025"), n("public", "measurements_default")},
			dropped: []string{"measurements_device_fkey"},
			facts: []selFact{
				{KindSchema, n("", "archive"), "", true},
				{KindPartitionAttach, n("archive", "measurements_old"), "", true},
				{KindCopy, n("public", "measurements_2024"), "", true},
				{KindTrigger, n("public", "measurements"), "measurements_check", true},
				{KindAlterTable, n("public", "measurements_2024"), "measurements_check", true}, // its state on a partition
				{KindIndexAttach, n("public", "measurements_2024_pkey"), "", true},
				{KindSequenceSet, n("public", "measurements_id_seq"), "", true}, // identity of the parent
				{KindTable, n("public", "measurement_notes"), "", false},
			},
		},
		{
			name: "sub-partitioned", fixture: "partitions", tables: []Name{n("ai", "usage")},
			tablesW: []Name{n("ai", "usage"), n("ai", "usage_2025"), n("ai", "usage_2025_chat"), n("ai", "usage_2025_embed"),
				n("ai", "usage_2025_other"), n("ai", "usage_2026"), n("ai", "usage_2026_h0"), n("ai", "usage_2026_h1"), n("ai", "usage_2027")},
		},
		{
			name: "one partition", fixture: "partitions", tables: []Name{n("public", "measurements_2024")},
			tablesW: []Name{n("public", "measurements_2024")},
			shells:  []Name{n("public", "measurements")},
			facts: []selFact{
				{KindPartitionAttach, n("public", "measurements_2024"), "", true},
				{KindIndexAttach, n("public", "measurements_2024_pkey"), "", false},             // the parent's index is not there
				{KindAlterTable, n("public", "measurements_2024"), "measurements_check", false}, // the parent's trigger is not there
				{KindCopy, n("public", "measurements_2023"), "", false},
				{KindIdentity, n("public", "measurements"), "id", false},
			},
		},
		{
			name: "inheritance child", fixture: "partitions", tables: []Name{n("public", "amphibians")},
			shells: []Name{n("public", "boats"), n("public", "vehicles"), n("public", "cars")},
			facts: []selFact{
				{KindCopy, n("public", "amphibians"), "", true},
				{KindCopy, n("public", "cars"), "", false}, // a parent's rows are not the child's
				{KindCopy, n("public", "vehicles"), "", false},
				{KindSequence, n("public", "vehicles_id_seq"), "", true}, // the inherited default's
				{KindSequenceOwnedBy, n("public", "vehicles_id_seq"), "", true},
				{KindSequenceSet, n("public", "vehicles_id_seq"), "", true},
				{KindDefault, n("public", "vehicles"), "id", false},
			},
		},
		{
			name: "quoted names", fixture: "names", tables: []Name{n("My Schema", "Orders; DROP TABLE x")},
			facts: []selFact{
				{KindSchema, n("", "My Schema"), "", true},
				{KindSequenceSet, n("My Schema", "seq.with.dots"), "", true},
				{KindFunction, n("My Schema", "trigger fn; x"), "", true},
				{KindFKConstraint, n("My Schema", "Orders; DROP TABLE x"), "fk: self.parent", true},
				{KindPolicy, n("My Schema", "Orders; DROP TABLE x"), `Policy; with "quotes"`, true},
				{KindView, n("My Schema", "View.of; orders"), "", false},
				{KindSchema, n("", "Ünïcødé"), "", false},
			},
		},
		{
			name: "rule", fixture: "dumplike", tables: []Name{n("public", "fake_target")},
			shells: []Name{n("public", "fake_log")},
			facts: []selFact{
				{KindRule, n("public", "fake_target"), "fake_rule", true},
				{KindFunction, n("public", "audit_fake"), "", true},
				{KindFunction, n("public", "fake_dump"), "", false},
				{KindView, n("public", "fake_view"), "", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toc := tocs[tt.fixture]
			sel := toc.Select(tt.tables)
			if tt.tablesW != nil {
				assertSameNames(t, "Tables", sel.Tables, tt.tablesW)
			}
			assertSameNames(t, "Shells", sel.Shells, tt.shells)
			var dropped []string
			for _, fk := range sel.DroppedFKs {
				dropped = append(dropped, fk.Name)
			}
			if strings.Join(dropped, ",") != strings.Join(tt.dropped, ",") {
				t.Errorf("DroppedFKs %q, want %q", dropped, tt.dropped)
			}
			for _, w := range tt.warns {
				if !slices.Contains(sel.Warnings, w) {
					t.Errorf("no warning %q in %q", w, sel.Warnings)
				}
			}
			for _, f := range tt.facts {
				found, included := false, false
				for i, e := range toc.Entries {
					if e.Kind == f.kind && e.Object == f.object && (f.detail == "" || e.Detail == f.detail) {
						found = true
						included = included || sel.Include[i]
					}
				}
				if !found {
					t.Errorf("no %s entry for %s %q in the dump", f.kind, f.object, f.detail)
				} else if included != f.want {
					t.Errorf("%s %s %q: included %v, want %v", f.kind, f.object, f.detail, included, f.want)
				}
			}
			for i, e := range toc.Entries {
				if sel.Include[i] && e.Item == MetaCommand {
					t.Errorf("meta-command at byte %d included", e.Offset)
				}
				if sel.Include[i] != sel.Includes(i, SchemaOnly) && sel.Include[i] != sel.Includes(i, DataOnly) {
					t.Errorf("entry %d (%s) is in neither the schema-only nor the data-only script", i, e.Kind)
				}
			}
		})
	}
}

func assertSameNames(t *testing.T, what string, got, want []Name) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, cmpName)
	slices.SortFunc(w, cmpName)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestSelectSummary: the dry-run counts agree with what WriteScript writes.
func TestSelectSummary(t *testing.T) {
	pg := testenv.StartPostgres(t)
	d := pg.Corpus(t, "platform")[0]
	toc := cachedTOC(t, d.GzipPath)
	sel := toc.Select([]Name{n("public", "orders"), n("public", "events")})
	for _, mode := range []Mode{SchemaAndData, SchemaOnly, DataOnly} {
		r, err := OpenFile(d.GzipPath)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		st, err := WriteScript(t.Context(), &out, r.Reader, sel, mode)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum := sel.Summarize(mode)
		if st.Statements != sum.Statements || st.CopyBlocks != sum.CopyBlocks || st.Rows != sum.Rows || st.DataBytes != sum.Bytes {
			t.Errorf("%s: wrote %+v, summary %+v", mode, st, sum)
		}
		if int64(out.Len()) != st.Bytes {
			t.Errorf("%s: wrote %d bytes, Stats.Bytes %d", mode, out.Len(), st.Bytes)
		}
		if strings.Contains(out.String(), `\restrict`) {
			t.Errorf("%s: the script carries the dump's \\restrict", mode)
		}
		if mode != SchemaOnly && sum.Rows != 1001+49990 {
			t.Errorf("%s: %d rows", mode, sum.Rows)
		}
	}
}
