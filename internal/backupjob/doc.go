// Package backupjob is the platform's daily backup job: for each project it
// sweeps up what interrupted backups left, takes a snapshot through package
// dump (pg_dump, parallel gzip members streamed into the snapshot store,
// verified, committed, indexed), prunes old snapshots and alerts on
// failure. It owns the multi-project side: the projects file, sharding, the
// worker pool, retention, log lines and alerts.
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
// One project's failure never stops the others.
//
// # One project's backup
//
//	validate the ref and Config                 → "config"
//	dump.Prepare (gzip level, connection string) → "config"
//	sweep partial writes of the project          (failure logged, not fatal)
//	dump's Job.Write to catalog.SnapshotKey(ref, Config.Now())
//	                                             → "connect", "dump", "verify", "upload", "cancelled"
//	catalog.Prune with Config.Retention          → "prune"
//
// Package dump's documentation describes the pipeline, the gzip members,
// the verification before and the size check after the commit, the index,
// and how the password is kept out of pg_dump's arguments and of every
// message. What that means for the job:
//
// Nothing appears in the store unless the dump is complete. A committed
// snapshot is never deleted by the job: when the check after the commit
// fails, or the context is cancelled after it (SIGTERM as the upload
// completes), or pruning fails, the Result has Committed set and an error
// saying the snapshot was kept.
//
// Snapshots are created exclusively: their key has second resolution, and
// a second backup of the project in the same second (or a racing one) is
// refused at commit ("a snapshot of project X for <timestamp> already
// exists ...", wrapping catalog.ErrExists) instead of replacing the first.
//
// A missing index does not fail the backup (the snapshot is valid and
// readers scan it instead): Result.IndexErr says why, and the project's log
// line is then a warning with indexed=false and index_error.
//
// Before a snapshot is dumped, what killed writes of the project left in
// the store more than catalog.PartialMaxAge (a day) ago is removed
// (catalog.PartialSweeper: a local store's hidden ".partial-*" files, S3's
// unfinished multipart uploads). Result.Swept counts it; a failed sweep is
// logged (sweep_error) and does not fail the backup. (Restores' safety
// snapshots call dump directly and never sweep: they run while the restore
// holds its locks, and must not wait on housekeeping.)
//
// # Connections
//
// Project.DatabaseURL is a postgres:// URL, a libpq keyword/value string,
// or empty, meaning --dbname=<ref> with host, port and user coming from
// pg_dump's own PG* variables in Config.Env; its password never appears in
// a log line, alert, error or progress event (dump.Redact is used for the
// job's own messages). The backup must reach Postgres directly, not through
// PgBouncer in transaction mode: giving direct URLs (or PGHOST/PGPORT) is
// the operator's job. Config.LockWaitTimeout makes a table locked by
// someone else fail the backup (wrapping dump.ErrLockWait) rather than
// stall it.
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
// Config.Progress receives Events: at the start, every dump.ProgressEvery
// (64 MiB) of dump, at verify/upload/prune and at the end. It defaults to
// NoProgress.
//
// Nothing in this package reads flags or environment variables.
package backupjob
