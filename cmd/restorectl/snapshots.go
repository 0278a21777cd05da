package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

func runSnapshots(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("snapshots", "--project REF [--json] --store URL", e)
	project := fs.String("project", "", "project ref")
	storeURL := storeFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkProject(fs.Name(), *project); err != nil {
		return err
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	snaps, err := catalog.ListSnapshots(ctx, store, *project)
	if err != nil {
		return err
	}
	if *asJSON {
		return printSnapshotsJSON(e, snaps)
	}
	if len(snaps) == 0 {
		fmt.Fprintf(e.stdout, "no snapshots of project %s in %s\n", *project, store)
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tAGE\tSIZE\tKEY")
	for _, s := range snaps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Time.Format("2006-01-02 15:04:05"), formatAge(now.Sub(s.Time)), formatBytes(s.Size), s.Key)
	}
	return tw.Flush()
}

func printSnapshotsJSON(e env, snaps []catalog.Snapshot) error {
	type row struct {
		Project   string    `json:"project"`
		Time      time.Time `json:"time"`
		Key       string    `json:"key"`
		Size      int64     `json:"size"`
		VersionID string    `json:"version_id,omitempty"`
	}
	rows := make([]row, 0, len(snaps))
	for _, s := range snaps {
		rows = append(rows, row{s.Ref, s.Time, s.Key, s.Size, s.VersionID})
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
