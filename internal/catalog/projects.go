package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ListProjects returns the refs of the projects the store holds a folder
// for, in lexical order, from one listing of folders (Store.ListDirs)
// rather than of every object. A folder holding only safety snapshots or
// audit records counts: it is a project, without snapshots.
func ListProjects(ctx context.Context, s Store) ([]string, error) {
	var refs []string
	err := s.ListDirs(ctx, "", func(name string) error {
		if ValidateRef(name) == nil {
			refs = append(refs, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list projects in %s: %w", s, err)
	}
	return refs, nil
}

// ProjectSummary is one project of a store and its daily snapshots, as
// ListSnapshots counts them.
type ProjectSummary struct {
	Ref       string
	Snapshots int      // how many daily snapshots it has
	Newest    Snapshot // the newest; zero when Snapshots is 0
}

// summaryWorkers bounds the listings Projects runs at once.
const summaryWorkers = 8

// Projects summarises every project of the store (ListProjects), in ref
// order. Each project's snapshots are counted by ListSnapshots itself,
// so safety snapshots, audit records, sidecars and partial uploads are
// never counted, exactly as a project's listing leaves them out.
func Projects(ctx context.Context, s Store) ([]ProjectSummary, error) {
	refs, err := ListProjects(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectSummary, len(refs))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(summaryWorkers, len(refs)) {
		wg.Go(func() {
			for i := range work {
				snaps, err := ListSnapshots(ctx, s, refs[i])
				if err != nil {
					cancel(err)
					continue
				}
				out[i] = ProjectSummary{Ref: refs[i], Snapshots: len(snaps)}
				if len(snaps) > 0 {
					out[i].Newest = snaps[0]
				}
			}
		})
	}
	for i := range refs {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// NoSnapshotsError says that a store holds no snapshot of a project, and
// which projects it does hold that the ref may have meant.
type NoSnapshotsError struct {
	Ref   string
	Store string
	// Suggestions are the store's refs closest to Ref, closest first.
	Suggestions []string
	// Projects is how many projects the store holds; -1 when listing
	// them failed too.
	Projects int
}

func (e *NoSnapshotsError) Error() string {
	msg := fmt.Sprintf("project %s has no snapshots in %s", e.Ref, e.Store)
	switch {
	case e.Projects == 0:
		return msg + ": the store holds no projects at all: check --store (or RESTORECTL_STORE)"
	case len(e.Suggestions) > 0:
		msg += ": did you mean " + orList(e.Suggestions) + "?"
	case e.Projects > 0:
		msg += ": check the project ref"
	default:
		return msg + ": check the project ref and --store"
	}
	return msg + fmt.Sprintf(" (restorectl projects lists the %d project%s it holds)", e.Projects, plural(e.Projects))
}

// NoSnapshots is the error for a project without snapshots in s, with the
// refs of s closest to ref as suggestions. Callers decide when an empty
// listing is an error (ListSnapshots never says so); listing the store's
// projects for suggestions failing too only leaves them out.
func NoSnapshots(ctx context.Context, s Store, ref string) error {
	e := &NoSnapshotsError{Ref: ref, Store: s.String(), Projects: -1}
	if refs, err := ListProjects(ctx, s); err == nil {
		e.Projects = len(refs)
		e.Suggestions = SuggestRefs(ref, refs, 3)
	}
	return e
}

// SuggestRefs returns at most n of refs that ref was probably meant to
// be, closest first: the same but for case, a few letters typed wrong,
// left out or swapped (more the longer the ref), or one a prefix of the
// other ("abcd" for "abcd1234").
func SuggestRefs(ref string, refs []string, n int) []string {
	type match struct {
		ref  string
		dist int
	}
	lower := strings.ToLower(ref)
	var found []match
	for _, r := range refs {
		if r == ref {
			continue
		}
		lr := strings.ToLower(r)
		d := editDistance(lower, lr)
		short := min(len(lower), len(lr))
		switch {
		case d <= max(1, short/3):
		case short >= 3 && (strings.HasPrefix(lr, lower) || strings.HasPrefix(lower, lr)):
			d = 1 + d/4 // a prefix ranks with near misses, however long the rest
		default:
			continue
		}
		found = append(found, match{r, d})
	}
	slices.SortStableFunc(found, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.ref, b.ref))
	})
	var out []string
	for _, m := range found[:min(n, len(found))] {
		out = append(out, m.ref)
	}
	return out
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost one.
// Refs are ASCII (ValidateRef), so bytes are letters.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// orList joins words as a sentence does: "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
