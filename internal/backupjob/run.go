package backupjob

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
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
		var refs []string
		for i := next; i < len(ps); i++ {
			r := Result{Ref: ps[i].Ref, Started: cfg.Now()}
			r.fail(StageCancelled, "not started, the job was cancelled: %w", ctx.Err())
			finish(ctx, Config{Logger: cfg.Logger, Progress: cfg.Progress}, r) // logged, no alert of its own
			results[i] = r
			refs = append(refs, ps[i].Ref)
		}
		if cfg.Webhook != "" {
			const show = 20
			list := strings.Join(refs[:min(len(refs), show)], ", ")
			if len(refs) > show {
				list += fmt.Sprintf(" and %d more", len(refs)-show)
			}
			sendAlert(ctx, cfg, alert{
				Text:      fmt.Sprintf("restorectl backup CANCELLED: %d projects were not started: %s", len(refs), list),
				Stage:     StageCancelled,
				Error:     ctx.Err().Error(),
				StartedAt: time.Now().UTC(),
				Projects:  refs,
			})
		}
	}
	return results
}
