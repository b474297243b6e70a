#!/bin/bash
# The raster tools writing compressed outputs (--co COMPRESS=DEFLATE / ZSTD), at -j 1 and -j 2
# (bench/thread_scaling.sh, medians of N pairs), for one or more builds, with each output's size.
# usage: bench/compressed_outputs.sh N DATA CLEARPLAN...
#   DATA  bench/thread_scaling_batch.sh's folder (r.tif, src10k.tif, rep30k.gpkg: run that
#         script once to make them)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TS=$ROOT/bench/thread_scaling.sh
n=$1 D=$2
shift 2
cd "$D"
for B in "$@"; do
    B=$(realpath "$B")
    for codec in DEFLATE ZSTD; do
        co=(--co "COMPRESS=$codec")
        echo "== $B: proximity, $codec"
        "$TS" "$n" /tmp/cpc.tif -- "$B" proximity src10k.tif /tmp/cpc.tif "${co[@]}" -j {j} -q --no-sync
        "$B" proximity src10k.tif /tmp/cpc.tif "${co[@]}" -q --no-sync --overwrite
        echo "size $(du -m /tmp/cpc.tif | cut -f1) MB"
        echo "== $B: focal-sum r = 300 m, $codec"
        "$TS" "$n" /tmp/cpc.tif -- "$B" focal-sum r.tif /tmp/cpc.tif --radius-m 300 "${co[@]}" \
            -j {j} -q --no-sync
        "$B" focal-sum r.tif /tmp/cpc.tif --radius-m 300 "${co[@]}" -q --no-sync --overwrite
        echo "size $(du -m /tmp/cpc.tif | cut -f1) MB"
        echo "== $B: density, $codec"
        "$TS" "$n" /tmp/cpc.tif -- "$B" density rep30k.gpkg /tmp/cpc.tif --like src10k.tif \
            --bandwidth-m 2000 --weight confidence "${co[@]}" -j {j} -q --no-sync
        "$B" density rep30k.gpkg /tmp/cpc.tif --like src10k.tif --bandwidth-m 2000 \
            --weight confidence "${co[@]}" -q --no-sync --overwrite
        echo "size $(du -m /tmp/cpc.tif | cut -f1) MB"
    done
done
rm -f /tmp/cpc.tif
