package apply

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/testenv"
)

// A hostile customer's snapshot (and target: they own that too) calls
// public.pwn from a CHECK, a domain, an index expression, a generated
// column or a default. pwn escalates when it runs as a superuser, as it
// did when restores ran the customer's code as one.

// pwnIfSuper is the attack of the issue: harmless unless it runs as a
// superuser. It notes who it ran as in public.aa_seen. psql sessions (the
// tests' own set-up) are left alone.
const pwnIfSuper = `
CREATE OR REPLACE FUNCTION public.pwn_inner(v integer) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
	IF current_setting('application_name') = 'psql' THEN RETURN true; END IF;
	IF current_database() NOT LIKE 'np\_%' THEN -- a new project's rows are counted
		INSERT INTO public.aa_seen VALUES (current_user, current_setting('is_superuser'));
	END IF;
	IF current_setting('is_superuser') = 'on' THEN
		EXECUTE 'ALTER ROLE {{cust}} SUPERUSER';
		EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {{file}}''';
	END IF;
	RETURN true;
END $f$;`

// pwnEscape is a smarter attack: it tries to shed whatever role the
// session was given before escalating.
const pwnEscape = `
CREATE OR REPLACE FUNCTION public.pwn_inner(v integer) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
	IF current_setting('application_name') = 'psql' THEN RETURN true; END IF;
	BEGIN EXECUTE 'RESET ROLE'; EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE 'SET SESSION AUTHORIZATION DEFAULT'; EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE 'SET ROLE postgres'; EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE 'ALTER ROLE {{cust}} SUPERUSER'; EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {{file}}'''; EXCEPTION WHEN others THEN NULL; END;
	RETURN true;
END $f$;`

// pwnWrapper lets index expressions and generated columns, which take
// only immutable functions, call the attack (a volatile function: only
// those may write).
const pwnWrapper = `
CREATE OR REPLACE FUNCTION public.pwn(v integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
	RETURN public.pwn_inner(v);
END $f$;`

// privilegeCase is where the snapshot calls pwn.
type privilegeCase struct {
	name string
	// schema creates public.accounts (and what it needs) calling pwn.
	schema string
	// drift is applied to the target (as its owner) before the restore.
	drift string
	// newProject says the case applies to a new project: a default runs
	// only for a column the rows do not carry, which only a target can add.
	newProject bool
	// mayNotRun says a restore may not run pwn at all: a policy the owner
	// is exempted from (for the transaction) and the admin bypasses.
	mayNotRun bool
}

var privilegeCases = []privilegeCase{
	{name: "check", newProject: true,
		schema: `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer CHECK (public.pwn(balance)));`},
	{name: "domain check", newProject: true,
		schema: `CREATE DOMAIN public.amount AS integer CHECK (public.pwn(VALUE));
			CREATE TABLE public.accounts (id integer PRIMARY KEY, balance public.amount);`},
	{name: "index expression", newProject: true,
		schema: `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer);
			CREATE INDEX accounts_pwn ON public.accounts ((public.pwn(balance)));`},
	{name: "generated column", newProject: true,
		schema: `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer,
			ok boolean GENERATED ALWAYS AS (public.pwn(balance)) STORED);`},
	{name: "row security policy", newProject: true, mayNotRun: true,
		schema: `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer);
			ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
			ALTER TABLE public.accounts FORCE ROW LEVEL SECURITY;
			CREATE POLICY accounts_pwn ON public.accounts USING (public.pwn(balance)) WITH CHECK (public.pwn(balance));`},
	{name: "default",
		schema: `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer);`,
		drift:  `ALTER TABLE public.accounts ADD COLUMN flagged boolean DEFAULT public.pwn(0);`},
}

// privilegeSetup is the customer's database: pwn harmless while the rows
// go in, then replaced by attack.
func privilegeSetup(c privilegeCase, attack, cust, file string) string {
	return `CREATE TABLE public.aa_seen (who text, super text);
		CREATE FUNCTION public.pwn_inner(v integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';` + pwnWrapper +
		c.schema + `
		INSERT INTO public.accounts (id, balance) SELECT g, g * 10 FROM generate_series(1, 20) g;` +
		strings.NewReplacer("{{cust}}", cust, "{{file}}", file).Replace(attack)
}

// privilegeVictim creates the role the attack tries to make a superuser,
// and names the file its program would create.
func privilegeVictim(t *testing.T, pg *testenv.Postgres) (cust, file string) {
	t.Helper()
	cust = "cust_" + strings.ToLower(rand.Text()[:10])
	pg.Exec(t, "postgres", "CREATE ROLE "+cust+" LOGIN")
	t.Cleanup(func() { adminExec(t, pg, "DROP ROLE IF EXISTS "+cust) })
	// The server runs programs as its own OS user: a world-writable place.
	file = filepath.Join(os.TempDir(), "restorectl-pwned-"+cust)
	os.Remove(file)
	t.Cleanup(func() { os.Remove(file) })
	return cust, file
}

// assertNotEscalated fails if the attack succeeded.
func assertNotEscalated(t *testing.T, s *tgtScenario, cust, file string) {
	t.Helper()
	if super := s.query(t, "postgres", fmt.Sprintf("SELECT rolsuper::text FROM pg_roles WHERE rolname = '%s'", cust)); super != "false" {
		t.Errorf("role %s became a superuser during the restore", cust)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("the snapshot's program ran on the server: %s exists", file)
	}
}

// TestRestoreRunsCustomerCodeAsOwner: overwrite and merge run the
// customer's CHECK, domain, index, generated column and default as the
// table's owner (never a superuser): the attack gets nowhere, and the
// restore of a table with such functions still succeeds.
func TestRestoreRunsCustomerCodeAsOwner(t *testing.T) {
	for _, c := range privilegeCases {
		for _, mode := range []Mode{Overwrite, Merge} {
			t.Run(c.name+"/"+string(mode), func(t *testing.T) {
				pg := testenv.StartPostgres(t)
				cust, file := privilegeVictim(t, pg)
				s := newTgtScenario(t, privilegeSetup(c, pwnIfSuper, cust, file), c.drift+"DELETE FROM public.accounts WHERE id > 12;")
				pg.Exec(t, s.target, "TRUNCATE public.aa_seen")
				res, err := s.run(t.Context(), s.request(mode, "public.accounts"), nil)
				if err != nil {
					t.Fatalf("%s of an honest-looking table: %v", mode, err)
				}
				if !res.Verified() || res.Plan.Role != s.target {
					t.Errorf("verified %v, role %q; want verified, as the project's role %s", res.Verified(), res.Plan.Role, s.target)
				}
				assertNotEscalated(t, s, cust, file)
				seen := s.query(t, s.target, "SELECT coalesce(string_agg(DISTINCT who || ':' || super, ','), 'never') FROM public.aa_seen")
				if seen != s.target+":off" && (!c.mayNotRun || seen != "never") {
					t.Errorf("the customer's code ran as %s, want only as the table's owner %s (not a superuser)", seen, s.target)
				}
				if mode == Overwrite {
					if got, want := pg.TableChecksum(t, s.target, "public.accounts"), pg.TableChecksum(t, s.src, "public.accounts"); c.drift == "" && got != want {
						t.Errorf("public.accounts after the overwrite: %s, want the snapshot's %s", got, want)
					}
				}
				if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'restorectl\\_load\\_%'"); n != "0" {
					t.Errorf("%s load roles left behind", n)
				}
			})
		}
	}
}

// TestNewProjectRunsCustomerCodeAsOwner: a new project loads the
// snapshot's schema and rows as its owner role, not as the admin.
func TestNewProjectRunsCustomerCodeAsOwner(t *testing.T) {
	for _, c := range privilegeCases {
		if !c.newProject {
			continue
		}
		for _, attack := range []struct{ name, sql string }{{"if superuser", pwnIfSuper}, {"shedding the role", pwnEscape}} {
			t.Run(c.name+"/"+attack.name, func(t *testing.T) {
				pg := testenv.StartPostgres(t)
				cust, file := privilegeVictim(t, pg)
				s := newTgtScenario(t, privilegeSetup(c, attack.sql, cust, file), "")
				name := newDBName(t, pg)
				owner := "np_owner"
				cfg := Config{Store: s.store, Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: owner}}
				req := Request{Mode: NewProject, Tables: s.request(NewProject, "public.accounts").Tables, Project: "abcd1234", Database: name, Source: s.source}
				res, err := Run(t.Context(), cfg, req)
				assertNotEscalated(t, s, cust, file)
				if attack.sql == pwnEscape {
					// Shedding the owner leaves a role with no privilege at
					// all: the load may fail, and then leaves nothing.
					if err != nil && len(databases(t, pg, name+"%")) > 0 {
						t.Errorf("a failed restore left its database: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("new project: %v", err)
				}
				if !res.Verified() || res.Plan.Role != owner {
					t.Errorf("verified %v, role %q; want verified, as %s", res.Verified(), res.Plan.Role, owner)
				}
				if got, want := s.query(t, name, "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = 'public.accounts'::regclass"), owner; got != want {
					t.Errorf("public.accounts belongs to %s, want %s", got, want)
				}
			})
		}
	}
}

// TestOverwriteShedRoleGetsNothing: customer code that sheds the owner
// role (RESET ROLE, SET SESSION AUTHORIZATION) finds a role with no
// privileges under it, never the superuser the target URL logs in as.
func TestOverwriteShedRoleGetsNothing(t *testing.T) {
	pg := testenv.StartPostgres(t)
	cust, file := privilegeVictim(t, pg)
	s := newTgtScenario(t, privilegeSetup(privilegeCases[0], pwnEscape, cust, file), "DELETE FROM public.accounts WHERE id > 12;")
	_, err := s.run(t.Context(), s.request(Overwrite, "public.accounts"), nil)
	assertNotEscalated(t, s, cust, file)
	if err != nil {
		s.assertUnchanged(t)
	}
}

// TestRestoreRefusesUnsafeOwner: tables owned by a superuser, or by a
// role that can become one, are not restored by running the snapshot's
// code as their owner; the restore refuses and changes nothing.
func TestRestoreRefusesUnsafeOwner(t *testing.T) {
	for _, tc := range []struct {
		name, drift, want string
		tables            []string
	}{
		{"superuser", "ALTER TABLE public.products OWNER TO postgres;", "is a superuser", []string{"public.products"}},
		{"member of a superuser", "CREATE ROLE {{r}} SUPERUSER NOLOGIN; GRANT {{r}} TO {{owner}};", "member of a superuser", []string{"public.products"}},
		{"mixed owners", "ALTER TABLE public.audit_log OWNER TO {{r}};", "different roles", []string{"public.products", "public.audit_log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := testenv.StartPostgres(t)
			r := "other_" + strings.ToLower(rand.Text()[:10])
			if tc.name == "mixed owners" {
				pg.Exec(t, "postgres", "CREATE ROLE "+r+" NOLOGIN")
			}
			t.Cleanup(func() { adminExec(t, pg, "DROP ROLE IF EXISTS "+r) })
			s := newTgtScenario(t, tgtShop, "")
			pg.Exec(t, s.target, strings.NewReplacer("{{r}}", r, "{{owner}}", s.target).Replace(tc.drift))
			s.targetSums = tgtSums(t, pg, s.target)
			_, err := s.run(t.Context(), s.request(Overwrite, tc.tables...), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal saying %q", err, tc.want)
			}
			s.assertUnchanged(t)
		})
	}
}

// TestNewProjectRefusesExtensionInCatalog: the admin creates a snapshot's
// extensions, but never into pg_catalog, where they would shadow the
// catalog for every session of the new database.
func TestNewProjectRefusesExtensionInCatalog(t *testing.T) {
	pg := testenv.StartPostgres(t)
	s := newTgtScenario(t, `CREATE EXTENSION hstore WITH SCHEMA pg_catalog; CREATE TABLE public.t (id integer PRIMARY KEY);`, "")
	name := newDBName(t, pg)
	cfg := Config{Store: s.store, Provisioner: &PostgresProvisioner{AdminURL: pg.URL("postgres"), Owner: "np_owner"}}
	_, err := Run(t.Context(), cfg, Request{Mode: NewProject, All: true, Project: "abcd1234", Database: name, Source: s.source})
	if err == nil || !strings.Contains(err.Error(), "into pg_catalog") {
		t.Fatalf("err = %v, want a refusal of the extension in pg_catalog", err)
	}
	if dbs := databases(t, pg, name+"%"); len(dbs) > 0 {
		t.Errorf("the refused restore left %v", dbs)
	}
}

// TestMergeForcedRowSecurityBusy: lifting FORCE ROW LEVEL SECURITY for the
// restore's transaction takes ACCESS EXCLUSIVE; with a reader's
// transaction open on the table, the merge gives up within the lock
// timeout, says the table is busy, and changes nothing (FORCE stays).
func TestMergeForcedRowSecurityBusy(t *testing.T) {
	s := newTgtScenario(t, `CREATE TABLE public.accounts (id integer PRIMARY KEY, balance integer);
		INSERT INTO public.accounts SELECT g, g FROM generate_series(1, 20) g;
		ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
		ALTER TABLE public.accounts FORCE ROW LEVEL SECURITY;
		CREATE POLICY everyone ON public.accounts USING (true);`, "DELETE FROM public.accounts WHERE id > 12;")
	tx := s.hold(t, "SELECT count(*) FROM public.accounts")
	req := s.request(Merge, "public.accounts")
	req.LockTimeout = 500 * time.Millisecond
	_, err := s.run(t.Context(), req, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "table public.accounts is busy") {
		t.Fatalf("err = %v, want a BusyError saying public.accounts is busy", err)
	}
	tx.Rollback(t.Context())
	s.assertUnchanged(t)
	if f := s.query(t, s.target, "SELECT relforcerowsecurity::text FROM pg_class WHERE oid = 'public.accounts'::regclass"); f != "true" {
		t.Errorf("public.accounts lost FORCE ROW LEVEL SECURITY")
	}
	if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'restorectl\\_load\\_%'"); n != "0" {
		t.Errorf("%s load roles left behind", n)
	}
}

// TestDryRunCustomerCodeWritesNothing: a dry run reads a hostile snapshot
// in a read-only transaction. Whatever of the customer's code it runs
// (merge stages the rows: CHECKs and domains fire) runs as the owner and
// can write nothing: the attack's own table stays empty, no role is
// escalated, the target is unchanged. Should the code insist on writing,
// the dry run fails instead.
func TestDryRunCustomerCodeWritesNothing(t *testing.T) {
	for _, c := range privilegeCases {
		for _, mode := range []Mode{Overwrite, Merge} {
			t.Run(c.name+"/"+string(mode), func(t *testing.T) {
				pg := testenv.StartPostgres(t)
				cust, file := privilegeVictim(t, pg)
				s := newTgtScenario(t, privilegeSetup(c, pwnIfSuper, cust, file), c.drift+"DELETE FROM public.accounts WHERE id > 12;")
				pg.Exec(t, s.target, "TRUNCATE public.aa_seen")
				s.targetSums = tgtSums(t, pg, s.target)
				req := s.request(mode, "public.accounts")
				req.DryRun = true
				res, err := s.run(t.Context(), req, nil)
				if err != nil && !strings.Contains(err.Error(), "read-only transaction") {
					t.Errorf("dry run: %v, want success or a refused write", err)
				}
				if c.mayNotRun && mode == Merge && (err != nil || !slices.ContainsFunc(res.Plan.Warnings, func(w string) bool {
					return strings.Contains(w, "a dry run cannot compare their rows")
				})) {
					t.Errorf("merge dry run of a table forcing row security: %v, warnings %q; want it left uncounted, saying so", err, res.Plan.Warnings)
				}
				assertNotEscalated(t, s, cust, file)
				s.assertUnchanged(t)
				if n := s.query(t, "postgres", "SELECT count(*)::text FROM pg_roles WHERE rolname LIKE 'restorectl\\_load\\_%'"); n != "0" {
					t.Errorf("%s load roles left behind", n)
				}
			})
		}
	}
}
