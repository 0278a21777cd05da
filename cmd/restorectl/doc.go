// Command restorectl restores Postgres projects from daily pg_dump snapshots
// and runs the daily backup job that makes them.
//
// This package owns everything the outside world touches: subcommands,
// flags, environment variables, signals and exit codes. The packages under
// internal/ receive configuration as values and return errors; only main
// turns errors into exit statuses.
package main
