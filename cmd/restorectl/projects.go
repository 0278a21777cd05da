package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

func runProjects(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("projects", "[--stale DURATION] [--json] --store URL", e)
	storeURL := storeFlag(fs)
	stale := fs.Duration("stale", 0, "exit 1, naming them on stderr, when a project's newest snapshot is older than this (e.g. 26h); a project without snapshots is stale")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *stale < 0 {
		return usagef("projects: --stale must be positive, e.g. 26h")
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	projects, err := catalog.Projects(ctx, store)
	if err != nil {
		return err
	}
	now := time.Now()
	if *asJSON {
		err = printProjectsJSON(e.stdout, projects, now, *stale)
	} else {
		err = printProjects(e.stdout, store, projects, now, *stale)
	}
	if err != nil || *stale == 0 {
		return err
	}
	return checkStale(e.stderr, store, projects, now, *stale)
}

// isStale: the project has no snapshot taken within limit of now.
func isStale(p catalog.ProjectSummary, now time.Time, limit time.Duration) bool {
	return p.Snapshots == 0 || now.Sub(p.Newest.Time) > limit
}

// checkStale names each stale project on stderr, one line each for the
// alarm's log, and fails if there is one. A store without projects is
// stale as a whole: the alarm watches the wrong store, or every backup
// is missing.
func checkStale(w io.Writer, store catalog.Store, projects []catalog.ProjectSummary, now time.Time, limit time.Duration) error {
	if len(projects) == 0 {
		return fmt.Errorf("stale: %s holds no projects at all: check --store (or RESTORECTL_STORE), and that the backup job writes there", store)
	}
	var stale []string
	for _, p := range projects {
		if !isStale(p, now, limit) {
			continue
		}
		stale = append(stale, p.Ref)
		if p.Snapshots == 0 {
			fmt.Fprintf(w, "stale: %s: no snapshots\n", p.Ref)
			continue
		}
		fmt.Fprintf(w, "stale: %s: newest snapshot %s old (%s), more than %s\n",
			p.Ref, formatAge(now.Sub(p.Newest.Time)), p.Newest.Time.UTC().Format(time.DateTime+" UTC"), formatAge(limit))
	}
	if len(stale) == 0 {
		return nil
	}
	return fmt.Errorf("stale: %d of %d project%s in %s without a snapshot in the last %s: %s",
		len(stale), len(projects), plural(len(projects)), store, formatAge(limit), strings.Join(stale, ", "))
}

func printProjects(w io.Writer, store catalog.Store, projects []catalog.ProjectSummary, now time.Time, limit time.Duration) error {
	if len(projects) == 0 {
		fmt.Fprintf(w, "no projects in %s\n", store)
		return nil
	}
	fmt.Fprintf(w, "%d project%s in %s\n", len(projects), plural(len(projects)), store)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "PROJECT\tSNAPSHOTS\tNEWEST (UTC)\tAGE\tSIZE"
	if limit > 0 {
		header += "\tSTALE"
	}
	fmt.Fprintln(tw, header)
	for _, p := range projects {
		newest, age, size := "-", "-", "-"
		if p.Snapshots > 0 {
			newest = p.Newest.Time.UTC().Format(time.DateTime)
			age = formatAge(now.Sub(p.Newest.Time))
			size = catalog.FormatSize(p.Newest.Size)
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%s", p.Ref, p.Snapshots, newest, age, size)
		if limit > 0 {
			line += "\t" + yesNo(isStale(p, now, limit))
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// projectJSON is one element of `projects --json`; scripts rely on its
// fields.
type projectJSON struct {
	Project   string      `json:"project"`
	Snapshots int         `json:"snapshots"`
	Newest    *newestJSON `json:"newest"`          // null without snapshots
	Stale     *bool       `json:"stale,omitempty"` // only with --stale
}

type newestJSON struct {
	Key        string `json:"key"`
	Time       string `json:"time"` // RFC 3339, UTC
	Size       int64  `json:"size"`
	AgeSeconds int64  `json:"age_seconds"`
}

func printProjectsJSON(w io.Writer, projects []catalog.ProjectSummary, now time.Time, limit time.Duration) error {
	rows := make([]projectJSON, 0, len(projects))
	for _, p := range projects {
		r := projectJSON{Project: p.Ref, Snapshots: p.Snapshots}
		if p.Snapshots > 0 {
			r.Newest = &newestJSON{Key: p.Newest.Key, Time: p.Newest.Time.UTC().Format(time.RFC3339Nano), Size: p.Newest.Size,
				AgeSeconds: int64(now.Sub(p.Newest.Time) / time.Second)}
		}
		if limit > 0 {
			stale := isStale(p, now, limit)
			r.Stale = &stale
		}
		rows = append(rows, r)
	}
	return writeJSON(w, rows)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
