#!/usr/bin/env bash
# Mechanics benchmark (not a test): one elasticity solve (stack pressure + lithiation strain, no decohesion) on
# the generated composite of bench/mechanics_composite.yaml at several edge lengths, through `ssbvox run`.
#
#   bench/mechanics.sh [BUILD_DIR] [RANKS]        (defaults: ../build, 2)
#   env: SIZES="32 64 96 128"  EXTRA="-mechanics_pc_type hypre ..." (PETSc options appended after --)
#        LABEL="text for the options column"
#
# Per size: the study's time split into assembly, AMG set-up and Krylov (results.json), CG iterations, the whole
# process wall time (MPI start, generation, labelling, solve), the peak resident memory summed over the ranks
# (/usr/bin/time per rank) and per node, the assembled matrix's nonzeros and bytes per node, and the load
# average at the start (the machine is shared). Prints markdown rows for docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
np=${2:-2}
exe=$build/ssbvox
[[ -x $exe ]] || { echo "missing $exe (build target ssbvox)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in ${SIZES:-32 64 96 128}; do
  load=$(cut -d' ' -f1 /proc/loadavg)
  rm -f "$tmp"/rss.*
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  mpiexec -n "$np" bash -c 'exec /usr/bin/time -f "maxrss_kb %M" -o "$0/rss.$OMPI_COMM_WORLD_RANK" "$@"' "$tmp" \
    "$exe" run "$here/mechanics_composite.yaml" --set "volume.generate.shape=[$n, $n, $n]" \
    --set "output.dir=$tmp/out" ${SETS:-} -- ${EXTRA:-} > "$tmp/log" 2>&1 || { tail -20 "$tmp/log"; exit 1; }
  end=$(date +%s.%N)
  rss=0
  for f in "$tmp"/rss.*; do rss=$((rss + $(awk '/maxrss_kb/ {print $2}' "$f"))); done
  python3 - "$tmp/out/results.json" "$n" "$np" "$(echo "$end - $start" | bc)" "$rss" "$load" "${LABEL:-default}" <<'PY'
import json, sys
path, n, np, wall, rss, load, label = sys.argv[1:]
n, np, wall, rss = int(n), int(np), float(wall), int(rss) * 1024
r = json.load(open(path))["studies"][0]
if r.get("status") != "ok":
    print(f"| {n}^3 | {np} | {label} | failed: {r.get('error')} |")
    sys.exit(0)
nodes = (n + 1) ** 3
m = r["matrix"]
print(f"| {n}^3 | {np} | {label} | {r['unknowns'] / 1e6:.2f} M | {r['linear_iterations']} | "
      f"{r['assembly_seconds']:.1f} | {r['amg_setup_seconds']:.1f} | {r['krylov_seconds']:.1f} | "
      f"{r['seconds']:.1f} | {wall:.1f} | {rss / 2**20:.0f} MiB | {rss / nodes:.0f} | "
      f"{m['nonzeros_per_node']:.0f} | {m['bytes_per_node']:.0f} | {load} |")
PY
done
