// Package dump writes one snapshot: it runs pg_dump against one database,
// compresses its output into independent gzip members, streams them into a
// catalog.Store with no temporary file, verifies the dump, commits it and
// writes its sidecar index. The daily backup job (package backupjob) and
// restores' safety snapshots (package apply) both take their snapshots
// through it.
//
// # API
//
//	res, err := dump.Write(ctx, dump.Config{PgDump: "pg_dump", Env: env, LockWaitTimeout: 5 * time.Second, Time: now},
//		dump.Source{Ref: ref, DatabaseURL: url, Tables: tables, Snapshot: snapshotID}, store, key)
//
// Write is Prepare (check the configuration and split the connection
// string, no I/O) followed by Job.Write. A caller that must refuse a bad
// configuration before doing anything else, or scrub its own messages of
// the source's passwords (Job.Scrub), calls them separately, as backupjob
// does. Every error is an *Error with the Stage it failed at (StageConfig,
// StageConnect, StageDump, StageVerify, StageUpload or StageCancelled);
// it names the project, says what to try, and unwraps to ErrLockWait,
// catalog.ErrExists or the context's error where those are the cause.
// Config.Progress receives Events at the start, every ProgressEvery bytes
// of dump, and at verify and commit; it defaults to NoProgress. Redact
// removes passwords from any text; other packages use it for theirs.
//
// # Pipeline
//
//	pg_dump --no-owner --no-privileges --format=plain --no-password --dbname=...
//	        [--lock-wait-timeout=MS] [--strict-names --table=... ...] [--snapshot=ID]
//	  → count raw bytes, keep the last 4 KiB
//	  → member writer: tee into an extract.Reader (a goroutine, via io.Pipe)
//	    that reports where COPY blocks begin and end
//	  → pgzip (1 MiB blocks, 2×GOMAXPROCS of them, at most 32; level DefaultLevel),
//	    one gzip member per stretch between boundaries
//	  → count compressed bytes
//	  → catalog.Store.CreateExclusive(ctx, key)
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
// # Verification and commit
//
// Before committing, the dump is verified: pg_dump exited 0, the line
// "-- PostgreSQL database dump complete" is within the last 4 KiB of its
// output (pg_dump 15.14+/17.6+ write a "\unrestrict" line after it), and the
// compressed dump is at least MinDumpSize (100) bytes. Anything else aborts
// the upload, so nothing appears in the store; if aborting fails too (an
// unreachable S3 keeps the upload's parts), the error says so.
//
// The snapshot is created with catalog.Store.CreateExclusive: keys have
// second resolution, and a second dump to the same key (two backups of a
// project in the same second, or a racing one) is refused at commit ("a
// snapshot of project X for <timestamp> already exists ...", wrapping
// catalog.ErrExists) instead of replacing the first. Safety snapshots'
// keys carry the restore's id, so they never collide.
//
// After committing, the object's size in the store is checked against what
// was written. A committed snapshot is never deleted: when that check
// fails, or the context is cancelled after the commit, Result.Committed is
// set and the error says the snapshot was kept.
//
// # Index
//
// Once the snapshot is committed and checked, its sidecar index
// "<key>.index.json" (extract.Index: the table of contents the scan built,
// the members, the object's size and ETag) is written beside it, so that
// restores can list tables without reading the snapshot and fetch only the
// members they need. Failing to write it does not fail the dump: the
// snapshot is valid and readers scan it instead; Result.IndexErr says why.
//
// # Tables and exported snapshots
//
// Source.Tables limits the dump to those tables: --strict-names and one
// --table each, written "schema"."name" with quotes doubled, so that every
// character of the name is literal (outside double quotes a pattern folds
// case and gives *, ?, . and regular-expression characters a meaning). A
// table that does not exist fails the dump. Source.Snapshot passes
// --snapshot=ID, so that pg_dump reads the database as another
// transaction sees it (pg_export_snapshot()), while that transaction holds
// its locks: that is how a restore keeps what it is about to replace.
//
// # Connections and secrets
//
// Source.DatabaseURL is a postgres:// URL, a libpq keyword/value string,
// or empty, meaning --dbname=<ref> with host, port and user coming from
// pg_dump's own PG* variables in Config.Env. The password is taken out of
// the connection string and handed to pg_dump as PGPASSWORD, so it does not
// show in `ps`; it (and a PGPASSWORD in Config.Env) is scrubbed from
// pg_dump's stderr and never appears in an error, an index error or a
// progress event. The connection string is not parsed with
// pgconn.ParseConfig, which would read this process's PG* variables and
// ~/.pgpass.
//
// The dump must reach Postgres directly, not through PgBouncer in
// transaction mode (a pooled pg_dump can break). pg_dump must be at least
// the server's major version. It runs in its own process group: cancelling
// the context kills it and whatever it started, and on Linux it dies with
// restorectl (a dump left running holds its snapshot and table locks).
// Config.LockWaitTimeout passes --lock-wait-timeout, so a table locked by
// someone else fails the dump (wrapping ErrLockWait) rather than stalling
// it.
//
// Nothing in this package reads flags or environment variables.
package dump
