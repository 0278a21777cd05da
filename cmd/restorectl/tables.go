package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	snap, err := snapFlags.resolveSaying(ctx, specs[0], e)
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
	snap, _, err := f.pick(ctx, spec, e)
	return snap, err
}

// resolveSaying is resolve that also says on stderr, in a line, which
// snapshot a REF@TIME picked: the user named a time, not a snapshot.
func (f snapshotFlags) resolveSaying(ctx context.Context, spec string, e env) (catalog.Resolved, error) {
	snap, picked, err := f.pick(ctx, spec, e)
	if err == nil && picked != "" {
		fmt.Fprintln(e.stderr, picked)
	}
	return snap, err
}

// pick resolves spec, and for REF@TIME says which snapshot it picked. A
// time that cannot be read is a usage error, as it is in --near.
func (f snapshotFlags) pick(ctx context.Context, spec string, e env) (snap catalog.Resolved, picked string, err error) {
	loc, err := time.LoadLocation(*f.tz)
	if err != nil {
		return catalog.Resolved{}, "", usagef("unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *f.tz)
	}
	var configured catalog.Store
	if stringFlag(*f.store, "RESTORECTL_STORE", e) != "" {
		if configured, err = openStore(ctx, *f.store, e); err != nil {
			return catalog.Resolved{}, "", err
		}
	}
	now := time.Now()
	snap, err = catalog.ResolveSnapshot(ctx, spec, configured, s3Options(e), now, loc)
	if errors.Is(err, catalog.ErrBadTime) {
		return catalog.Resolved{}, "", usageError{err.Error()}
	}
	if err != nil || snap.Snapshot.Ref == "" {
		return snap, "", err
	}
	_, when, _ := strings.Cut(strings.TrimSpace(spec), "@")
	asked, err := catalog.ParseTime(when, now, loc)
	if err != nil {
		return snap, "", nil // resolved above, so not expected
	}
	return snap, pickedLine(snap.Snapshot, asked, loc), nil
}

// pickedLine says which snapshot a time picked: "snapshot: demo/….sql.gz
// (2026-11-21 03:00 UTC, 11h00m before the time asked)".
func pickedLine(s catalog.Snapshot, asked time.Time, loc *time.Location) string {
	how := "the time asked"
	if d := asked.Sub(s.Time); d > 0 {
		how = formatAge(d) + " before the time asked"
	}
	return fmt.Sprintf("snapshot: %s (%s, %s)", termsafe.String(s.Key), s.Time.In(loc).Format("2006-01-02 15:04 MST"), how)
}

func printTables(w io.Writer, toc *extract.TOC) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKIND\tROWS\tDATA")
	for _, t := range toc.Tables {
		kind := tableKind(t)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termsafe.String(t.Name.String()), termsafe.String(kind), catalog.FormatExact(t.Rows), catalog.FormatSize(t.Bytes))
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
			return nil, parseError(fs, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, usagef("%s: want %s, got %d: %q%s", fs.Name(), catalog.Plural(want, "argument", "arguments"), len(pos), pos, quoteHint(fs.Name(), pos))
	}
	return pos, nil
}

// quoteHint explains a REF@TIME whose TIME has a space and was not
// quoted, so the shell split it ("demo@2026-11-21" "14:05"): it says how
// to quote it; "" when no arguments read so.
func quoteHint(cmd string, pos []string) string {
	for i, p := range pos {
		ref, when, ok := strings.Cut(p, "@")
		if !ok || catalog.ValidateRef(ref) != nil {
			continue
		}
		// The longest run of the arguments after it that makes a time.
		for j := len(pos); j > i+1; j-- {
			joined := strings.Join(append([]string{when}, pos[i+1:j]...), " ")
			if _, err := catalog.ParseTime(joined, time.Now(), time.UTC); err == nil {
				return fmt.Sprintf("; a time with spaces is one argument: quote it: restorectl %s \"%s@%s\"", cmd, ref, joined)
			}
		}
	}
	return ""
}
