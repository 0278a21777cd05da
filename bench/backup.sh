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

. bench/lib.sh

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
