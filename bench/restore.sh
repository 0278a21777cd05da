#!/usr/bin/env bash
# Benchmark of `restorectl restore --mode new-project --all` (issue #4) on
# the database of bench/backup.sh (~700 MB: pgbench -i -s 40 plus 60,000
# rows of 384-float embeddings), snapshot written by `restorectl backup`
# (indexed, seekable) to a local store. Side by side in one run, each into
# a database of its own:
#   (a) the runbook: createdb, then gunzip -c snapshot | psql -q -v ON_ERROR_STOP=1
#   (b) restorectl, serial (--no-index: one connection, one transaction);
#       goal b/a <= 1.0
#   (b1) for reference, the same serial load with the index (--parallel 1),
#       which spares (b)'s scan of the snapshot for its table of contents
#   (c) restorectl with the index: tables and indexes over --parallel
#       connections; goal c/a <= 0.7
# and checks that every table of (b) and (c) has the rows of (a).
#
#   bench/restore.sh           # SCALE=40 EMBEDDINGS=60000
#   SCALE=4 EMBEDDINGS=6000 bench/restore.sh   # a quick run
#   PARALLEL=8 ROUNDS=5 bench/restore.sh   # best of 5 rounds (default 3)
#   BASELINE=9b37bb6 bench/restore.sh      # also the live-project paths vs a baseline
#
# With BASELINE (a git revision), also the paths that change a live project
# (issue #10), this restorectl against the baseline's, side by side, on a
# project database owned by its own role: (d) --mode overwrite of
# pgbench_accounts (lock, safety snapshot, truncate, COPY, verify,
# sequences, commit), (e) --mode merge --dry-run of it (staging and
# comparing every row) and (f) the new project of (c); goal: no slowdown
# (ratio to the baseline <= 1.05).
#
# Needs PostgreSQL server binaries (initdb, pg_ctl, pgbench), psql, gzip,
# GNU time and Go; starts its own cluster (and MinIO, unused here) on
# loopback and removes them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

PARALLEL=${PARALLEL:-4}
ROUNDS=${ROUNDS:-3}
ADMIN="postgresql://postgres@127.0.0.1:$PGPORT/postgres"

build_db big "$SCALE" "$EMBEDDINGS"
STORE="$WORK/store"
say "restorectl backup into $STORE"
"$WORK/restorectl" backup --project big --store "$STORE" >/dev/null 2>"$WORK/backup.log" || {
	cat "$WORK/backup.log" >&2
	exit 1
}
SNAP=$(find "$STORE/big" -name '*.sql.gz' | head -1)
if [ ! -f "$SNAP.index.json" ]; then
	say "the snapshot has no index: (c) would scan; giving up"
	exit 1
fi
say "snapshot: $(stat -c %s "$SNAP") bytes, indexed"
# The snapshot is read from the page cache by all three.
cat "$SNAP" >/dev/null

# run LABEL CMD...: measure, failing the benchmark if CMD fails (its
# stderr in $WORK/LABEL.log); prints the wall time.
run() {
	local label=$1
	shift
	# Each run starts from a clean slate: the previous run's WAL is
	# checkpointed now, not in the middle of this one (autovacuum, which
	# would otherwise analyze the previous run's tables during this one, is
	# off in the benchmark cluster).
	psql -q -d postgres -c CHECKPOINT
	if ! measure "$label" "$@" >/dev/null 2>"$WORK/$label.log"; then
		cat "$WORK/$label.log" "$WORK/out.$label" >&2
		say "$label failed"
		exit 1
	fi
	cut -d' ' -f1 "$WORK/time.$label"
}
RESTORE=("$WORK/restorectl" restore "$SNAP" --project big --all --mode new-project
	--admin-url "$ADMIN" --store "$STORE" --ticket bench --yes)
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# The three side by side, ROUNDS times interleaved (other work on the
# machine shows as noise): the best time of each counts. Every round but
# the last drops its databases.
a_s='' b_s='' b1_s='' c_s=''
for round in $(seq "$ROUNDS"); do
	# createdb is timed too: restorectl creates its database.
	s=$(run psql bash -c 'createdb a_psql && gunzip -c "$1" | psql -q -v ON_ERROR_STOP=1 -d a_psql' _ "$SNAP")
	say "round $round of $ROUNDS: (a) gunzip -c snapshot | psql -q -v ON_ERROR_STOP=1: $s s"
	a_s=$(best "$s" "$a_s")
	s=$(run serial "${RESTORE[@]}" --new-project b_serial --no-index)
	say "round $round of $ROUNDS: (b) restorectl restore --no-index (serial): $s s"
	b_s=$(best "$s" "$b_s")
	# Not a goal: the serial load without the scan that --no-index makes
	# restorectl do before it (to read the table of contents).
	s=$(run serial1 "${RESTORE[@]}" --new-project b1_serial --parallel 1)
	say "round $round of $ROUNDS: (b1) restorectl restore --parallel 1 (serial, with the index): $s s"
	b1_s=$(best "$s" "$b1_s")
	s=$(run parallel "${RESTORE[@]}" --new-project c_parallel --parallel "$PARALLEL")
	say "round $round of $ROUNDS: (c) restorectl restore with the index (--parallel $PARALLEL): $s s"
	c_s=$(best "$s" "$c_s")
	if [ "$round" != "$ROUNDS" ]; then
		for db in a_psql b_serial b1_serial c_parallel; do dropdb "$db"; done
	fi
done

# checksums DB: "table rows md5" per table, the md5 of the sorted md5s of
# the rows (independent of their order on disk).
checksums() {
	local t
	psql -qAt -d "$1" -c "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1" |
		while read -r t; do
			printf '%s ' "$t"
			psql -qAt -d "$1" -c "SELECT count(*) || ' ' || coalesce(md5(string_agg(h, '' ORDER BY h)), '-')
				FROM (SELECT md5(x::text) AS h FROM ONLY $t x) s"
		done
}
say "checksums"
checksums a_psql >"$WORK/sum.a"
checksums b_serial >"$WORK/sum.b"
checksums b1_serial >"$WORK/sum.b1"
checksums c_parallel >"$WORK/sum.c"

if [ -n "${BASELINE:-}" ]; then
	say "building the baseline restorectl at $BASELINE"
	git worktree add --detach "$WORK/baseline" "$BASELINE" >/dev/null 2>&1
	(cd "$WORK/baseline" && go build -o "$WORK/restorectl.base" ./cmd/restorectl)
	git worktree remove --force "$WORK/baseline"
	# The project's database, owned by the project's role as on the
	# platform (a restore never loads a snapshot as a superuser).
	# (a new-project restore above created the role named after the project)
	psql -q -d postgres -c "DO \$\$ BEGIN CREATE ROLE big NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
	createdb -O big live
	gunzip -c "$SNAP" | PGOPTIONS="-c role=big" psql -q -v ON_ERROR_STOP=1 -d live
	LIVE=(restore "$SNAP" --project big --table public.pgbench_accounts --target "postgresql://postgres@127.0.0.1:$PGPORT/live"
		--store "$STORE" --ticket bench --yes)
	d_s='' d0_s='' e_s='' e0_s='' f_s='' f0_s=''
	# An overwrite leaves rows whose first reader sets their hint bits:
	# VACUUM after each, so that no run pays for the one before it.
	settle() { psql -q -d live -c "VACUUM public.pgbench_accounts"; }
	settle
	for round in $(seq "$ROUNDS"); do
		s=$(run overwrite "$WORK/restorectl" "${LIVE[@]}" --mode overwrite)
		d_s=$(best "$s" "$d_s")
		settle
		s=$(run overwrite.base "$WORK/restorectl.base" "${LIVE[@]}" --mode overwrite)
		d0_s=$(best "$s" "$d0_s")
		settle
		say "round $round of $ROUNDS: (d) overwrite: $d_s s, baseline $d0_s s (best so far)"
		s=$(run merge "$WORK/restorectl" "${LIVE[@]}" --mode merge --dry-run)
		e_s=$(best "$s" "$e_s")
		s=$(run merge.base "$WORK/restorectl.base" "${LIVE[@]}" --mode merge --dry-run)
		e0_s=$(best "$s" "$e0_s")
		say "round $round of $ROUNDS: (e) merge --dry-run: $e_s s, baseline $e0_s s (best so far)"
		s=$(run np "${RESTORE[@]}" --new-project f_new --parallel "$PARALLEL")
		f_s=$(best "$s" "$f_s")
		s=$(run np.base "$WORK/restorectl.base" "${RESTORE[@]:1}" --new-project f_base --parallel "$PARALLEL")
		f0_s=$(best "$s" "$f0_s")
		dropdb f_new
		dropdb f_base
		say "round $round of $ROUNDS: (f) new-project --parallel $PARALLEL: $f_s s, baseline $f0_s s (best so far)"
	done
fi

printf '\n%d CPUs, best of %d rounds\n%-40s %10s %8s\n' "$(nproc)" "$ROUNDS" "" "wall (s)" ratio
printf '%-40s %10s %8s\n' "(a) gunzip | psql" "$a_s" -
printf '%-40s %10s %8s  (goal <= 1.0)\n' "(b) restorectl, serial (--no-index)" "$b_s" "$(ratio "$b_s" "$a_s")"
printf '%-40s %10s %8s  (no goal: (b) without its scan)\n' "(b1) restorectl, indexed, --parallel 1" "$b1_s" "$(ratio "$b1_s" "$a_s")"
printf '%-40s %10s %8s  (goal <= 0.7)\n' "(c) restorectl, indexed, --parallel $PARALLEL" "$c_s" "$(ratio "$c_s" "$a_s")"
if [ -n "${BASELINE:-}" ]; then
	printf '%-40s %10s %8s  (goal <= 1.05)\n' "(d) overwrite pgbench_accounts" "$d_s" "$(ratio "$d_s" "$d0_s")"
	printf '%-40s %10s %8s\n' "    baseline $BASELINE" "$d0_s" -
	printf '%-40s %10s %8s  (goal <= 1.05)\n' "(e) merge --dry-run pgbench_accounts" "$e_s" "$(ratio "$e_s" "$e0_s")"
	printf '%-40s %10s %8s\n' "    baseline $BASELINE" "$e0_s" -
	printf '%-40s %10s %8s  (goal <= 1.05)\n' "(f) new-project, --parallel $PARALLEL" "$f_s" "$(ratio "$f_s" "$f0_s")"
	printf '%-40s %10s %8s\n' "    baseline $BASELINE" "$f0_s" -
fi
status=0
for x in b b1 c; do
	if cmp -s "$WORK/sum.a" "$WORK/sum.$x"; then
		printf '%-40s  identical (%d tables)\n' "checksums ($x) vs (a)" "$(wc -l <"$WORK/sum.a")"
	else
		printf '%-40s  DIFFER\n' "checksums ($x) vs (a)"
		diff "$WORK/sum.a" "$WORK/sum.$x" >&2 || true
		status=1
	fi
done
exit "$status"
