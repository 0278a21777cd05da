package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
)

// retentionFlags registers --keep-days and --keep-min.
func retentionFlags(fs *flag.FlagSet) *catalog.Retention {
	r := &catalog.Retention{}
	fs.IntVar(&r.KeepDays, "keep-days", 0, "delete snapshots older than this many days")
	fs.IntVar(&r.KeepMin, "keep-min", 7, "but always keep this many newest snapshots")
	return r
}

func runPrune(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("prune", "--project REF --keep-days D [--keep-min N] [--dry-run] --store URL", e)
	project := fs.String("project", "", "project ref whose snapshots to prune")
	storeURL := storeFlag(fs)
	policy := retentionFlags(fs)
	dryRun := fs.Bool("dry-run", false, "only print what would be deleted")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkProject(fs.Name(), *project); err != nil {
		return err
	}
	if err := policy.Validate(); err != nil {
		return usageError{err.Error()}
	}
	store, err := openStore(ctx, *storeURL, e)
	if err != nil {
		return err
	}
	now := time.Now()
	pruned, err := catalog.Prune(ctx, store, *project, *policy, now, *dryRun)
	verb := "deleted"
	if *dryRun {
		verb = "would delete"
	}
	for _, s := range pruned {
		fmt.Fprintf(e.stdout, "%s %s (%s old, %s)\n", verb, s.Key, formatAge(now.Sub(s.Time)), catalog.FormatSize(s.Size))
	}
	fmt.Fprintf(e.stdout, "project %s: %s %s older than %s, keeping at least the newest %d\n",
		*project, verb, catalog.Plural(len(pruned), "snapshot", "snapshots"), catalog.Plural(policy.KeepDays, "day", "days"), policy.KeepMin)
	return err
}

// formatAge prints a duration in days and hours, or minutes when short.
func formatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future by " + formatAge(-d)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
