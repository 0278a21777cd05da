package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/termsafe"
	"github.com/powabase/restorectl/internal/ticket"
)

func runAudit(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit", "--project REF [--tz ZONE] [--json] [--store URL]", e)
	project := fs.String("project", "", "project ref")
	storeURL := storeFlag(fs)
	tz := fs.String("tz", "UTC", "time zone of the times shown (an IANA name such as Europe/Berlin); JSON is always UTC")
	asJSON := fs.Bool("json", false, "print the records as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkProject("audit", *project); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usagef("audit: unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *tz)
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	recs, err := (&ticket.Service{Store: store}).Audit(ctx, *project)
	if err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []apply.Record{}
		}
		return writeJSON(e.stdout, recs)
	}
	printRecords(e.stdout, recs, loc)
	return nil
}

func printRecords(w io.Writer, recs []apply.Record, loc *time.Location) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "No restores recorded for this project.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tSTARTED (%s)\tMODE\tOUTCOME\tTICKET\tOPERATOR\tTABLES\tSAFETY SNAPSHOT\n", loc)
	for _, r := range recs {
		mode := string(r.Mode)
		outcome := r.Outcome
		if r.Transaction != "" && r.Outcome != apply.OutcomeOK && r.Outcome != apply.OutcomeDryRun {
			// What happened to the target, when the outcome alone does
			// not say: "failed (committed)", "cancelled (rolled-back)".
			outcome += " (" + string(r.Transaction) + ")"
		}
		tables := termsafe.String(strings.Join(r.Tables, ","))
		if t := []rune(tables); len(t) > 40 {
			tables = string(t[:37]) + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", termsafe.String(r.ID), r.StartedAt.In(loc).Format(time.DateTime),
			termsafe.String(mode), termsafe.String(outcome), termsafe.String(orDash(r.Ticket)), termsafe.String(orDash(r.Operator)),
			orDash(tables), termsafe.String(orDash(r.SafetySnapshot)))
	}
	tw.Flush()
}
