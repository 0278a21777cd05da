package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/powabase/restorectl/internal/backupjob"
	"github.com/powabase/restorectl/internal/catalog"
)

func runBackup(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("backup", "(--project REF [--database-url URL] | --projects FILE [--shard I/N]) --store URL", e)
	project := fs.String("project", "", "project ref to back up (also its database name when no URL is given)")
	projectsFile := fs.String("projects", "", "JSON or YAML file listing projects: [{ref, database_url}]")
	dbURL := fs.String("database-url", "", "database URL of --project (env RESTORECTL_DATABASE_URL; libpq PG* variables also apply)")
	storeURL := storeFlag(fs)
	pgDump := fs.String("pg-dump", "", "pg_dump binary (default: pg_dump from PATH)")
	concurrency := fs.Int("concurrency", 1, "projects backed up at once")
	shard := fs.String("shard", "", "I/N: back up only the projects at index i with i mod N = I (Kubernetes Indexed Jobs)")
	webhook := fs.String("alert-webhook", "", "URL to POST a JSON alert to when a backup fails (env RESTORECTL_ALERT_WEBHOOK)")
	level := fs.Int("level", 0, "gzip level 1-9 (default: fast level chosen by the job)")
	lockWait := fs.Duration("lock-wait-timeout", 0, "fail a project's dump if a table stays locked longer than this, e.g. 15m (default: wait)")
	showProgress := fs.Bool("progress", isTerminal(e.stderr), "print progress lines on stderr (default when stderr is a terminal)")
	prune := fs.Bool("prune", false, "after each successful backup, prune that project (needs --keep-days)")
	policy := retentionFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}

	if *concurrency < 1 {
		return usagef("backup: --concurrency must be at least 1")
	}
	if *level < 0 || *level > 9 {
		return usagef("backup: --level must be between 1 and 9")
	}
	cfg := backupjob.Config{
		PgDump:      *pgDump,
		Env:         e.environ(),
		Level:       *level,
		Concurrency: *concurrency,
		Webhook:     stringFlag(*webhook, "RESTORECTL_ALERT_WEBHOOK", e),
		Logger:      slog.New(slog.NewJSONHandler(e.stderr, nil)),

		LockWaitTimeout: *lockWait,
	}
	if *showProgress {
		cfg.Progress = &progressPrinter{w: e.stderr}
	}
	if *prune {
		if err := policy.Validate(); err != nil {
			return usageError{err.Error()}
		}
		cfg.Retention = policy
	}
	var ue usageError
	projects, err := selectProjects(*project, *projectsFile, stringFlag(*dbURL, "RESTORECTL_DATABASE_URL", e), *shard)
	if err != nil {
		if !errors.As(err, &ue) {
			// An unreadable projects file means no backups tonight: alert.
			backupjob.FailAll(ctx, cfg, nil, backupjob.StageConfig, err)
		}
		return err
	}
	// A store that cannot be opened (S3 down, bucket gone, credentials
	// expired, a mistyped RESTORECTL_STORE) fails every project, and must
	// alert like any failed backup: no backups are made tonight.
	var results []backupjob.Result
	var se *catalog.StoreError
	cfg.Store, err = createStore(ctx, *storeURL, e)
	switch {
	case errors.As(err, &ue):
		return err
	case errors.As(err, &se):
		results = backupjob.FailAll(ctx, cfg, projects, backupjob.StageConfig, err)
	case err != nil:
		results = backupjob.FailAll(ctx, cfg, projects, backupjob.StageUpload, err)
	default:
		results = backupjob.Run(ctx, cfg, projects)
	}
	var failed, cancelled []string
	for _, r := range results {
		switch r.Outcome() {
		case backupjob.OutcomeCancelled:
			cancelled = append(cancelled, r.Ref)
		case backupjob.OutcomeFailed:
			failed = append(failed, r.Ref)
		}
	}
	ok := len(results) - len(failed) - len(cancelled)
	// The summary twice: a line for the operator, a JSON line for log alerting.
	fmt.Fprintf(e.stdout, "backup: %s, %d ok, %d failed%s, %d cancelled%s\n",
		catalog.Plural(len(results), "project", "projects"), ok, len(failed), listSuffix(failed), len(cancelled), listSuffix(cancelled))
	cfg.Logger.Info("backup run finished", "projects", len(results), "ok", ok,
		"failed", len(failed), "failed_projects", failed, "cancelled", len(cancelled), "cancelled_projects", cancelled)
	switch {
	case err != nil:
		return err
	case len(failed) > 0:
		return failedError{catalog.Plural(len(failed), "backup", "backups") + " failed"}
	case len(cancelled) > 0:
		// main exits with the signal's status.
		return fmt.Errorf("%s cancelled: %w", catalog.Plural(len(cancelled), "backup", "backups"), context.Cause(ctx))
	}
	return nil
}

// selectProjects turns --project/--database-url or --projects/--shard into
// the list of projects this run backs up.
func selectProjects(ref, file, dbURL, shard string) ([]backupjob.Project, error) {
	switch {
	case ref != "" && file != "":
		return nil, usagef("backup: give either --project or --projects, not both")
	case ref != "":
		if shard != "" {
			return nil, usagef("backup: --shard applies to --projects only")
		}
		if err := checkProject("backup", ref); err != nil {
			return nil, err
		}
		return []backupjob.Project{{Ref: ref, DatabaseURL: dbURL}}, nil
	case file != "":
		i, n := 0, 1
		if shard != "" {
			var err error
			if i, n, err = parseShard(shard); err != nil {
				return nil, err
			}
		}
		ps, err := backupjob.LoadProjects(file)
		if err != nil {
			return nil, err
		}
		return backupjob.Shard(ps, i, n), nil
	default:
		return nil, usagef("backup: --project or --projects is required")
	}
}

// parseShard reads "I/N" with 0 <= I < N.
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(a)
	n, errN := strconv.Atoi(b)
	if !ok || errI != nil || errN != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("backup: --shard %q: want I/N with 0 <= I < N, e.g. 0/4", s)
	}
	return i, n, nil
}

func listSuffix(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	return ": " + strings.Join(refs, ", ")
}
