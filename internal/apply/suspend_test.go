package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// constraintState is every CHECK and foreign key of the user tables and
// domains as pg_constraint holds them: where, validated or not, declared
// or inherited, and the comment.
const constraintState = `
SELECT format('%s %I %s valid=%s local=%s inherited=%s comment=%s', CASE WHEN c.conrelid <> 0 THEN c.conrelid::regclass::text ELSE 'DOMAIN ' || c.contypid::regtype::text END,
              c.conname, pg_get_constraintdef(c.oid), c.convalidated, c.conislocal, c.coninhcount,
              coalesce(obj_description(c.oid, 'pg_constraint'), '-'))
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype IN ('c', 'f') AND n.nspname = 'public'
ORDER BY 1`

// TestRestoreNotValidChecks: rows older than a NOT VALID check come back
// exactly, by overwrite and by merge, whether the check is declared on the
// table, on its partitioned parent or on its inheritance parent (outside
// the selection); every constraint is left as it was, NOT VALID, declared
// where it was, with its comment.
func TestRestoreNotValidChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   Mode
		tables []string
		drift  string
	}{
		{name: "overwrite all", mode: Overwrite, drift: "DELETE FROM public.offices; DELETE FROM public.transfers WHERE account_id < 5; DELETE FROM public.accounts WHERE id < 5; DELETE FROM public.readings WHERE value < 0; DELETE FROM public.notes"},
		{name: "overwrite a partition", mode: Overwrite, tables: []string{"public.readings_2023"}, drift: "DELETE FROM public.readings WHERE value < 0"},
		{name: "overwrite an inheritance child", mode: Overwrite, tables: []string{"public.pinned_notes"}, drift: "DELETE FROM public.pinned_notes"},
		{name: "overwrite a dropped table and its domain", mode: Overwrite, tables: []string{"public.offices"},
			drift: "DROP TABLE public.offices; DROP DOMAIN public.country_code"},
		{name: "merge", mode: Merge, tables: []string{"public.accounts", "public.transfers", "public.readings", "public.notes", "public.offices"},
			drift: "DELETE FROM public.offices; DELETE FROM public.transfers WHERE account_id < 5; DELETE FROM public.accounts WHERE id < 5; DELETE FROM public.readings WHERE value < 0; DELETE FROM ONLY public.notes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTgtCorpusScenario(t, "constraints", tc.drift)
			// The source's: what the target held, or what a restore that
			// creates them must create.
			before := s.constraints(t, s.src)
			req := s.request(tc.mode, tc.tables...)
			req.All = tc.tables == nil
			res, err := s.run(t.Context(), req, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.mode, err)
			}
			if !res.Verified() {
				t.Errorf("checks = %+v", res.Checks)
			}
			for _, tbl := range s.pg.Tables(t, s.src) {
				if got, want := s.pg.TableChecksum(t, s.target, tbl), s.srcSums[tbl]; got != want {
					t.Errorf("%s = %s, want the snapshot's %s", tbl, got, want)
				}
			}
			if after := s.constraints(t, s.target); after != before {
				t.Errorf("constraints after the restore:\n%s\nbefore:\n%s", after, before)
			}
			var drops int
			for _, st := range res.Plan.Statements {
				if strings.Contains(st, "DROP CONSTRAINT") {
					drops++
				}
			}
			if drops == 0 && len(res.Created) == 0 {
				t.Errorf("the plan does not say it drops NOT VALID checks: %q", res.Plan.Statements)
			}
		})
	}
}

func (s *tgtScenario) constraints(t *testing.T, db string) string {
	t.Helper()
	conn := tgtConnect(t, s.pg.URL(db))
	rows, _ := conn.Query(t.Context(), constraintState)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestRestoreNotValidCheckHostileName: a customer's constraint name and
// comment that read like SQL are dropped and put back as they were, never
// run.
func TestRestoreNotValidCheckHostileName(t *testing.T) {
	const setup = `
CREATE TABLE public.t (id int PRIMARY KEY, v int);
INSERT INTO public.t SELECT i, i - 3 FROM generate_series(1, 10) AS i;
CREATE TABLE public.y (id int);
ALTER TABLE public.t ADD CONSTRAINT "x""; DROP TABLE public.y; --
z" CHECK (v >= 0) NOT VALID;
COMMENT ON CONSTRAINT "x""; DROP TABLE public.y; --
z" ON public.t IS E'it''s \\ a "test"''); DROP TABLE public.y; --';`
	for _, mode := range []Mode{Overwrite, Merge} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTgtScenario(t, setup, "DELETE FROM public.t WHERE v < 0")
			before := s.constraints(t, s.target)
			if _, err := s.run(t.Context(), s.request(mode, "public.t"), nil); err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			if got, want := s.pg.TableChecksum(t, s.target, "public.t"), s.srcSums["public.t"]; got != want {
				t.Errorf("public.t = %s, want the snapshot's %s", got, want)
			}
			if after := s.constraints(t, s.target); after != before {
				t.Errorf("constraints after the restore:\n%s\nbefore:\n%s", after, before)
			}
			if s.query(t, s.target, "SELECT count(*)::text FROM pg_class WHERE oid = to_regclass('public.y')") != "1" {
				t.Error("public.y was dropped")
			}
		})
	}
}

// TestNotValidCheckAncestorBusy: a NOT VALID check inherited from a parent
// outside the selection is dropped on that parent, whose readers it must
// wait for: a long reader makes the restore give up within its lock
// timeout, changing nothing, rather than queue the project behind it.
func TestNotValidCheckAncestorBusy(t *testing.T) {
	s := newTgtCorpusScenario(t, "constraints", "DELETE FROM public.pinned_notes")
	s.hold(t, "SELECT count(*) FROM ONLY public.notes")
	// Tests before this one (outcome_test.go) cut connections on purpose
	// and leave load roles: count this restore's only.
	const loadRoles = `SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'restorectl\_load\_%'`
	roles := s.query(t, "postgres", loadRoles)
	ctx, cancel := context.WithTimeout(t.Context(), busyWait)
	defer cancel()
	req := s.request(Overwrite, "public.pinned_notes")
	req.LockTimeout = time.Second
	_, err := s.run(ctx, req, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "public.notes is busy") {
		t.Fatalf("err = %v, want a BusyError on public.notes", err)
	}
	s.assertUnchanged(t)
	if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '"+s.target+"'"); n != "0" {
		t.Errorf("%s sessions of the target still wait for a lock", n)
	}
	if now := s.query(t, "postgres", loadRoles); now != roles {
		t.Errorf("load roles: %s before the restore, %s after", roles, now)
	}
}

// TestRestoreAlwaysTriggers: a trigger and a rule enabled ALWAYS fire even
// with session_replication_role = replica; a restore switches them off for
// its load (the ledger's log gains nothing) and leaves them enabled ALWAYS.
func TestRestoreAlwaysTriggers(t *testing.T) {
	const state = `
SELECT string_agg(x, ', ' ORDER BY x) FROM (
  SELECT tgname || '=' || tgenabled::text AS x FROM pg_trigger WHERE tgrelid = 'public.ledger'::regclass
  UNION ALL
  SELECT rulename || '=' || ev_enabled::text FROM pg_rewrite WHERE ev_class = 'public.ledger'::regclass) s`
	for _, mode := range []Mode{Overwrite, Merge} {
		t.Run(string(mode), func(t *testing.T) {
			s := newTgtCorpusScenario(t, "legacy", "")
			s.pg.Exec(t, s.target, "SET session_replication_role = replica; DELETE FROM public.ledger WHERE id % 10 = 0")
			before := s.query(t, s.target, state)
			log := s.pg.TableChecksum(t, s.target, "public.ledger_log")
			if _, err := s.run(t.Context(), s.request(mode, "public.ledger"), nil); err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			if got, want := s.pg.TableChecksum(t, s.target, "public.ledger"), s.srcSums["public.ledger"]; got != want {
				t.Errorf("public.ledger = %s, want the snapshot's %s", got, want)
			}
			if got := s.pg.TableChecksum(t, s.target, "public.ledger_log"); got != log {
				t.Errorf("public.ledger_log = %s, was %s: a trigger or rule fired", got, log)
			}
			if after := s.query(t, s.target, state); after != before || !strings.Contains(after, "ledger_log_row=A") {
				t.Errorf("triggers and rules: %s, before %s", after, before)
			}
		})
	}
}
