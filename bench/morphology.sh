#!/usr/bin/env bash
# Morphology benchmark (not a test): the full morphology suite (every metric on, default settings) on the
# 256^3 three-phase generated composite of bench/morphology_256.yaml, through `ssbvox run`.
#
#   bench/morphology.sh [BUILD_DIR] [RANKS]        (defaults: ../build, 2)
#   env: SIZE=256 to change the edge (the YAML's shape is overridden with --set)
#
# Reports the study's own time (results.json "seconds": metrics only), the whole process wall time
# (MPI start, generation, metrics, output), and the peak resident memory summed over the ranks
# (/usr/bin/time per rank), in bytes per voxel. Prints a markdown row for docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
np=${2:-2}
n=${SIZE:-256}
exe=$build/ssbvox
[[ -x $exe ]] || { echo "missing $exe (build target ssbvox)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s.%N)
mpiexec -n "$np" bash -c 'exec /usr/bin/time -f "maxrss_kb %M" -o "$0/rss.$OMPI_COMM_WORLD_RANK" "$@"' "$tmp" \
  "$exe" run "$here/morphology_256.yaml" --set "volume.generate.shape=[$n, $n, $n]" --set "output.dir=$tmp/out" \
  > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
end=$(date +%s.%N)
rss=0
for f in "$tmp"/rss.*; do rss=$((rss + $(awk '/maxrss_kb/ {print $2}' "$f"))); done
study=$(grep -o '"seconds": *[0-9.eE+-]*' "$tmp/out/results.json" | head -1 | sed 's/.*: *//')
voxels=$((n * n * n))
awk -v n="$n" -v np="$np" -v study="$study" -v wall="$(echo "$end - $start" | bc)" -v rss="$rss" \
    -v vox="$voxels" -v load="$load" 'BEGIN {
  printf "| %d^3 composite, all metrics | %d | %.1f | %.1f | %.0f | %.0f | %s |\n", n, np, study, wall,
         rss / 1024, rss * 1024 / vox, load }'
grep -E "done in" "$tmp/log" | sed 's/^/    /'
