package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/termsafe"
)

// snapshotsOptions is what the snapshots command was asked for.
type snapshotsOptions struct {
	project  string
	near     time.Time
	loc      *time.Location
	versions bool
	asJSON   bool
}

func runSnapshots(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("snapshots", "--project REF [--near TIME] [--tz ZONE] [--versions] [--json] --store URL", e)
	project := fs.String("project", "", "project ref")
	storeURL := storeFlag(fs)
	near := fs.String("near", "now", "list the snapshots nearest to TIME first; TIME is "+catalog.TimeForms)
	tz := fs.String("tz", "UTC", "time zone of a TIME without one, and of the times shown (an IANA name such as Europe/Berlin)")
	versions := fs.Bool("versions", false, "also list noncurrent S3 versions: overwritten and deleted snapshots, still restorable")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkProject(fs.Name(), *project); err != nil {
		return err
	}
	opts := snapshotsOptions{project: *project, versions: *versions, asJSON: *asJSON}
	var err error
	if opts.loc, err = time.LoadLocation(*tz); err != nil {
		return usagef("snapshots: unknown --tz %q: use an IANA time zone such as Europe/Berlin, or UTC", *tz)
	}
	if opts.near, err = catalog.ParseTime(*near, time.Now(), opts.loc); err != nil {
		return usagef("snapshots: --near: %v", err)
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	return listSnapshots(ctx, store, opts, e)
}

func listSnapshots(ctx context.Context, store catalog.Store, opts snapshotsOptions, e env) error {
	if _, ok := store.(catalog.VersionLister); opts.versions && !ok {
		fmt.Fprintf(e.stderr, "note: %s keeps no older versions; listing the current snapshots\n", store)
	}
	snaps, err := catalog.ListSnapshotVersions(ctx, store, opts.project, opts.versions)
	if err != nil {
		return err
	}
	ranked := catalog.Nearest(snaps, opts.near)
	if len(ranked) == 0 {
		// An error, not an empty list: "no backups" is what a support
		// engineer would tell the customer, and a typo is likelier.
		if opts.asJSON {
			if err := printSnapshotsJSON(e.stdout, ranked); err != nil {
				return err
			}
		}
		return catalog.NoSnapshots(ctx, store, opts.project)
	}
	if opts.asJSON {
		return printSnapshotsJSON(e.stdout, ranked)
	}
	fmt.Fprintf(e.stdout, "%s of project %s in %s, nearest to %s first\n",
		catalog.Plural(len(ranked), "snapshot", "snapshots"), opts.project, store, opts.near.In(opts.loc).Format("2006-01-02 15:04:05 MST"))
	return printSnapshotsTable(e.stdout, ranked, opts.loc)
}

func printSnapshotsTable(w io.Writer, ranked []catalog.Ranked, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "WHEN\tDISTANCE\tTIME (%s)\tSIZE\tINDEX\tVERSION\tKEY\n", loc)
	for _, r := range ranked {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Position, formatAge(absDuration(r.Distance)),
			r.Time.In(loc).Format("2006-01-02 15:04:05"), catalog.FormatSize(r.Size), yesNo(r.Indexed), termsafe.String(versionLabel(r.Object)), termsafe.String(r.Key))
	}
	return tw.Flush()
}

// versionLabel shows the version id, and whether it is an older version.
func versionLabel(o catalog.Object) string {
	id := o.VersionID
	if id == "" {
		id = "-"
	}
	if o.Noncurrent {
		return id + " (noncurrent)"
	}
	return id
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// snapshotJSON is one line of `snapshots --json`; scripts rely on its fields.
type snapshotJSON struct {
	Project         string `json:"project"`
	Key             string `json:"key"`
	Time            string `json:"time"` // RFC 3339, UTC
	Size            int64  `json:"size"`
	ETag            string `json:"etag,omitempty"`
	VersionID       string `json:"version_id"`
	IsLatest        bool   `json:"is_latest"`
	Indexed         bool   `json:"indexed"`
	Position        string `json:"position"`         // before, at or after --near
	DistanceSeconds int64  `json:"distance_seconds"` // negative before --near
}

func printSnapshotsJSON(w io.Writer, ranked []catalog.Ranked) error {
	rows := make([]snapshotJSON, 0, len(ranked))
	for _, r := range ranked {
		rows = append(rows, snapshotJSON{
			Project:         r.Ref,
			Key:             r.Key,
			Time:            r.Time.UTC().Format(time.RFC3339Nano),
			Size:            r.Size,
			ETag:            r.ETag,
			VersionID:       r.VersionID,
			IsLatest:        !r.Noncurrent,
			Indexed:         r.Indexed,
			Position:        string(r.Position),
			DistanceSeconds: int64(r.Distance.Round(time.Second) / time.Second),
		})
	}
	return writeJSON(w, rows)
}
