package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

func runTables(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("tables", "SNAPSHOT [--json] [--store URL]", e)
	snapFlags := addSnapshotFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	noIndex := noIndexFlag(fs)
	specs, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	snap, err := snapFlags.resolve(ctx, specs[0], e)
	if err != nil {
		return err
	}
	src, err := openSnapshotSource(withStderr(ctx, e.stderr), snap, *noIndex)
	if err != nil {
		return err
	}
	toc := src.TOC()
	for _, w := range toc.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s: %s\n", termsafe.String(snap.Name), termsafe.String(w))
	}
	if *asJSON {
		return printTablesJSON(e.stdout, toc)
	}
	return printTables(e.stdout, toc)
}

// snapshotFlags are the flags of a command that takes a SNAPSHOT argument:
// --store for REF@TIME names and --tz for their TIME.
type snapshotFlags struct{ store, tz *string }

func addSnapshotFlags(fs *flag.FlagSet) snapshotFlags {
	return snapshotFlags{
		store: storeFlag(fs),
		tz:    fs.String("tz", "UTC", "time zone of TIME in a REF@TIME snapshot name"),
	}
}

// noIndexFlag registers --no-index for commands that can read through an index.
func noIndexFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("no-index", false, "ignore the snapshot's index: scan the whole snapshot")
}

// resolve finds the snapshot a command line names. The configured store is
// needed only for REF@TIME, so it is opened only when one is set.
func (f snapshotFlags) resolve(ctx context.Context, spec string, e env) (catalog.Resolved, error) {
	loc, err := time.LoadLocation(*f.tz)
	if err != nil {
		return catalog.Resolved{}, usagef("unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *f.tz)
	}
	var configured catalog.Store
	if stringFlag(*f.store, "RESTORECTL_STORE", e) != "" {
		if configured, err = openStore(ctx, *f.store, e); err != nil {
			return catalog.Resolved{}, err
		}
	}
	return catalog.ResolveSnapshot(ctx, spec, configured, s3Options(e), time.Now(), loc)
}

func printTables(w io.Writer, toc *extract.TOC) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKIND\tROWS\tDATA")
	for _, t := range toc.Tables {
		kind := tableKind(t)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", termsafe.String(t.Name.String()), termsafe.String(kind), t.Rows, catalog.FormatSize(t.Bytes))
	}
	return tw.Flush()
}

// tableKind names a table's kind as a support engineer reads it.
func tableKind(t *extract.Table) string {
	switch {
	case t.Partitioned:
		return "partitioned table"
	case t.PartitionOf != nil:
		return "partition of " + t.PartitionOf.String()
	case t.Parent != nil:
		return "inherits " + t.Parent.String()
	}
	return string(t.Kind)
}

func printTablesJSON(w io.Writer, toc *extract.TOC) error {
	type row struct {
		Schema      string `json:"schema"`
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		Partitioned bool   `json:"partitioned,omitempty"`
		Rows        int64  `json:"rows"`
		Bytes       int64  `json:"bytes"`
		PartitionOf string `json:"partition_of,omitempty"`
		Inherits    string `json:"inherits,omitempty"`
	}
	rows := make([]row, 0, len(toc.Tables))
	for _, t := range toc.Tables {
		r := row{Schema: t.Name.Schema, Name: t.Name.Name, Kind: string(t.Kind), Partitioned: t.Partitioned, Rows: t.Rows, Bytes: t.Bytes}
		switch {
		case t.PartitionOf != nil:
			r.PartitionOf = t.PartitionOf.String()
		case t.Parent != nil:
			r.Inherits = t.Parent.String()
		}
		rows = append(rows, r)
	}
	return writeJSON(w, rows)
}

// parseArgs parses flags that may come before, between or after exactly
// want positional arguments, and returns those.
func parseArgs(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, parseError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, usagef("%s: want %d argument(s), got %d: %q", fs.Name(), want, len(pos), pos)
	}
	return pos, nil
}
