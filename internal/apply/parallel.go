package apply

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/extract"
)

// parallelIndex reports whether post-data entry e may run at the same time
// as others, as soon as its table's rows are in: an index or a
// non-foreign-key constraint of an ordinary table (not a partitioned one,
// whose indexes and constraints wait for their partitions', nor a
// materialized view, refreshed later).
func parallelIndex(toc *extract.TOC, e *extract.Entry) bool {
	if (e.Kind != extract.KindIndex && e.Kind != extract.KindConstraint) || len(e.Tables) == 0 {
		return false
	}
	t := toc.Table(e.Tables[0])
	return t != nil && t.Kind == extract.KindTable && !t.Partitioned
}

// loadJob is one walk of a parallel load: a table's COPY blocks, or its
// indexes and constraints, which wait for its COPY.
type loadJob struct {
	table   extract.Name
	entries []bool
	size    int64 // the table's bytes: larger jobs go first
	index   bool
	wait    *loadJob // must be done before this one starts
	taken   bool
	done    bool
}

// loadParallel loads as pg_restore -j does: pre-data on one connection;
// then over all connections the COPY blocks, largest tables first, and
// the indexes and constraints of each ordinary table as soon as its rows
// are in; then what is left (foreign keys, index attaches, partitioned
// tables' indexes, triggers, sequence positions, refreshes, ...) on one
// connection in dump order.
func (r *run) loadParallel(ctx context.Context, conns []*pgx.Conn, ld *newProjectLoad) error {
	toc := ld.toc
	n := len(toc.Entries)
	var done atomic.Int64
	// walk runs the entries in include on conn, preceded by the dump's
	// SET statements before them: every connection must load as the
	// dump's session would.
	walk := func(ctx context.Context, conn *pgx.Conn, include []bool) error {
		last := -1
		for i, in := range include {
			if in {
				last = i
			}
		}
		if last < 0 {
			return nil
		}
		return r.newLoader(conn, &done, ld.total).load(ctx, func(i int) bool {
			return include[i] || (i < last && ld.schema[i] && toc.Entries[i].Kind == extract.KindSet)
		})
	}

	r.progress(Event{Phase: PhaseSchema, Message: phaseMessage[PhaseSchema]})
	pre := make([]bool, n)
	for i := range ld.firstCopy {
		pre[i] = ld.schema[i]
	}
	if err := inTx(ctx, conns[0], func() error { return walk(ctx, conns[0], pre) }); err != nil {
		return err
	}

	jobs := parallelJobs(ld)
	err := runJobs(ctx, len(conns), jobs, func(ctx context.Context, w int, j *loadJob) error {
		if j.index {
			r.progress(Event{Phase: PhaseIndex, Table: j.table, Message: "building the indexes and constraints of " + j.table.String()})
		}
		return walk(ctx, conns[w], j.entries)
	})
	if err != nil {
		return err
	}
	r.progress(Event{Phase: PhaseIndex, Message: "adding foreign keys, triggers and the rest"})

	rest := make([]bool, n)
	for i := range toc.Entries {
		e := &toc.Entries[i]
		post := i >= ld.firstCopy && ld.schema[i]
		rest[i] = (post && !parallelIndex(toc, e)) || (ld.data[i] && e.Item != extract.CopyData)
	}
	return inTx(ctx, conns[0], func() error { return walk(ctx, conns[0], rest) })
}

// parallelJobs makes the jobs of a parallel load: one per table with rows
// to COPY, one per ordinary table with indexes or constraints, after its
// COPY.
func parallelJobs(ld *newProjectLoad) []*loadJob {
	toc := ld.toc
	n := len(toc.Entries)
	copies := map[extract.Name]*loadJob{}
	indexes := map[extract.Name]*loadJob{}
	var jobs []*loadJob
	size := func(t extract.Name) int64 {
		if tbl := toc.Table(t); tbl != nil {
			return tbl.Bytes
		}
		return 0
	}
	for i := range toc.Entries {
		e := &toc.Entries[i]
		var j *loadJob
		switch {
		case ld.data[i] && e.Item == extract.CopyData:
			if j = copies[e.Object]; j == nil {
				j = &loadJob{table: e.Object, entries: make([]bool, n), size: size(e.Object)}
				copies[e.Object] = j
				jobs = append(jobs, j)
			}
		case i >= ld.firstCopy && ld.schema[i] && parallelIndex(toc, e):
			t := e.Tables[0]
			if j = indexes[t]; j == nil {
				j = &loadJob{table: t, entries: make([]bool, n), size: size(t), index: true}
				indexes[t] = j
				jobs = append(jobs, j)
			}
		default:
			continue
		}
		j.entries[i] = true
	}
	for t, j := range indexes {
		j.wait = copies[t]
	}
	// Largest first; at equal size a COPY before an index.
	slices.SortStableFunc(jobs, func(a, b *loadJob) int {
		if c := cmp.Compare(b.size, a.size); c != 0 {
			return c
		}
		switch {
		case a.index == b.index:
			return 0
		case b.index:
			return -1
		}
		return 1
	})
	return jobs
}

// runJobs runs jobs (in order of preference) on n workers, each job once
// its wait is done; the first error stops them all.
func runJobs(ctx context.Context, n int, jobs []*loadJob, fn func(ctx context.Context, w int, j *loadJob) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stop()
	var first error
	// next returns the first job that is ready, waiting for one while
	// some are running; nil when none is left or the load failed.
	next := func() *loadJob {
		mu.Lock()
		defer mu.Unlock()
		for first == nil && ctx.Err() == nil {
			left := false
			for _, j := range jobs {
				if j.taken {
					continue
				}
				left = true
				if j.wait == nil || j.wait.done {
					j.taken = true
					return j
				}
			}
			if !left {
				return nil
			}
			cond.Wait()
		}
		return nil
	}
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for j := next(); j != nil; j = next() {
				err := fn(ctx, w, j)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				j.done = true
				cond.Broadcast()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// parallelDo runs fn(ctx, 0..n-1) at once and returns the first error;
// the others are cancelled by it.
func parallelDo(ctx context.Context, n int, fn func(ctx context.Context, w int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for w := range n {
		wg.Go(func() {
			if err := fn(ctx, w); err != nil {
				once.Do(func() {
					first = err
					cancel(err)
				})
			}
		})
	}
	wg.Wait()
	return first
}
