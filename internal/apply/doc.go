// Package apply turns a selection from a snapshot into changes on a
// database: overwrite the selected tables of a project, merge the rows it
// lacks, or provision a new project holding the snapshot. Every restore,
// dry runs included, leaves an audit record in the store; a destructive one
// first writes a safety snapshot of what it replaces, so that it can be
// undone.
//
// The map:
//
//	apply.go      Request, Config, Result (its Outcome), Run: one restore from start to audit record
//	plan.go       Plan: what a restore will do, table by table, for --dry-run and the audit
//	load.go       running a source's entries on a connection: statements as parsed, rows by COPY
//	target.go     what the target holds: tables, columns, keys, references, row counts
//	drift.go      column-level differences between the snapshot and the target
//	overwrite.go  overwrite, step by step in one transaction; a target run (overwrite, merge) opened and
//	              prepared: its owner, the selection (--cascade), locks, owners and drift checked
//	planner.go    the planner, pure: entries → actions (planActions, runActions), rows and statements
//	              (planTable, planStatements); buildPlan reads the target's counts and calls it
//	execute.go    the executor: begin, triggers off, row security, truncate, load (create, dependency,
//	              COPY), commit (or its fate asked)
//	suspend.go    what the load switches off and puts back as it was: NOT VALID checks older rows break,
//	              triggers and rules enabled ALWAYS
//	verify.go     the verifier: row counts against the snapshot (verdict: verifyFailure), then foreign keys
//	merge.go      merge: rows missing by primary key (and, optionally, changed ones)
//	sequences.go  sequences: planned now → after, set last and only forward; pg_dump's setval read
//	newproject.go new project: provision, load (tables in parallel with an index), verify
//	parallel.go   the parallel load's jobs: each table's rows, then its indexes, over N connections
//	provision.go  Provisioner and its PostgreSQL implementation
//	registry.go   the registry of new projects being restored: what a sweep may drop
//	role.go       the load role: the only session that runs the snapshot's code
//	safety.go     the safety snapshot: dump.Write of the affected tables, read in the restore's own snapshot (kept alive meanwhile)
//	audit.go      audit records: written, listed, found
//	undo.go       what may be undone (only what committed)
//	progress.go   Progress and its events
//
// Guarantees: rows move with the COPY protocol, never as SQL text; the only
// SQL run from a snapshot is statements the extraction engine parsed,
// classified and found in pg_dump's vocabulary, run as the project's role
// (see "Who runs what"); credentials never appear in output, records or errors. A
// failure, a cancelled context or a killed process at any point leaves the
// target as it was: overwrite and merge run in one transaction, and a new
// project's database is created under a temporary name, renamed into place
// only when complete, and dropped (or swept up later) otherwise.
//
// On a busy target: every lock wait, the safety pg_dump's included, is
// bounded by Request.LockTimeout (re-asserted after each SET the snapshot
// carries) and gives up with a *BusyError; the transaction's idle time is
// bounded too, with keep-alives while pg_dump runs. Dry runs take no lock
// that blocks writers and read in a read-only transaction. Sequences are
// set after verification, only forward unless asked (setval is not
// transactional). Result.Outcome says what happened to the target; the
// audit record is rewritten with the safety snapshot and the transaction
// id before the first change, and right after COMMIT.
//
// # Who runs what
//
// A snapshot is customer-controlled: every function, CHECK, default,
// generated column, index expression, domain, trigger and policy in it may
// be hostile, and so may the target's own (the customer owns those too).
// PostgreSQL runs such code with the privileges of whoever issues the
// statement that fires it, so restorectl never lets a superuser issue one.
// As PostgreSQL's maintenance commands run as the table's owner, a restore
// runs as the owner, in a session that cannot get back to the superuser:
//
//   - The admin session (the target URL for overwrite and merge, the admin
//     URL for a new project; a superuser, search_path pinned to
//     pg_catalog, pg_temp) reads the catalog, picks the owner and refuses
//     one that is or can become a superuser (or reach the server's files
//     and programs), creates the load role, the new project's database and
//     the snapshot's extensions (the server's own scripts, run into schemas
//     still empty, which it then gives to the owner), counts a new
//     project's rows (count(*) of a table it has locked and checked to be
//     one: no customer code), and drops the load role and what it holds.
//     It runs pg_dump for the safety snapshot, which reads rows and
//     catalogs and runs no customer code.
//   - The load role (role.go) is a login role of the restore's own: a
//     random password (sent as a SCRAM verifier), NOINHERIT, a member of
//     the owner only, session_replication_role = replica set on it by the
//     admin (overwrite and merge: triggers, rules and foreign key checks
//     off, as pg_restore --disable-triggers; those enabled ALWAYS are
//     disabled for the load, see suspend.go) and search_path pinned. Its sessions
//     SET ROLE to the owner and run everything else: locks, inspection,
//     the drift check's temporary tables, the snapshot's DDL, COPY, merge's
//     staging, INSERT and UPDATE, setval, REFRESH, verification and the
//     foreign key checks. Customer code that RESET ROLEs finds a role with
//     no privilege; SET ROLE and SET SESSION AUTHORIZATION to anyone else
//     are refused, because the session's user is not a superuser. The role
//     is NOLOGIN once the restore's sessions are open, and dropped at the
//     end (DROP OWNED BY first).
//   - The owner is the role that owns the selected tables on the target
//     (all of them: a selection with several owners is refused, since
//     lending one role another's would let its code act as the other), or
//     the database's owner when the target holds none of them; for a new
//     project, Provisioner's Owner (the project ref by default).
//
// Only statements extract classifies as pg_dump's own vocabulary run at
// all (extract's vocabulary.go), and table data moves only by COPY.
//
// Nothing in this package reads flags or environment variables.
package apply
