// Package backupjob is the platform's daily backup job: for each project it
// runs pg_dump, compresses the dump with parallel gzip and streams it into
// the snapshot store, verifies it, commits it, prunes old snapshots and
// alerts on failure.
//
// # API
//
//	ps, err := backupjob.LoadProjects("projects.yaml")      // JSON or YAML list of {ref, database_url}
//	if err := backupjob.ValidateShard(i, n); err != nil { ... }
//	ps = backupjob.Shard(ps, i, n)                          // Kubernetes Indexed Job i of n: index k → shard k mod n
//	results := backupjob.Run(ctx, backupjob.Config{Store: store, Env: os.Environ(), Logger: jsonLogger, ...}, ps)
//	ok, failed, cancelled := backupjob.Summarize(results)
//
// BackupProject backs up a single project; Run runs it over a list with a
// worker pool of Config.Concurrency and returns the results in input order.
// One project's failure never stops the others. Redact removes passwords
// from text.
//
// # Pipeline
//
//	pg_dump --no-owner --no-privileges --format=plain --no-password --dbname=...
//	  → count raw bytes, keep the last 4 KiB
//	  → member writer: tee into an extract.Reader (a goroutine, via io.Pipe)
//	    that reports where COPY blocks begin and end
//	  → pgzip (1 MiB blocks, 2×GOMAXPROCS of them, at most 32; level DefaultLevel),
//	    one gzip member per stretch between boundaries
//	  → count compressed bytes
//	  → catalog.Store.Create(ctx, catalog.SnapshotKey(ref, Config.Now()))
//
// There is no local temporary file and memory does not grow with the size
// of the database (the member writer holds back at most 4 MiB of text for
// the scan; see memberWriter). The result is an ordinary .sql.gz made of
// independent gzip members: `gunzip -c snapshot.sql.gz | psql` restores it.
// A member starts at every COPY statement (a table's data and its COPY
// statement are members of their own), just past every COPY block, and at
// least every MaxMemberSize (16 MiB) of text. Compressed, that costs about
// 20 to 150 bytes per member (a header, a trailer and a fresh dictionary):
// well under 1% on dumps of a megabyte or more.
//
// # Index
//
// Once the snapshot is committed and checked, its sidecar index
// "<key>.index.json" (extract.Index: the table of contents the scan built,
// the members, the object's size and ETag) is written beside it, so that
// restores can list tables without reading the snapshot and fetch only the
// members they need. Failing to write it does not fail the backup: the
// snapshot is valid and readers scan it instead. Result.IndexErr says why,
// and the project's log line is then a warning with indexed=false and
// index_error.
//
// Before committing, the dump is verified: pg_dump exited 0, the line
// "-- PostgreSQL database dump complete" is within the last 4 KiB of its
// output (pg_dump 15.14+/17.6+ write a "\unrestrict" line after it), and the
// compressed dump is at least MinDumpSize (100) bytes. Anything else aborts
// the upload, so nothing appears in the store; if aborting fails too (an
// unreachable S3 keeps the upload's parts), the error says so. After
// committing, the object's size in the store is checked against what was
// written.
//
// A committed snapshot is never deleted by the job: when the check after
// the commit fails, or the context is cancelled after it (SIGTERM as the
// upload completes), or pruning fails, the Result has Committed set and an
// error saying the snapshot was kept.
//
// The snapshot is created with catalog.Store.CreateExclusive: its key has
// second resolution, and a second backup of the project in the same second
// (or a racing one) is refused at commit ("a snapshot of project X for
// <timestamp> already exists ...", wrapping catalog.ErrExists) instead of
// replacing the first.
//
// Before a daily snapshot is dumped, what killed writes of the project
// left in the store more than catalog.PartialMaxAge (a day) ago is removed
// (catalog.PartialSweeper: a local store's hidden ".partial-*" files, S3's
// unfinished multipart uploads). Result.Swept counts it; a failed sweep is
// logged (sweep_error) and does not fail the backup.
//
// # Safety snapshots
//
// Restores (package apply) reuse BackupProject for the safety snapshot of
// the tables they are about to replace, through three Project fields that
// a projects file cannot set:
//
//   - Key: where the snapshot goes instead of catalog.SnapshotKey(ref, now)
//     (catalog.SafetyKey); its index goes beside it as usual.
//   - Tables: dump only these tables: --strict-names and one --table each,
//     written "schema"."name" with quotes doubled, so that every character
//     of the name is literal (outside double quotes a pattern folds case
//     and gives *, ?, . and regular-expression characters a meaning).
//     A table that does not exist fails the dump.
//   - Snapshot: --snapshot=ID, so that pg_dump reads the database as the
//     restore's own transaction sees it (pg_export_snapshot()), while that
//     transaction holds its locks.
//
// Everything else (verification, the index, no temporary file, the
// password kept out of arguments and output) is the same as for a daily
// snapshot.
//
// # Connections
//
// Project.DatabaseURL is a postgres:// URL, a libpq keyword/value string,
// or empty, meaning --dbname=<ref> with host, port and user coming from
// pg_dump's own PG* variables in Config.Env. The password is taken out of
// the connection string and handed to pg_dump as PGPASSWORD, so it does not
// show in `ps`; it is scrubbed from pg_dump's stderr and never appears in a
// log line, alert, error or progress event.
//
// The backup must reach Postgres directly, not through PgBouncer in
// transaction mode (a pooled pg_dump can break): giving direct URLs (or
// PGHOST/PGPORT) is the operator's job. pg_dump must be at least the
// server's major version. Config.LockWaitTimeout passes
// --lock-wait-timeout, so a table locked by someone else fails the backup
// rather than stalling it.
//
// # Failures, logs and alerts
//
// A Result's Outcome is "ok", "failed" or "cancelled" (OutcomeOK, ...):
// cancelled means the context was cancelled or its deadline passed, e.g.
// SIGTERM on pod eviction: pg_dump is killed, the upload aborted (unless
// it was already committed), and Err wraps the context's error. It is
// reported as cancelled, not as failed, everywhere: Summarize counts it
// apart, the log line says "backup cancelled", the alert "CANCELLED".
//
// Every project gets exactly one log line on Config.Logger: "backup ok",
// "backup failed" or "backup cancelled", with project, key, outcome,
// stage, raw_bytes, compressed_bytes, duration_ms, indexed (on success),
// committed and error (otherwise), and swept_partial or sweep_error when
// there was something to sweep. A failed Result's Stage tells where it
// failed: "config", "connect", "dump", "verify", "upload" or "prune"; a
// cancelled one's is "cancelled".
//
// With Config.Webhook, a failure or cancellation is POSTed as JSON with a
// Slack-compatible "text" line plus project, outcome, stage, error,
// raw_bytes, compressed_bytes, key, started_at, duration_ms and committed,
// with up to 3 attempts. Alerts are sent even after the context is
// cancelled. A webhook failure is logged and does not
// change the result. When Run is cancelled, projects it had not started get
// a "cancelled" result and a log line each, and one alert lists them.
//
// # Progress
//
// Config.Progress receives Events: at the start, every 64 MiB of dump, at
// verify/upload/prune and at the end. It defaults to NoProgress.
//
// Nothing in this package reads flags or environment variables.
package backupjob
