#!/usr/bin/env bash
# Lithiation benchmark (not a test): the C/20 charge + CV + discharge of bench/lithiation_composite.yaml (a
# 50 um generated composite with the thesis 255-15h fractions) at several edge lengths, through `ssbvox run`.
#
#   bench/lithiation.sh [BUILD_DIR] [RANKS]        (defaults: ../build, 2)
#   env: SIZES="32 64"   SOLVER=auto|direct|fieldsplit (studies[0].linear_solver; unset: the YAML's)
#        CASE=other.yaml (default bench/lithiation_composite.yaml, e.g. a shortened protocol)
#        SET="--set studies[0].progress_every=1 ..." (extra overrides without blanks)
#        EXTRA="-lithiation_ksp_monitor ..." (PETSc options appended after --)   LABEL="options column text"
#
# The voxel size and the generator's radii scale with the edge so that the physical cell is the same at
# every size. Per size: time steps, Newton iterations per step, linear iterations per Newton iteration (from
# results.json), the study's wall time, the whole process wall time and CPU time (user + system, all ranks:
# less sensitive to the shared machine's load than wall time), the peak resident memory of each
# rank (/usr/bin/time per rank; max and sum) and the sum per voxel, and the load average at the start and
# the end (the machine is shared). Prints markdown rows for docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
np=${2:-2}
exe=$build/ssbvox
[[ -x $exe ]] || { echo "missing $exe (build target ssbvox)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in ${SIZES:-32 64}; do
  h=$(echo "50 / $n" | bc -l)  # um
  load=$(cut -d' ' -f1 /proc/loadavg)
  rm -f "$tmp"/rss.*
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  mpiexec -n "$np" bash -c 'exec /usr/bin/time -f "maxrss_kb %M cpu_s %U %S" -o "$0/rss.$OMPI_COMM_WORLD_RANK" "$@"' "$tmp" \
    "$exe" run "${CASE:-$here/lithiation_composite.yaml}" --set "volume.generate.shape=[$n, $n, $n]" \
    --set "volume.voxel_size=${h} um" --set "volume.generate.radius=$(echo "5 / $h" | bc -l)" \
    --set "volume.generate.active_radius_std=$(echo "1 / $h" | bc -l)" \
    --set "volume.generate.pore_radius=$(echo "1.5 / $h" | bc -l)" \
    --set "volume.generate.pore_radius_std=$(echo "0.5 / $h" | bc -l)" \
    ${SOLVER:+--set "studies[0].linear_solver=$SOLVER"} ${SET:-} \
    --set "output.dir=$tmp/out" -- ${EXTRA:-} > "$tmp/log" 2>&1 || { tail -20 "$tmp/log"; exit 1; }
  end=$(date +%s.%N)
  loadEnd=$(cut -d' ' -f1 /proc/loadavg)
  rssMax=0 rssSum=0 cpu=0
  for f in "$tmp"/rss.*; do
    kb=$(awk '/maxrss_kb/ {print $2}' "$f")
    cpu=$(awk -v c="$cpu" '/maxrss_kb/ {print c + $4 + $5}' "$f")
    rssSum=$((rssSum + kb))
    ((kb > rssMax)) && rssMax=$kb
  done
  cp "$tmp/log" "${LOGDIR:-$tmp}/lithiation_${n}_np${np}.log" 2>/dev/null || true
  python3 - "$tmp/out/results.json" "$n" "$np" "$(echo "$end - $start" | bc)" "$rssMax" "$rssSum" "$load" \
    "$loadEnd" "${LABEL:-${SOLVER:-auto}}" "$cpu" <<'PY'
import json, sys
path, n, np, wall, rssMax, rssSum, load, loadEnd, label, cpu = sys.argv[1:]
n, np, wall, rssMax, rssSum = int(n), int(np), float(wall), int(rssMax) * 1024, int(rssSum) * 1024
cpu = float(cpu)
doc = json.load(open(path))
r = doc["studies"][0]
if r.get("status", "ok") != "ok":
    print(f"| {n}^3 | {np} | {label} | failed: {r.get('error')} |")
    sys.exit(0)
res = r.get("results", r)
steps, newton, lin = res["time_steps"], res["newton_iterations"], res["linear_iterations"]
secs = r.get("seconds", float("nan"))
caps = " / ".join(f"{s['capacity']:.1f}" for s in res["steps"])
print(f"| {n}^3 | {np} | {label} | {steps} | {newton / max(steps, 1):.2f} | {lin / max(newton, 1):.1f} | "
      f"{secs:.0f} | {wall:.0f} | {cpu:.0f} | {rssMax / 2**20:.0f} MiB | {rssSum / 2**20:.0f} MiB | {rssSum / n**3:.0f} | "
      f"{caps} | {load} -> {loadEnd} |")
PY
done
