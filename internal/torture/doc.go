// Package torture holds the torture run (`make test-torture`, never part of
// `make test`): every table of PostgreSQL's own regression database, the
// database pg_upgrade's test dumps, through every round trip restorectl
// offers, with a table of pass/fail by check.
//
// The test builds only with the "torture" tag:
//
//	go test -tags torture -v -timeout 60m ./internal/torture
//
// What it does, in order:
//
//  1. Fetches PostgreSQL's regression tests (src/test/regress) for the
//     cluster's major version from Debian's source package
//     postgresql-MAJOR (scripts/pg-regress-source.sh; no binary package
//     ships them), cached in the repository's .tools/.
//  2. Runs the regression schedule with the installed pg_regress against
//     the test cluster (testenv), leaving database "regression" with what
//     the tests do not drop. The C test modules (regress.so, refint.so) are
//     not built, so the objects needing them are missing and some tests
//     differ from their expected output; the report says which.
//  3. Derives "regression_platform", the same without what only a
//     superuser may create (platform.sql: C and internal functions, base
//     types, operator classes, access methods, ...): restorectl loads a
//     new project as the project's own role, and a project cannot hold them.
//  4. Takes both snapshots as the backup job does (internal/dump: pg_dump
//     --no-owner --no-privileges, gzip members, index) into a local store,
//     and opens them as the CLI and the console do (internal/ticket).
//  5. Checks every table of the platform variant: extract alone, a
//     schema-only then a data-only script, overwrite of a damaged target,
//     merge after deleting rows, new project; and restores the whole
//     snapshot once per mode (--all), plus a script of every table of the
//     full snapshot loaded by the superuser. Then it prints the table.
//
// A table restorectl refuses with a clear error (merge of a table without
// a primary key) counts as "refused"; a wrong row count or checksum, or an
// error from our script or restore, is a "fail", and fails the test.
//
// RESTORECTL_TORTURE_SKIP (regression test names, comma-separated) leaves
// tests out of the schedule, to see past a failure that takes a whole
// snapshot down.
package torture
