package apply

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/extract"
)

// SequenceAction is what a restore does to one sequence.
type SequenceAction string

// Sequence actions. setval is not transactional: a sequence moved back
// stays back even when the restore rolls back, and the application's next
// INSERT then meets keys it handed out already. So a restore sets
// sequences last (after verification), and only forward unless asked.
const (
	// SeqSet moves the sequence forward to the snapshot's value (or sets
	// one the restore creates).
	SeqSet SequenceAction = "set"
	// SeqIfAhead sets it to the snapshot's value if that is ahead: the
	// plan could not read the value (an index written by an older
	// restorectl), the load does.
	SeqIfAhead SequenceAction = "set if ahead"
	// SeqKept leaves it: the snapshot's value is not ahead of the target's.
	SeqKept SequenceAction = "kept"
	// SeqRewound moves it back to the snapshot's value, as
	// Request.RewindSequences asks.
	SeqRewound SequenceAction = "rewound"
	// SeqNotOwned leaves it: no restored table owns it (it may be shared
	// with tables the restore leaves alone, which undo cannot put back).
	SeqNotOwned SequenceAction = "not owned"
)

// SequencePlan is what a restore does to one sequence of its selection.
// Values are the next value nextval returns: Now on the target before the
// restore (Exists false: the restore creates the sequence), Snapshot the
// snapshot's (0 while unknown), After on the target after the restore.
type SequencePlan struct {
	Name     string         `json:"name"`
	Exists   bool           `json:"exists"`
	Now      int64          `json:"now"`
	Snapshot int64          `json:"snapshot"`
	After    int64          `json:"after"`
	Action   SequenceAction `json:"action"`

	seq      extract.Name
	known    bool  // Snapshot is known
	value    int64 // the snapshot's setval: value and is_called
	called   bool
	inc      int64
	ownerOID uint32
}

// nextValue is what nextval returns after setval(value, called) on a
// sequence counting by inc (saturating at the ends of bigint).
func nextValue(value int64, called bool, inc int64) int64 {
	switch {
	case !called:
		return value
	case inc > 0 && value > math.MaxInt64-inc, inc < 0 && value < math.MinInt64-inc:
		return value
	}
	return value + inc
}

// ahead says a is further than b in the direction the sequence counts.
func ahead(a, b, inc int64) bool {
	if inc < 0 {
		return a < b
	}
	return a > b
}

// planSequences reads, for every sequence the selection sets, what the
// target has and decides what the restore does with it.
func (t *targetRun) planSequences(ctx context.Context, planned []entryAction) ([]SequencePlan, error) {
	toc := t.r.req.Source.TOC
	owners := map[uint32]bool{}
	for _, n := range t.existing() {
		owners[t.onTarget[n].OID] = true
	}
	var out []SequencePlan
	for i, a := range planned {
		if a != actSequence {
			continue
		}
		e := &toc.Entries[i]
		sp := SequencePlan{Name: e.Object.String(), seq: e.Object, inc: 1}
		sp.value, sp.called, sp.known = extract.ParseSetvalDetail(e.Detail)
		if err := t.readSequence(ctx, t.admin, &sp); err != nil {
			return nil, err
		}
		t.decide(&sp)
		if sp.Exists && !owners[sp.ownerOID] {
			sp.Action, sp.After = SeqNotOwned, sp.Now
		}
		out = append(out, sp)
	}
	return out, nil
}

// readSequence fills in what the target has of sp's sequence: whether it
// exists, its increment, the table that owns it and its next value.
// Reading a sequence runs none of the customer's code.
func (t *targetRun) readSequence(ctx context.Context, q querier, sp *SequencePlan) error {
	err := q.QueryRow(ctx, `SELECT s.seqincrement, coalesce((SELECT d.refobjid FROM pg_catalog.pg_depend d
			WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
			AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), 0)
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
		WHERE n.nspname = $1 AND c.relname = $2`, sp.seq.Schema, sp.seq.Name).Scan(&sp.inc, &sp.ownerOID)
	if errors.Is(err, pgx.ErrNoRows) {
		sp.Exists = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("read sequence %s on the target: %w", sp.seq, err)
	}
	sp.Exists = true
	var last int64
	var called bool
	if err := q.QueryRow(ctx, "SELECT last_value, is_called FROM "+sp.seq.String()).Scan(&last, &called); err != nil {
		return fmt.Errorf("read sequence %s on the target: %w", sp.seq, err)
	}
	sp.Now = nextValue(last, called, sp.inc)
	return nil
}

// decide sets sp's action and after-value from its snapshot value and
// the target's.
func (t *targetRun) decide(sp *SequencePlan) {
	if sp.known {
		sp.Snapshot = nextValue(sp.value, sp.called, sp.inc)
	}
	switch {
	case !sp.known:
		sp.Action, sp.After = SeqIfAhead, sp.Now
		if !sp.Exists {
			sp.Action = SeqSet
		}
	case !sp.Exists, ahead(sp.Snapshot, sp.Now, sp.inc):
		sp.Action, sp.After = SeqSet, sp.Snapshot
	case sp.Snapshot != sp.Now && t.r.req.RewindSequences:
		sp.Action, sp.After = SeqRewound, sp.Snapshot
	default:
		sp.Action, sp.After = SeqKept, sp.Now
	}
}

// setval records the snapshot's setval of a sequence as the load meets
// it; setSequences runs it at the end.
func (t *targetRun) setval(e *extract.Entry, it *extract.Item) {
	_, v, called, ok := parseSetval(it.SQL)
	for i := range t.r.res.Plan.Sequences {
		sp := &t.r.res.Plan.Sequences[i]
		if sp.seq != e.Object {
			continue
		}
		if !ok {
			sp.Action, sp.After = SeqKept, sp.Now
			t.r.res.Plan.Warnings = append(t.r.res.Plan.Warnings, fmt.Sprintf("sequence %s: its setval is not in pg_dump's form, left as the target has it", e.Object))
			return
		}
		sp.value, sp.called, sp.known = v, called, true
	}
}

// setSequences sets the sequences, last, after verification: each as
// decided against its value now (the application may have moved it on
// since the plan), never backwards unless asked.
func (t *targetRun) setSequences(ctx context.Context) error {
	for i := range t.r.res.Plan.Sequences {
		sp := &t.r.res.Plan.Sequences[i]
		if sp.Action == SeqNotOwned || !sp.known {
			continue
		}
		exists := sp.Exists
		if err := t.readSequence(ctx, t.tx, sp); err != nil {
			return err
		}
		if !exists {
			sp.Exists = false // created by the restore: set it as the snapshot has it
		}
		t.decide(sp)
		if sp.Action == SeqKept {
			continue
		}
		t.r.progress(Event{Phase: PhaseVerify, Message: fmt.Sprintf("setting sequence %s: next value %d → %d", sp.seq, sp.Now, sp.After)})
		if _, err := t.tx.Exec(ctx, "SELECT pg_catalog.setval($1::regclass, $2, $3)", sp.seq.String(), sp.value, sp.called); err != nil {
			return fmt.Errorf("set sequence %s: %w", sp.seq, err)
		}
	}
	return nil
}

var setvalRE = regexp.MustCompile(`(?is)^\s*SELECT\s+pg_catalog\.setval\(\s*'((?:[^']|'')*)'\s*,\s*(-?\d+)\s*,\s*(true|false)\s*\)\s*;?\s*$`)

// parseSetval reads pg_dump's "SELECT pg_catalog.setval('seq', 42, true);":
// the sequence as written in the literal, its value and is_called.
func parseSetval(sql string) (seq string, value int64, called bool, ok bool) {
	m := setvalRE.FindStringSubmatch(sql)
	if m == nil {
		return "", 0, false, false
	}
	v, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return "", 0, false, false
	}
	return strings.ReplaceAll(m[1], "''", "'"), v, strings.EqualFold(m[3], "true"), true
}
