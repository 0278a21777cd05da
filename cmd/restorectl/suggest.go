package main

import (
	"sort"
	"strings"
)

// closest returns the candidates a typo of typed most likely meant, best
// first: those within two edits (a swap of neighbours is one), but never
// more edits than half of what was typed, so "x" suggests nothing; and
// those typed begins (at least three letters).
func closest(typed string, candidates []string) []string {
	type cand struct {
		name string
		d    int
	}
	var found []cand
	for _, c := range candidates {
		d := editDistance(typed, c)
		switch {
		case d <= 2 && 2*d <= len(typed):
		case len(typed) >= 3 && strings.HasPrefix(c, typed):
			d = len(c) - len(typed)
		default:
			continue
		}
		found = append(found, cand{c, d})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].d < found[j].d })
	var out []string
	for _, c := range found {
		out = append(out, c.name)
	}
	return out
}

// didYouMean is "; did you mean A?" (or "A or B?") for the closest
// candidates, each written by show; "" when none is close.
func didYouMean(typed string, candidates []string, show func(string) string) string {
	best := closest(typed, candidates)
	if len(best) == 0 {
		return ""
	}
	if len(best) > 3 {
		best = best[:3]
	}
	for i, b := range best {
		best[i] = show(b)
	}
	return "; did you mean " + strings.Join(best, " or ") + "?"
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent letters count one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
