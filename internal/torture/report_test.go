//go:build torture

package torture

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// status is a check's verdict on one table.
type status int

const (
	notRun  status = iota // the check does not apply (the table is not in its snapshot)
	pass                  // the table holds the snapshot's rows afterwards
	refused               // restorectl refused it with a clear error, changing nothing
	fail                  // wrong rows, or an error from our script or restore
)

// cell is one check of one table: its verdict and, unless it passed, the
// first error.
type cell struct {
	Status status
	Detail string
}

// report is the table: a row per table, a column per check, and the
// whole-snapshot (--all) runs.
type report struct {
	mu     sync.Mutex
	checks []string                   // column order
	cells  map[string]map[string]cell // check -> table -> cell
	tables []string
	runs   []runResult
	header []string // what was tested
	notes  []string // how long each step took, and what the harness met
}

// runResult is one --all restore.
type runResult struct {
	Name   string
	Status status
	Detail string
}

func newReport(checks []string) *report {
	r := &report{checks: checks, cells: map[string]map[string]cell{}}
	for _, c := range checks {
		r.cells[c] = map[string]cell{}
	}
	return r
}

func (r *report) set(check, table string, c cell) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cells[check][table] = c
}

func (r *report) run(name string, st status, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, runResult{name, st, detail})
}

func (r *report) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// failed reports whether any check or run failed.
func (r *report) failed() bool {
	for _, byTable := range r.cells {
		for _, c := range byTable {
			if c.Status == fail {
				return true
			}
		}
	}
	return slices.ContainsFunc(r.runs, func(run runResult) bool { return run.Status == fail })
}

// maxListed bounds the list of failures: a snapshot refused as a whole
// fails every table, which the causes already say.
const maxListed = 300

var statusNames = map[status]string{notRun: "n/a", pass: "pass", refused: "refused", fail: "FAIL"}

// print writes the summary by check, the --all runs, the failures and
// refusals grouped by cause (with an example table each), and every
// failure with its first error.
func (r *report) print(w io.Writer) {
	for _, n := range slices.Concat(r.header, []string{""}, r.notes) {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "check\tpass\tfail\trefused\tn/a\t")
	for _, c := range r.checks {
		var n [4]int
		for _, table := range r.tables {
			n[r.cells[c][table].Status]++
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", c, n[pass], n[fail], n[refused], n[notRun])
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, run := range r.runs {
		fmt.Fprintf(w, "%-8s %s", statusNames[run.Status], run.Name)
		if run.Detail != "" {
			fmt.Fprintf(w, ": %s", abbreviate(run.Detail, 400))
		}
		fmt.Fprintln(w)
	}
	for _, st := range []status{fail, refused} {
		causes := r.causes(st)
		if len(causes) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s by cause (count, check, cause, e.g. table: first error):\n", statusNames[st])
		for _, c := range causes {
			fmt.Fprintf(w, "%5d  %s: %s\n       e.g. %s: %s\n", c.count, c.check, c.cause, c.table, abbreviate(c.detail, 400))
		}
	}
	var fails []string
	for _, c := range r.checks {
		for _, table := range r.tables {
			if cl := r.cells[c][table]; cl.Status == fail && cl.Detail != snapshotRefused {
				fails = append(fails, fmt.Sprintf("FAIL  %s  %s: %s", c, table, abbreviate(cl.Detail, 400)))
			}
		}
	}
	if len(fails) > 0 {
		fmt.Fprintf(w, "\nevery failure (check, table: first error):\n")
		for _, f := range fails[:min(len(fails), maxListed)] {
			fmt.Fprintln(w, f)
		}
		if len(fails) > maxListed {
			fmt.Fprintf(w, "... and %d more, of the causes above\n", len(fails)-maxListed)
		}
	}
}

// cause is the failures (or refusals) of one check with one error, up to
// names and numbers.
type cause struct {
	check, cause, table, detail string
	count                       int
}

func (r *report) causes(st status) []cause {
	byKey := map[string]*cause{}
	var out []*cause
	for _, c := range r.checks {
		for _, table := range r.tables {
			cl := r.cells[c][table]
			if cl.Status != st {
				continue
			}
			key := c + "\x00" + causeOf(cl.Detail)
			if byKey[key] == nil {
				byKey[key] = &cause{check: c, cause: causeOf(cl.Detail), table: table, detail: cl.Detail}
				out = append(out, byKey[key])
			}
			byKey[key].count++
		}
	}
	slices.SortStableFunc(out, func(a, b *cause) int { return cmp.Compare(b.count, a.count) })
	causes := make([]cause, len(out))
	for i, c := range out {
		causes[i] = *c
	}
	return causes
}

var (
	psqlPrefix = regexp.MustCompile(`psql:[^:]*:\d+: `)
	quoted     = regexp.MustCompile(`"(?:[^"]|"")*"`)
	identLike  = regexp.MustCompile(`\b[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$."]*`)
	numbers    = regexp.MustCompile(`\b\d+\b`)
	nameList   = regexp.MustCompile(`…(?:, …)+`)
)

// causeOf is an error without what varies from table to table (names,
// numbers, psql's file and line), so that failures group by cause.
func causeOf(detail string) string {
	s := psqlPrefix.ReplaceAllString(detail, "")
	s = quoted.ReplaceAllString(s, `"…"`)
	s = identLike.ReplaceAllString(s, "…")
	s = numbers.ReplaceAllString(s, "N")
	s = nameList.ReplaceAllString(s, "…")
	// A refusal gives a reason per table: one of each will do.
	s = strings.Join(slices.Compact(strings.Split(s, "; ")), "; ")
	return abbreviate(s, 160)
}

// firstError is the line of a (multi-line) error that says what went
// wrong: psql's first ERROR, else the first line; abbreviated.
func firstError(err error) string {
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	first := strings.TrimSpace(lines[0])
	for i, line := range lines {
		if strings.Contains(line, "ERROR:") {
			first = strings.TrimSpace(line)
			// The statement psql names on the next lines, if any.
			for _, more := range lines[i+1 : min(i+3, len(lines))] {
				if m := strings.TrimSpace(more); strings.HasPrefix(m, "LINE ") || strings.HasPrefix(m, "DETAIL:") {
					first += " | " + m
				}
			}
			break
		}
	}
	return abbreviate(strings.Join(strings.Fields(first), " "), 400)
}

// abbreviate shortens s to about n bytes by cutting out its middle: an
// error often ends with what went wrong, after a long list of tables.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := strings.ToValidUTF8(s[:n/3], "")
	tail := strings.ToValidUTF8(s[len(s)-n*2/3:], "")
	return head + " … " + tail
}
