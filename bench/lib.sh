# Shared by the benchmarks: builds restorectl, starts a throwaway
# PostgreSQL and MinIO on loopback (removed on exit), and provides build_db,
# measure and ratio. Source it from the repository root.
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
# autovacuum=off: a run must not share the CPUs with the analysis of the
# tables the run before it loaded.
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
	-o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=4GB -c autovacuum=off" start >/dev/null
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

