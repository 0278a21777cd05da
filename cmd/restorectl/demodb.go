package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/localpg"
	"github.com/powabase/restorectl/internal/sample"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

// demoDamage is the demo's "accidental damage", done to the project after
// its snapshot: the orders the sample store's next snapshot lacks are
// deleted (as make-store.sh deleted them), and three others changed.
const demoDamage = `DELETE FROM public.orders WHERE id % 3 = 0;
UPDATE public.orders SET status = 'pending', total = 0, note = 'oops' WHERE id IN (1, 2, 4);`

// demoTicket is the ticket the demo works, as the customer wrote it, and
// what the demo did (demoDamage).
const demoTicket = `"A third of our orders vanished on 21 November, and three others now show total 0 and status pending." ` +
	`(The demo deleted every third row of public.orders and changed rows 1, 2 and 4 after the 2026-11-21 03:00 snapshot: preview it, then overwrite or merge the table back.)`

// startDemoDatabase starts the demo's own PostgreSQL: a throwaway cluster
// (localpg) holding project demo as its snapshot before the ticket's
// time (at) left it, then damaged (demoDamage), for the console to restore into.
// PostgreSQL is looked for on PATH, then in its install directories
// under installRoot ("" is "/": tests give an empty one).
// An error says why there is none: the machine has no PostgreSQL
// (localpg.ErrNotFound), or it did not start; nothing is left running.
// The caller stops the cluster.
func startDemoDatabase(ctx context.Context, store catalog.Store, at time.Time, installRoot string, e env) (*localpg.Cluster, error) {
	bin, err := localpg.FindBinDir(e.getenv("PATH"), installRoot)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "restorectl demo: starting a throwaway PostgreSQL (%s) with project %s…\n", bin, sample.Project)
	c, err := localpg.Start(ctx, localpg.Options{BinDir: bin})
	if err != nil {
		return nil, err
	}
	if err := createDemoProject(ctx, c, store, at); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

// createDemoProject creates project demo's database on c from the
// snapshot newest at or before at (the oldest when at is before them
// all), its tables owned by a role of the project's name as on the
// platform: a new-project restore, as the console would run one, whose
// audit record stays in c's directory, out of the demo's store. Then it
// damages it.
func createDemoProject(ctx context.Context, c *localpg.Cluster, store catalog.Store, at time.Time) error {
	snaps, err := catalog.ListSnapshots(ctx, store, sample.Project)
	if err != nil {
		return fmt.Errorf("create the demo's project: %w", err)
	}
	snap, ok := catalog.NewestAtOrBefore(snaps, at)
	if !ok {
		ranked := catalog.Nearest(snaps, at)
		if len(ranked) == 0 {
			return fmt.Errorf("create the demo's project: no snapshot of project %s in %s", sample.Project, store)
		}
		snap = ranked[0].Snapshot
	}
	src, err := ticket.Open(ctx, catalog.Listed(store, snap), ticket.OpenOptions{})
	if err != nil {
		return fmt.Errorf("create the demo's project: %w", err)
	}
	setup, err := catalog.NewLocal(filepath.Join(c.Dir, "setup"))
	if err != nil {
		return fmt.Errorf("create the demo's project: %w", err)
	}
	svc := &ticket.Service{Store: setup, AdminURL: c.URL("postgres"), Operator: "restorectl demo"}
	if _, err := svc.Restore(ctx, ticket.Request{Snapshot: src, Mode: apply.NewProject, All: true,
		Database: sample.Project, Ticket: "demo"}, nil); err != nil {
		return fmt.Errorf("create the demo's project from snapshot %s: %w", snap.Key, err)
	}
	conn, err := pgx.Connect(ctx, c.URL(sample.Project))
	if err != nil {
		return fmt.Errorf("damage the demo's project: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, demoDamage); err != nil {
		return fmt.Errorf("damage the demo's project: %w", err)
	}
	return nil
}

// demoDatabase gives the demo its own PostgreSQL (startDemoDatabase)
// unless --target or --admin-url name databases: cf's target, admin URL
// and pg_dump then point at it, rather than at what the environment's
// RESTORECTL_* variables name, which may well be the platform's. It
// returns the cluster for the caller to stop, or nil and why the console
// cannot restore (for the mode screen), which it also prints: the machine
// has no PostgreSQL, or it did not start. err is only the context's.
// installRoot is startDemoDatabase's.
func (cf consoleFlags) demoDatabase(ctx context.Context, store catalog.Store, installRoot string, e env) (c *localpg.Cluster, why string, err error) {
	if *cf.target != "" || *cf.adminURL != "" {
		return nil, "", nil
	}
	loc, err := time.LoadLocation(*cf.tz)
	if err != nil {
		return nil, "", nil // the console refuses the flag
	}
	at, err := catalog.ParseTime(*cf.at, time.Now(), loc)
	if err != nil {
		return nil, "", nil // likewise
	}
	c, err = startDemoDatabase(ctx, store, at, installRoot, e)
	switch {
	case ctx.Err() != nil:
		if c != nil {
			c.Stop()
		}
		return nil, "", context.Cause(ctx)
	case errors.Is(err, localpg.ErrNotFound):
		why = "the demo found no PostgreSQL on this machine to restore into: install PostgreSQL's server (initdb, pg_ctl) and run the demo again"
		fmt.Fprintf(e.stderr, "restorectl demo: %s.\n", termsafe.Text(err.Error()))
	case err != nil:
		why = "the demo's PostgreSQL did not start: " + termsafe.String(firstLine(err.Error()))
		fmt.Fprintf(e.stderr, "restorectl demo: the throwaway PostgreSQL did not start: %s\n", termsafe.Text(err.Error()))
	default:
		*cf.target, *cf.adminURL = c.URL(sample.Project), c.URL("postgres")
		// The server's own pg_dump, if its package ships one (else PATH's).
		if _, err := os.Stat(c.Bin("pg_dump")); err == nil && *cf.pgDump == "" {
			*cf.pgDump = c.Bin("pg_dump")
		}
		return c, "", nil
	}
	fmt.Fprintf(e.stderr, "restorectl demo: without it the console previews and exports, but restores nothing.\n")
	return nil, why, nil
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
