package backupjob

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/powabase/restorectl/internal/catalog"
)

// Run backs up ps, cfg.Concurrency projects at a time, and returns one
// Result per project in the order of ps. One project's failure never stops
// the others. When ctx is cancelled, running backups are cancelled (and
// alerted one by one) and projects not yet started are not started: their
// results have Stage "cancelled", they are logged, and a single alert lists
// them.
func Run(ctx context.Context, cfg Config, ps []Project) []Result {
	cfg = cfg.withDefaults()
	results := make([]Result, len(ps))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, len(ps)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = BackupProject(ctx, cfg, ps[i])
			}
		}()
	}
	next := 0
feed:
	for ; next < len(ps); next++ {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- next:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	if next < len(ps) {
		copy(results[next:], FailAll(ctx, cfg, ps[next:], StageCancelled,
			fmt.Errorf("not started, the job was cancelled: %w", ctx.Err())))
	}
	return results
}

// FailAll records that projects ps could not be backed up at all, for one
// reason (the job was cancelled before reaching them, the store could not
// be opened, ...): each gets a failed Result and its log line, and a single
// alert lists them all rather than one alert per project. With no projects
// (the list itself could not be read) it only alerts.
func FailAll(ctx context.Context, cfg Config, ps []Project, stage string, cause error) []Result {
	cfg = cfg.withDefaults()
	results := make([]Result, len(ps))
	refs := make([]string, len(ps))
	for i, p := range ps {
		r := Result{Ref: p.Ref, Started: cfg.Now()}
		r.fail(stage, "%w", cause)
		finish(ctx, Config{Logger: cfg.Logger, Progress: cfg.Progress}, r) // logged, no alert of its own
		results[i], refs[i] = r, p.Ref
	}
	if cfg.Webhook != "" {
		const show = 20
		outcome, what := OutcomeFailed, "FAILED at stage "+stage
		if stage == StageCancelled {
			outcome, what = OutcomeCancelled, "CANCELLED"
		}
		text := fmt.Sprintf("restorectl backup %s: %v", what, cause)
		if len(refs) > 0 {
			list := strings.Join(refs[:min(len(refs), show)], ", ")
			if len(refs) > show {
				list += fmt.Sprintf(" and %d more", len(refs)-show)
			}
			text = fmt.Sprintf("restorectl backup %s for %s: %s: %v", what, catalog.Plural(len(refs), "project", "projects"), list, cause)
		}
		sendAlert(ctx, cfg, alert{
			Text:      text,
			Outcome:   outcome,
			Stage:     stage,
			Error:     cause.Error(),
			StartedAt: cfg.Now().UTC(),
			Projects:  refs,
		})
	}
	return results
}
