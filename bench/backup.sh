#!/usr/bin/env bash
# Benchmark of `restorectl backup` against the platform's current pipeline,
# `pg_dump --no-owner --no-privileges | gzip -6 > file`, side by side in one
# run on a database this script builds itself (~700 MB: pgbench -i -s 40 plus
# 60,000 rows of 384-float embeddings). Prints wall time, size and peak RSS
# ratios. Goals (issue #2): wall <= 0.35x, size <= 1.05x, RSS <= 256 MiB and
# independent of database size (compared with a database half the size:
# both are past the point where the upload's part buffers are all in use).
#
#   bench/backup.sh            # SCALE=40 EMBEDDINGS=60000 by default
#   SCALE=4 EMBEDDINGS=6000 bench/backup.sh   # a quick run
#
# Needs PostgreSQL server binaries (initdb, pg_ctl, pgbench), pg_dump, gzip,
# GNU time and Go; starts its own cluster and MinIO on loopback and removes
# them afterwards. Run as root or as a user that may run PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${SCALE:-40}
EMBEDDINGS=${EMBEDDINGS:-60000}
MINIO_VERSION=$(sed -n 's/^const MinIOVersion = "\(.*\)"/\1/p' internal/testenv/*.go | head -1)
CACHE=${RESTORECTL_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restorectl-test}
MINIO=${RESTORECTL_MINIO:-$CACHE/minio-$MINIO_VERSION/minio}
PGBIN=$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
WORK=$(mktemp -d /tmp/restorectl-bench.XXXXXX)
chmod 755 "$WORK"
PGPORT=$((20000 + RANDOM % 10000))
S3PORT=$((PGPORT + 1))
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)

cleanup() {
	"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
	[ -n "${MINIO_PID:-}" ] && kill "$MINIO_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '== %s\n' "$*" >&2; }

say "building restorectl"
go build -o "$WORK/restorectl" ./cmd/restorectl
if [ ! -x "$MINIO" ]; then
	say "installing MinIO $MINIO_VERSION (a few minutes, once)"
	mkdir -p "$(dirname "$MINIO")"
	GOBIN=$(dirname "$MINIO") go install "github.com/minio/minio@$MINIO_VERSION"
fi

say "starting PostgreSQL ($PGBIN) on port $PGPORT and MinIO on $S3PORT"
mkdir -p "$WORK/pg" "$WORK/s3"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust >/dev/null
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
	-o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=4GB" start >/dev/null
MINIO_ROOT_USER=bench MINIO_ROOT_PASSWORD=bench-secret MINIO_BROWSER=off \
	"$MINIO" server "$WORK/s3" --address "127.0.0.1:$S3PORT" --quiet >/dev/null 2>&1 &
MINIO_PID=$!
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$S3PORT"
for _ in $(seq 60); do curl -sf "$AWS_ENDPOINT_URL_S3/minio/health/ready" >/dev/null && break; sleep 0.5; done
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench-secret -X PUT "$AWS_ENDPOINT_URL_S3/bench" >/dev/null

build_db() { # name scale embeddings
	say "building database $1: pgbench -s $2, $3 embeddings"
	createdb "$1"
	pgbench -q -i -s "$2" "$1" >/dev/null 2>&1
	psql -q -v ON_ERROR_STOP=1 -d "$1" <<SQL
CREATE SCHEMA ai;
CREATE TABLE ai.embeddings (id bigint PRIMARY KEY, doc text, embedding real[]);
INSERT INTO ai.embeddings
SELECT i, 'document ' || i, ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 384) WHERE i > 0)
FROM generate_series(1, $3) i;
SQL
	psql -qAt -d "$1" -c "SELECT pg_size_pretty(pg_database_size('$1'))" | sed 's/^/   size: /' >&2
}

# measure LABEL CMD...: runs CMD under GNU time, its output in
# $WORK/out.LABEL; prints "seconds rss_kib".
measure() {
	local label=$1; shift
	/usr/bin/time -f '%e %M' -o "$WORK/time.$label" "$@" >"$WORK/out.$label"
	cat "$WORK/time.$label"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

build_db half $((SCALE / 2 > 0 ? SCALE / 2 : 1)) $((EMBEDDINGS / 2))
build_db big "$SCALE" "$EMBEDDINGS"

say "baseline: pg_dump --no-owner --no-privileges | gzip -6 > file"
read -r base_s _ < <(measure base bash -c "pg_dump --no-owner --no-privileges -d big | gzip -6 > $WORK/big.sql.gz")
base_size=$(stat -c %s "$WORK/big.sql.gz")

say "restorectl backup to MinIO"
read -r rc_s rc_rss < <(measure rc "$WORK/restorectl" backup --project big --store s3://bench/daily 2>"$WORK/rc.log")
rc_size=$("$WORK/restorectl" snapshots --project big --store s3://bench/daily --json | sed -n 's/.*"size": \([0-9]*\).*/\1/p' | head -1)

say "restorectl backup of the half-size database (RSS independence)"
read -r _ half_rss < <(measure half "$WORK/restorectl" backup --project half --store s3://bench/daily 2>/dev/null)

printf '\n%-34s %12s %12s %8s\n' "" baseline restorectl ratio
printf '%-34s %12s %12s %8s  (goal <= 0.35)\n' "wall time (s)" "$base_s" "$rc_s" "$(ratio "$rc_s" "$base_s")"
printf '%-34s %12s %12s %8s  (goal <= 1.05)\n' "compressed size (bytes)" "$base_size" "$rc_size" "$(ratio "$rc_size" "$base_size")"
printf '%-34s %12s %12s %8s  (goal <= 256 MiB)\n' "peak RSS restorectl (MiB)" "-" "$((rc_rss / 1024))" "-"
printf '%-34s %12s %12s %8s  (goal ~1.0)\n' "peak RSS full / half-size db" "-" "$((half_rss / 1024)) MiB" "$(ratio "$rc_rss" "$half_rss")"
