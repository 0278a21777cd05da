#!/usr/bin/env bash
# Benchmark of reading a snapshot (issue #3), on the database of
# bench/backup.sh (~700 MB, ~120 MB compressed), snapshot written by
# `restorectl backup` to a local store. Side by side in one run:
#   - a full scan, `restorectl tables` on an unindexed snapshot, against
#     `gzip -dc snapshot > /dev/null` (goal <= 0.8x), and its peak RSS
#     (goal <= 128 MiB plus the largest row);
#   - with an index (when the snapshot has one), extracting the small table
#     pgbench_branches: bytes read <= 1% of the object, time <= 5% of the scan.
#
#   bench/extract.sh           # SCALE=40 EMBEDDINGS=60000
#   SCALE=4 EMBEDDINGS=6000 bench/extract.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

build_db big "$SCALE" "$EMBEDDINGS"
STORE="$WORK/store"
say "restorectl backup into $STORE"
"$WORK/restorectl" backup --project big --store "$STORE" >/dev/null 2>&1
SNAP=$(ls "$STORE"/big/*.sql.gz | head -1)
PLAIN="$WORK/plain.sql.gz"   # the same snapshot without its index
cp "$SNAP" "$PLAIN"
say "snapshot: $(stat -c %s "$SNAP") bytes"

say "gzip -dc > /dev/null"
read -r gz_s _ < <(measure gz bash -c "gzip -dc '$PLAIN' > /dev/null")
say "restorectl tables (full scan)"
read -r scan_s scan_rss < <(measure scan "$WORK/restorectl" tables "$PLAIN")

say "restorectl extract --table ai.embeddings (the biggest table, scanned) > /dev/null"
read -r _ big_rss < <(measure big "$WORK/restorectl" extract "$PLAIN" --table ai.embeddings)

printf '\n%-40s %10s %10s %8s\n' "" baseline restorectl ratio
printf '%-40s %10s %10s %8s  (goal <= 0.8)\n' "full scan vs gzip -dc (s)" "$gz_s" "$scan_s" "$(ratio "$scan_s" "$gz_s")"
printf '%-40s %10s %10s %8s  (goal <= 128 MiB + largest row)\n' "peak RSS of the scan (MiB)" - "$((scan_rss / 1024))" -
printf '%-40s %10s %10s %8s  (goal <= 128 MiB + largest row)\n' "peak RSS, extract of ai.embeddings (MiB)" - "$((big_rss / 1024))" -

if [ -f "$SNAP.index.json" ] && "$WORK/restorectl" extract -h >/dev/null 2>&1; then
	say "restorectl extract --table public.pgbench_branches (indexed)"
	# --stats: restorectl counts the compressed bytes its reads delivered.
	read -r ex_s _ < <(measure ex bash -c '"$0" extract "$1" --table public.pgbench_branches -o "$2" --stats 2>"$3"' \
		"$WORK/restorectl" "$SNAP" "$WORK/branches.sql" "$WORK/stats.ex")
	cat "$WORK/stats.ex" >&2
	read -r ex_bytes obj_bytes < <(sed -n 's/^stats: read \([0-9]*\) of \([0-9]*\) bytes.*/\1 \2/p' "$WORK/stats.ex")
	printf '%-40s %10s %10s %8s  (goal <= 0.01)\n' "indexed extract: bytes read vs object" "$obj_bytes" "$ex_bytes" "$(ratio "$ex_bytes" "$obj_bytes")"
	printf '%-40s %10s %10s %8s  (goal <= 0.05)\n' "indexed extract vs full scan (s)" "$scan_s" "$ex_s" "$(ratio "$ex_s" "$scan_s")"
	# The same table by a scan: the scripts must be identical.
	"$WORK/restorectl" extract "$SNAP" --table public.pgbench_branches -o "$WORK/branches-scan.sql" --no-index 2>/dev/null
	if cmp -s "$WORK/branches.sql" "$WORK/branches-scan.sql"; then
		printf '%-40s  identical\n' "indexed script vs --no-index script"
	else
		printf '%-40s  DIFFER\n' "indexed script vs --no-index script"
		exit 1
	fi
else
	printf '%-40s  (no index or no extract command yet: not measured)\n' "indexed extract"
fi
