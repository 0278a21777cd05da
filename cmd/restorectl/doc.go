// Command restorectl restores Postgres projects from daily pg_dump snapshots
// and runs the daily backup job that makes them.
//
// This package owns everything the outside world touches: subcommands,
// flags, environment variables, signals and exit codes. The packages under
// internal/ receive configuration as values and return errors; only main
// turns errors into exit statuses, and prints them escaped (termsafe):
// what the commands print for people never carries a snapshot's control
// characters (output.go).
//
// Test hooks (RESTORECTL_TEST_STALL_AT) exist only in binaries built with
// -tags restorectl_testhooks, as the tests build them (testhooks_on.go);
// the shipped binary has none.
package main
