// Command ticketbench times a whole ticket through the console's backend
// (ui.StoreBackend, the calls the console's screens make), for
// bench/ticket.sh: snapshots, open (tables), preview, plan, overwrite,
// audit; each step's wall time and how much of the snapshot it read.
//
//	go run ./bench/ticketbench -store s3://bucket/prefix -project big -table public.zz_small -target URL
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/ticket"
	"github.com/powabase/restorectl/internal/ui"
)

func main() {
	storeURL := flag.String("store", "", "snapshot store URL")
	project := flag.String("project", "", "project ref")
	table := flag.String("table", "", "the ticket's table")
	target := flag.String("target", "", "the project's database")
	flag.Parse()
	if err := run(context.Background(), *storeURL, *project, *table, *target); err != nil {
		fmt.Fprintln(os.Stderr, "ticketbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, storeURL, project, table, target string) error {
	store, err := catalog.Open(ctx, storeURL, catalog.Options{})
	if err != nil {
		return err
	}
	name, err := extract.ParseName(table)
	if err != nil {
		return err
	}
	b := ui.NewStoreBackend(&ticket.Service{Store: store, TargetTemplate: target, Operator: "bench", Env: os.Environ()})
	var snap catalog.Snapshot
	var toc *extract.TOC
	var total time.Duration
	var lastRead int64
	step := func(what string, fn func() error) error {
		start := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d := time.Since(start)
		total += d
		st, _ := b.Stats(snap.Key)
		pct := 0.0
		if st.Size > 0 {
			pct = 100 * float64(st.Read-lastRead) / float64(st.Size)
		}
		fmt.Printf("console %-10s %8.3f s  read %12d bytes (%7.3f%% of the snapshot)\n", what, d.Seconds(), st.Read-lastRead, pct)
		lastRead = st.Read
		return nil
	}
	if err := step("snapshots", func() error {
		ranked, err := b.Snapshots(ctx, project, time.Now())
		if err != nil || len(ranked) == 0 {
			return fmt.Errorf("no snapshots of %s (%v)", project, err)
		}
		snap = ranked[0].Snapshot
		return nil
	}); err != nil {
		return err
	}
	req := ui.RestoreRequest{Mode: apply.Overwrite, Snapshot: snap, Tables: []extract.Name{name}, Project: project, Ticket: "bench"}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"tables", func() (err error) { toc, err = b.Open(ctx, snap, nil); req.TOC = toc; return err }},
		{"preview", func() error { _, err := b.Preview(ctx, snap, name, 20); return err }},
		{"plan", func() error { _, err := b.Plan(ctx, req); return err }},
		{"overwrite", func() error {
			res, err := b.Restore(ctx, req, nil)
			if err == nil && res.Outcome != apply.Committed {
				err = fmt.Errorf("outcome %s", res.Outcome)
			}
			return err
		}},
		{"audit", func() error { _, err := apply.ListRecords(ctx, store, project); return err }},
	}
	for _, s := range steps {
		if err := step(s.what, s.fn); err != nil {
			return err
		}
	}
	fmt.Printf("console %-10s %8.3f s\n", "TOTAL", total.Seconds())
	return nil
}
