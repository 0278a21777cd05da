package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/extract"
)

// resultSuccess is a session after an overwrite of two tables, verified,
// with a safety snapshot.
func resultSuccess(t *testing.T) *Session {
	s := tablesSession(t)
	s.Mode = apply.Overwrite
	s.Tables = []extract.Name{progressOrders, {Schema: "public", Name: "order_items"}}
	s.Result = &apply.Result{
		Outcome:   apply.Committed,
		XID:       7310,
		AuditID:   "20261122T120000Z-7f3a9c",
		SafetyKey: "demo/safety/20261122T120000Z-7f3a9c.sql.gz",
		Checks: []apply.Check{
			{Table: progressOrders, Want: 55, Got: 55, OK: true},
			{Table: extract.Name{Schema: "public", Name: "order_items"}, Want: 140, Got: 140, OK: true},
		},
		Duration: 3*time.Second + 200*time.Millisecond,
	}
	return s
}

// resultRefused is a session after a refused overwrite.
func resultRefused(t *testing.T) (*Session, error) {
	s := tablesSession(t)
	s.Mode = apply.Overwrite
	s.Tables = []extract.Name{progressOrders}
	s.Result = &apply.Result{Outcome: apply.NotStarted, AuditID: "20261122T120000Z-1b2c3d"}
	err := &apply.RefusedError{Reasons: []string{
		"public.order_items references public.orders (FOREIGN KEY order_items_order_id_fkey) but is not selected",
		"public.orders: column note is text NOT NULL on the target, missing in the snapshot",
	}}
	return s, err
}

// resultCommittedRecordFailed is a session after an overwrite that
// committed and then failed to record it in its audit record.
func resultCommittedRecordFailed(t *testing.T) (*Session, error) {
	s := resultSuccess(t)
	return s, fmt.Errorf("the restore was committed; recording it in audit record demo/audit/20261122T120000Z-7f3a9c.json failed (it still says running): %w; "+
		"undo still works: it asks the target whether transaction 7310 committed", errors.New("put: connection reset by peer"))
}

// resultUnknown is a session after an overwrite whose COMMIT was sent and
// whose acknowledgement was lost.
func resultUnknown(t *testing.T) (*Session, error) {
	s := resultSuccess(t)
	s.Result.Outcome, s.Result.Checks = apply.Unknown, nil
	return s, errors.New("commit on the target postgres@db:5432/demo: the COMMIT was sent, but its acknowledgement was lost and asking the target failed too: unexpected EOF")
}

func TestResultGolden(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run("committed-record-failed/"+goldenSize(size.w, size.h), func(t *testing.T) {
			s, err := resultCommittedRecordFailed(t)
			goldenRun(t, s, NewResultScreen(s, err), size.w, size.h, "undo", nil)
		})
		t.Run("unknown/"+goldenSize(size.w, size.h), func(t *testing.T) {
			s, err := resultUnknown(t)
			goldenRun(t, s, NewResultScreen(s, err), size.w, size.h, "txid_status", nil)
		})
		t.Run("success/"+goldenSize(size.w, size.h), func(t *testing.T) {
			s := resultSuccess(t)
			goldenRun(t, s, NewResultScreen(s, nil), size.w, size.h, "Restored and verified.", nil)
		})
		t.Run("refused/"+goldenSize(size.w, size.h), func(t *testing.T) {
			s, err := resultRefused(t)
			goldenRun(t, s, NewResultScreen(s, err), size.w, size.h, "refused", nil)
		})
		// As an overwrite cancelled with Esc, y comes back from apply.
		t.Run("cancelled/"+goldenSize(size.w, size.h), func(t *testing.T) {
			s := tablesSession(t)
			s.Mode = apply.Overwrite
			s.Tables = []extract.Name{progressOrders}
			s.Result = &apply.Result{Outcome: apply.RolledBack, XID: 7311, AuditID: "20261122T120000Z-5e6f7a"}
			err := fmt.Errorf("the restore was stopped (%w): copy public.orders: read tcp 10.0.0.2:50412->10.0.0.3:5432: use of closed network connection", context.Canceled)
			goldenRun(t, s, NewResultScreen(s, err), size.w, size.h, "cancelled", nil)
		})
	}
}

func TestResultView(t *testing.T) {
	newProject := func(t *testing.T) (*Session, error) {
		s := resultSuccess(t)
		s.Mode = apply.NewProject
		s.Database = "sup42"
		s.Result.SafetyKey = ""
		s.Result.Database = &apply.Database{Name: "sup42", URL: "postgres://admin:s3cret@db:5432/postgres",
			Connect: "postgresql://admin@db:5432/sup42"}
		return s, nil
	}
	mismatch := func(t *testing.T) (*Session, error) {
		s := resultSuccess(t)
		s.Result.Checks[1].Got, s.Result.Checks[1].OK = 139, false
		return s, nil
	}
	quotedTicket := func(t *testing.T) (*Session, error) {
		s := resultSuccess(t)
		s.Ticket.ID = "SUP 42"
		return s, nil
	}
	failed := func(t *testing.T) (*Session, error) {
		s := tablesSession(t)
		s.Mode = apply.Merge
		return s, fmt.Errorf("restore: connect to the target: %w", errors.New("connection refused"))
	}
	unchanged := func(outcome apply.Outcome, err error) func(t *testing.T) (*Session, error) {
		return func(t *testing.T) (*Session, error) {
			s := tablesSession(t)
			s.Mode = apply.Overwrite
			s.Result = &apply.Result{Outcome: outcome, XID: 7311, AuditID: "a-unchanged"}
			return s, err
		}
	}
	cancelled := unchanged(apply.RolledBack, fmt.Errorf("the restore was stopped (%w): copy public.orders: conn closed", context.Canceled))
	notStartedCancelled := unchanged(apply.NotStarted, fmt.Errorf("overwrite: %w", context.Canceled))
	cancelledRecordFailed := unchanged(apply.RolledBack, errors.Join(
		fmt.Errorf("the restore was stopped (%w): read: use of closed network connection", context.Canceled),
		errors.New("record the outcome: put: denied")))
	busy := unchanged(apply.NotStarted, fmt.Errorf("safety snapshot: %w", &apply.BusyError{Tables: []extract.Name{progressOrders}, Wait: 10 * time.Second, Who: "the safety snapshot"}))
	rolledBack := unchanged(apply.RolledBack, errors.New("verify public.orders: 54 rows, want 55"))
	// Committed although the error says it was stopped: the outcome wins.
	committedCancelled := func(t *testing.T) (*Session, error) {
		s := resultSuccess(t)
		return s, fmt.Errorf("the restore was stopped (%w): write the audit record: boom", context.Canceled)
	}
	unknownNoXID := func(t *testing.T) (*Session, error) {
		s, err := resultUnknown(t)
		s.Result.XID = 0
		return s, err
	}
	for _, tc := range []struct {
		name      string
		session   func(*testing.T) (*Session, error)
		want, not []string
	}{
		{"overwrite", func(t *testing.T) (*Session, error) { return resultSuccess(t), nil },
			[]string{"Restored and verified.", "public.orders", "55", "ok", "duration      3s", "audit record  20261122T120000Z-7f3a9c",
				"safety        demo/safety/20261122T120000Z-7f3a9c.sql.gz",
				"restorectl undo 20261122T120000Z-7f3a9c --project demo --ticket SUP-42 --yes"},
			[]string{"MISMATCH", "psql"}},
		{"new project", newProject,
			[]string{"Restored and verified.", "connect with:", "psql postgresql://admin@db:5432/sup42"},
			[]string{"s3cret", "undo", "safety"}},
		{"mismatch", mismatch, []string{"verification FAILED", "MISMATCH", "139"}, nil},
		{"quoted ticket", quotedTicket, []string{"--ticket 'SUP 42' --yes"}, nil},
		{"refused", resultRefused,
			[]string{"The restore was refused:", "order_items_order_id_fkey", "column note", "Nothing was changed: the target is as it was.",
				"audit record  20261122T120000Z-1b2c3d", "Esc goes back"},
			[]string{"undo"}},
		{"failed", failed,
			[]string{"The restore failed:", "connection refused", "Nothing was changed", "check the target is reachable"},
			[]string{"audit record"}},
		{"no result", func(t *testing.T) (*Session, error) {
			s := tablesSession(t)
			s.Mode = apply.Overwrite
			return s, errors.New("write the audit record of the restore (nothing was changed): denied")
		}, []string{"The restore failed:", "Nothing was changed: the target is as it was.", "Esc goes"}, []string{"undo", "txid_status"}},
		{"cancelled", cancelled,
			[]string{"The restore was cancelled.", "Nothing was changed", "rolled back", "audit record  a-unchanged", "start it again"},
			// What the cancel interrupted is not a failure to report.
			[]string{"failed", "reachable", "undo", "conn closed", "context canceled"}},
		{"cancelled before starting", notStartedCancelled,
			[]string{"The restore was cancelled.", "Nothing was changed: the target is as it was.", "start it again"},
			[]string{"failed", "reachable", "rolled back", "context canceled"}},
		{"cancelled, recording failed", cancelledRecordFailed,
			[]string{"The restore was cancelled.", "record the outcome: put: denied", "Nothing was changed", "start it again"},
			[]string{"failed:", "conn closed"}},
		{"busy", busy,
			[]string{"The restore found a table busy:", "table public.orders is busy", "Nothing was changed: the target is as it was.",
				"Next: the table is busy: try again in a moment or at a quieter time"},
			[]string{"reachable", "undo"}},
		{"rolled back", rolledBack,
			[]string{"The restore failed:", "54 rows, want 55", "Nothing was changed: the restore was rolled back and the target is as it was.",
				"audit record  a-unchanged", "back to confirm to try again"},
			[]string{"undo", "txid_status"}},
		{"committed, recording failed", resultCommittedRecordFailed,
			[]string{"Restored and verified.", "Warning: the restore is committed (the target has changed)",
				"recording it in audit record demo/audit/20261122T120000Z-7f3a9c.json failed", "connection reset by peer",
				"safety        demo/safety/20261122T120000Z-7f3a9c.sql.gz",
				"restorectl undo 20261122T120000Z-7f3a9c --project demo --ticket SUP-42 --yes", "Enter or q quits."},
			[]string{"Nothing was changed", "try again", "Esc goes", "The restore failed"}},
		{"committed, then cancelled", committedCancelled,
			[]string{"Restored and verified.", "Warning: the restore is committed", "restorectl undo 20261122T120000Z-7f3a9c"},
			[]string{"Nothing was changed", "start it again", "The restore was cancelled"}},
		{"unknown", resultUnknown,
			[]string{"The target may or may not have changed.", "acknowledgement was lost",
				"SELECT pg_catalog.txid_status(7310);", "committed    the restore is done", "aborted      nothing was changed",
				"safety        demo/safety/20261122T120000Z-7f3a9c.sql.gz", "restorectl undo 20261122T120000Z-7f3a9c",
				"Do not restore again"},
			[]string{"Nothing was changed:", "try again", "Esc goes", "Restored and verified"}},
		{"unknown without a transaction", unknownNoXID,
			[]string{"The target may or may not have changed.", "compare the tables with its safety snapshot"},
			[]string{"txid_status(0)", "Nothing was changed:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.session(t)
			r := NewResultScreen(s, err)
			r.SetSize(200, 40)
			v := r.View()
			for _, w := range tc.want {
				if !strings.Contains(v, w) {
					t.Errorf("view lacks %q:\n%s", w, v)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(v, w) {
					t.Errorf("view has %q:\n%s", w, v)
				}
			}
			r.SetSize(40, 8)
			v = r.View()
			lines := strings.Split(v, "\n")
			if len(lines) > 8 {
				t.Errorf("%d lines in 8", len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > 40 {
					t.Errorf("line %d is %d wide in 40: %q", i+1, w, l)
				}
			}
		})
	}
}

// resultApp is the console at the result screen above confirm and the
// finished progress screen.
func resultApp(s *Session, err error) *App {
	a := New(s, &resultStub{title: "6 Confirm"})
	a.stack = append(a.stack, &resultStub{title: "7 Restoring"}, NewResultScreen(s, err))
	return a
}

// resultStub stands for the screens below the result.
type resultStub struct{ title string }

func (r *resultStub) Init() tea.Cmd                    { return nil }
func (r *resultStub) Update(tea.Msg) (Screen, tea.Cmd) { return r, nil }
func (r *resultStub) View() string                     { return r.title }
func (r *resultStub) SetSize(int, int)                 {}
func (r *resultStub) Title() string                    { return r.title }
func (r *resultStub) KeyMap() help.KeyMap              { return resultKeys{} }
func (r *resultStub) Typing() bool                     { return false }

// resultSequence returns the commands of tea.Sequence's message (its
// type is unexported: a slice of tea.Cmd).
func resultSequence(msg tea.Msg) []tea.Cmd {
	v := reflect.ValueOf(msg)
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i] = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds
}

func TestResultKeys(t *testing.T) {
	for _, k := range []tea.KeyMsg{{Type: tea.KeyEnter}, {Type: tea.KeyRunes, Runes: []rune{'q'}}} {
		for _, failure := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s failure=%v", k, failure), func(t *testing.T) {
				s, err := resultRefused(t)
				if !failure {
					s, err = resultSuccess(t), nil
				}
				a := resultApp(s, err)
				_, cmd := a.Update(k)
				if cmd == nil {
					t.Fatal("no command")
				}
				if _, ok := cmd().(tea.QuitMsg); !ok {
					t.Errorf("%s does not quit", k)
				}
			})
		}
	}
	t.Run("esc after success stays", func(t *testing.T) {
		a := resultApp(resultSuccess(t), nil)
		_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyEsc})
		if cmd != nil || len(a.stack) != 3 {
			t.Errorf("Esc after a success: command %v, %d screens", cmd, len(a.stack))
		}
		if v := a.View(); !strings.Contains(v, "No going back") {
			t.Errorf("Esc after a success does not say why:\n%s", v)
		}
	})
	// Only a restore that left the target as it was offers to go back
	// and try again; one that committed, or may have, does not.
	for _, tc := range []struct {
		name    string
		session func(*testing.T) (*Session, error)
	}{
		{"committed, recording failed", resultCommittedRecordFailed},
		{"unknown", resultUnknown},
	} {
		t.Run("esc after "+tc.name+" stays", func(t *testing.T) {
			s, err := tc.session(t)
			a := resultApp(s, err)
			if h := a.help.View(a.keys()); !strings.Contains(h, "(no going back)") {
				t.Errorf("the help offers going back: %s", h)
			}
			_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyEsc})
			if cmd != nil || len(a.stack) != 3 {
				t.Errorf("Esc: command %v, %d screens", cmd, len(a.stack))
			}
			if v := a.View(); !strings.Contains(v, "No going back") {
				t.Errorf("Esc does not say why it stays:\n%s", v)
			}
		})
	}
	t.Run("esc after failure goes back to confirm", func(t *testing.T) {
		s, err := resultRefused(t)
		a := resultApp(s, err)
		_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyEsc})
		if cmd == nil {
			t.Fatal("no command")
		}
		// tea.Sequence: run its commands in order, as the program does.
		msg := cmd()
		var cmds []tea.Cmd
		if v := fmt.Sprintf("%T", msg); v == "tea.sequenceMsg" {
			cmds = resultSequence(msg)
		} else {
			t.Fatalf("Esc returned %T, want a sequence of two Back", msg)
		}
		for _, c := range cmds {
			a.Update(c())
		}
		if len(a.stack) != 1 || a.top().Title() != "6 Confirm" {
			t.Errorf("after Esc: %d screens, top %q; want the confirm screen", len(a.stack), a.top().Title())
		}
	})
}
