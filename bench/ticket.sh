#!/usr/bin/env bash
# Benchmark of a whole support ticket (issue #11) on an indexed snapshot in
# MinIO: a project database (pgbench rows, embeddings, JSON documents, and
# a small table public.zz_small that sorts last in the dump) owned by its
# own role, backed up by `restorectl backup`; then the ticket for
# zz_small, step by step:
#   (a) the command line: snapshots, tables, preview, plan (--dry-run),
#       overwrite, audit
#   (b) the console's backend (bench/ticketbench: the calls its screens make)
#   (c) the command line forced to scan (--no-index)
# Goals: every step but the overwrite's own COPY reads <= 1% of the
# snapshot (the console's steps print it; the command line's preview
# prints --stats), and the whole ticket takes <= 2 s of tool time on both
# faces with the index.
#
#   bench/ticket.sh                         # SCALE=300 (~5 GB), EMBEDDINGS=200000, DOCS=500000
#   SCALE=10 EMBEDDINGS=5000 DOCS=10000 bench/ticket.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-300}
EMBEDDINGS=${EMBEDDINGS:-200000}
DOCS=${DOCS:-500000}
. bench/lib.sh

say "building database big (pgbench -s $SCALE, $EMBEDDINGS embeddings, $DOCS documents) owned by role big"
psql -q -d postgres -c "CREATE ROLE big NOLOGIN"
createdb -O big big
export PGOPTIONS="-c role=big"
pgbench -q -i -s "$SCALE" big >/dev/null 2>&1
psql -q -v ON_ERROR_STOP=1 -d big <<SQL
CREATE TABLE public.embeddings (id bigint PRIMARY KEY, doc text, embedding real[]);
INSERT INTO public.embeddings
SELECT i, 'document ' || i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 384) WHERE i > 0)
FROM generate_series(1, $EMBEDDINGS) i;
CREATE TABLE public.documents (id bigint PRIMARY KEY, body jsonb);
INSERT INTO public.documents
SELECT i, jsonb_build_object('id', i, 'title', 'doc ' || i, 'tags', jsonb_build_array('a', 'b', i % 7), 'text', repeat(md5(i::text), 8))
FROM generate_series(1, $DOCS) i;
CREATE TABLE public.zz_small (id serial PRIMARY KEY, note text);
INSERT INTO public.zz_small (note) SELECT 'note ' || i FROM generate_series(1, 100) i;
SQL
unset PGOPTIONS
psql -qAt -d big -c "SELECT pg_size_pretty(pg_database_size('big'))" | sed 's/^/   size: /' >&2
STORE="s3://bench/daily"
say "restorectl backup into $STORE"
"$WORK/restorectl" backup --project big --store "$STORE" >/dev/null 2>"$WORK/backup.log" || {
	cat "$WORK/backup.log" >&2
	exit 1
}
# The ticket: zz_small lost rows.
psql -q -d big -c "DELETE FROM public.zz_small WHERE id > 50"
go build -o "$WORK/ticketbench" ./bench/ticketbench
TARGET="postgresql://postgres@127.0.0.1:$PGPORT/big"
SNAP="big@now"
export RESTORECTL_STORE="$STORE"

# step NAME CMD...: the command line's step, timed; its stderr kept.
cli_total=0
step() {
	local name=$1
	shift
	local s
	s=$(measure "$name" "$@" 2>"$WORK/$name.err" | cut -d' ' -f1) || {
		cat "$WORK/$name.err" "$WORK/out.$name" >&2
		say "$name failed"
		exit 1
	}
	cli_total=$(awk -v a="$cli_total" -v b="$s" 'BEGIN { print a + b }')
	printf '%-7s %-10s %8s s  %s\n' "$mode" "$name" "$s" "$(grep -h '^stats:' "$WORK/$name.err" | sed 's/^stats: //')"
}
ticket() { # extra flags for tables, preview and restore
	step snapshots "$WORK/restorectl" snapshots --project big
	step tables "$WORK/restorectl" tables "$SNAP" "$@"
	step preview "$WORK/restorectl" preview "$SNAP" --table public.zz_small --stats "$@"
	step plan "$WORK/restorectl" restore "$SNAP" --table public.zz_small --mode overwrite --target "$TARGET" --dry-run "$@"
	step overwrite "$WORK/restorectl" restore "$SNAP" --table public.zz_small --mode overwrite --target "$TARGET" --ticket bench --yes "$@"
	step audit "$WORK/restorectl" audit --project big
	printf '%-7s %-10s %8.3f s\n' "$mode" TOTAL "$cli_total"
}

printf '\n%d CPUs; database %s; snapshot %s bytes\n' "$(nproc)" "$(psql -qAt -d big -c "SELECT pg_size_pretty(pg_database_size('big'))")" \
	"$("$WORK/restorectl" snapshots --project big --json | sed -n 's/.*"size": *\([0-9]*\).*/\1/p' | head -1)"
mode=cli ticket
"$WORK/ticketbench" -store "$STORE" -project big -table public.zz_small -target "$TARGET"
cli_total=0
mode=scan ticket --no-index
