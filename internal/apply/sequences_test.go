package apply

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// sameSequencePlan compares what a plan says of a sequence.
func sameSequencePlan(a, b SequencePlan) bool {
	return a.Name == b.Name && a.Exists == b.Exists && a.Now == b.Now && a.Snapshot == b.Snapshot && a.After == b.After && a.Action == b.Action
}

// TestOverwriteRefusedKeepsSequences: setval is not transactional. The
// application moved order_items_id_seq on to 160; a restore of
// order_items refused by its foreign key check (after the load) must
// leave every sequence exactly as it was, or the application's next
// INSERT fails on a key it handed out already. Also with
// RewindSequences: sequences are set last, after the checks.
func TestOverwriteRefusedKeepsSequences(t *testing.T) {
	for _, rewind := range []bool{false, true} {
		s := newTgtScenario(t, tgtShop, `
			INSERT INTO public.order_items (order_id, qty) SELECT 1, 1 FROM generate_series(1, 100);
			DELETE FROM public.order_items WHERE order_id > 20;
			DELETE FROM public.orders WHERE id > 20;`)
		before := s.pg.Sequences(t, s.target)
		if before["public.order_items_id_seq"] != "160 true" {
			t.Fatalf("order_items_id_seq = %q before the restore, want 160", before["public.order_items_id_seq"])
		}
		req := s.request(Overwrite, "public.order_items")
		req.RewindSequences = rewind
		res, err := s.run(t.Context(), req, nil)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Fatalf("rewind %v: err = %v, want the foreign key refusal", rewind, err)
		}
		if res.Outcome != RolledBack {
			t.Errorf("rewind %v: outcome = %s, want %s", rewind, res.Outcome, RolledBack)
		}
		if after := s.pg.Sequences(t, s.target); !maps.Equal(after, before) {
			t.Errorf("rewind %v: sequences = %v after a refused restore, want %v", rewind, after, before)
		}
		s.assertUnchanged(t)
	}
}

// TestOverwriteSequences: a sequence moves forward to the snapshot's
// value; one ahead of the snapshot's is kept unless RewindSequences asks;
// a sequence that no restored table owns (shared with a table left alone)
// is never touched. The plan says each one's now → after.
func TestOverwriteSequences(t *testing.T) {
	const setup = `
		CREATE TABLE public.behind (id serial PRIMARY KEY, v text);
		CREATE TABLE public.ahead (id serial PRIMARY KEY, v text);
		CREATE SEQUENCE public.shared_seq;
		CREATE TABLE public.shares (id integer PRIMARY KEY DEFAULT nextval('public.shared_seq'), v text);
		CREATE TABLE public.other (id integer PRIMARY KEY DEFAULT nextval('public.shared_seq'), v text);
		INSERT INTO public.behind (v) SELECT 'b' FROM generate_series(1, 30);
		INSERT INTO public.ahead (v) SELECT 'a' FROM generate_series(1, 30);
		INSERT INTO public.shares (v) SELECT 's' FROM generate_series(1, 30);`
	const drift = `
		DELETE FROM public.behind WHERE id > 10; SELECT setval('public.behind_id_seq', 10);
		INSERT INTO public.ahead (v) SELECT 'new' FROM generate_series(1, 20);
		INSERT INTO public.other (v) SELECT 'o' FROM generate_series(1, 20);`
	for _, tc := range []struct {
		rewind bool
		want   []SequencePlan
		seqs   map[string]string
	}{
		{false, []SequencePlan{
			{Name: "public.ahead_id_seq", Exists: true, Now: 51, Snapshot: 31, After: 51, Action: SeqKept},
			{Name: "public.behind_id_seq", Exists: true, Now: 11, Snapshot: 31, After: 31, Action: SeqSet},
			{Name: "public.shared_seq", Exists: true, Now: 51, Snapshot: 31, After: 51, Action: SeqNotOwned},
		}, map[string]string{"public.ahead_id_seq": "50 true", "public.behind_id_seq": "30 true", "public.shared_seq": "50 true"}},
		{true, []SequencePlan{
			{Name: "public.ahead_id_seq", Exists: true, Now: 51, Snapshot: 31, After: 31, Action: SeqRewound},
			{Name: "public.behind_id_seq", Exists: true, Now: 11, Snapshot: 31, After: 31, Action: SeqSet},
			{Name: "public.shared_seq", Exists: true, Now: 51, Snapshot: 31, After: 51, Action: SeqNotOwned},
		}, map[string]string{"public.ahead_id_seq": "30 true", "public.behind_id_seq": "30 true", "public.shared_seq": "50 true"}},
	} {
		s := newTgtScenario(t, setup, drift)
		req := s.request(Overwrite, "public.behind", "public.ahead", "public.shares")
		req.RewindSequences = tc.rewind
		res, err := s.run(t.Context(), req, nil)
		if err != nil {
			t.Fatalf("rewind %v: %v", tc.rewind, err)
		}
		if res.Outcome != Committed {
			t.Errorf("rewind %v: outcome = %s, want %s", tc.rewind, res.Outcome, Committed)
		}
		got := slices.Clone(res.Plan.Sequences)
		slices.SortFunc(got, func(a, b SequencePlan) int { return strings.Compare(a.Name, b.Name) })
		if !slices.EqualFunc(got, tc.want, sameSequencePlan) {
			t.Errorf("rewind %v: plan's sequences =\n%+v\nwant\n%+v", tc.rewind, got, tc.want)
		}
		seqs := s.pg.Sequences(t, s.target)
		for seq, want := range tc.seqs {
			if seqs[seq] != want {
				t.Errorf("rewind %v: %s = %q, want %q", tc.rewind, seq, seqs[seq], want)
			}
		}
	}
}
