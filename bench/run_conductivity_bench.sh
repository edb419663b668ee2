#!/usr/bin/env bash
# Conductivity benchmark (not a test): seeded sphere packs of shared/research/tortuosity_baseline/
# make_sphere_pack.py (seed 0, radius 6 voxels, solid fraction 0.45, pore = label 1 conducting), generated
# bit-identically by the `sphere_pack` generator, solved per direction on 1 and 2 ranks by
# bench/conductivity_bench.cpp. One process per (size, ranks, direction), so "process s" is the whole
# process (MPI start, generation, labelling, assembly, AMG set-up, solve) and the memory is that
# direction's peak resident set summed over ranks.
#
#   bench/run_conductivity_bench.sh [BUILD_DIR (default ../build)] [OUT.jsonl (default BUILD_DIR/conductivity_bench.jsonl)]
#   env: SIZES="64 128 256" RANKS="1 2" DIRS="x y z" EXTRA="petsc options"
#
# Prints a markdown table (paste into docs/benchmarks.md) and appends raw JSON lines to OUT.jsonl.
# Run it on an otherwise idle machine; the load average at the start of each run is in the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=${2:-$build/conductivity_bench.jsonl}
exe=$build/bench/ssb_bench_conductivity
[[ -x $exe ]] || { echo "missing $exe (build target ssb_bench_conductivity)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in ${SIZES:-64 128 256}; do
  for np in ${RANKS:-1 2}; do
    for d in ${DIRS:-x y z}; do
      case=$tmp/pack${n}_$d.yaml
      cat > "$case" <<YAML
volume: {generate: {kind: sphere_pack, shape: [$n, $n, $n], seed: 0, radius: 6, volume_fraction: 0.45}}
phases: [{name: pore, label: 1, role: pore}, {name: solid, label: 0}]
study: {type: conductivity, name: pack$n, conductivities: {pore: 1}, directions: [$d]}
YAML
      t0=$(date +%s.%N)
      line=$(mpiexec -n "$np" "$exe" "$case" ${EXTRA:-} 2>/dev/null | tail -1)
      t1=$(date +%s.%N)
      python3 - "$line" "$t0" "$t1" "$n" "$d" >> "$out" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
d["wall_seconds_mpiexec"] = float(sys.argv[3]) - float(sys.argv[2])
d["n"] = int(sys.argv[4]); d["direction"] = sys.argv[5]
print(json.dumps(d))
PY
      tail -1 "$out" | python3 -c "
import json,sys; d=json.loads(sys.stdin.read()); r=d['result']['directions'][d['direction']]
print(f\"n={d['n']} np={d['ranks']} {d['direction']}: tau={r['tortuosity_factor']:.6f} it={r['iterations']} wall={d['wall_seconds_mpiexec']:.1f}s\", file=sys.stderr)"
    done
  done
done
python3 - "$out" <<'PY'
import json, sys
ref = {64: 1.554954, 128: 1.551208, 256: 1.547555}  # tau_face along python axis 0 = our x (shared/data/README.md)
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| voxels | ranks | dir | tau (face) | ref tau (x) | iterations | assembly s | AMG set-up s | solve s | process s (mpiexec wall) | peak RSS (all ranks) | B/voxel | load at start |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for d in rows:
    r = d["result"]["directions"][d["direction"]]
    n = d["n"]
    refv = f"{ref[n]:.6f}" if d["direction"] == "x" and n in ref else ""
    print(f"| {n}^3 | {d['ranks']} | {d['direction']} | {r['tortuosity_factor']:.6f} | {refv} | {r['iterations']} | "
          f"{r['assembly_seconds']:.2f} | {r['setup_seconds']:.2f} | {r['solve_seconds']:.2f} | "
          f"{d['process_seconds']:.1f} ({d['wall_seconds_mpiexec']:.1f}) | {d['peak_rss_bytes_sum']/2**20:.0f} MiB | "
          f"{d['peak_rss_bytes_sum']/d['voxels']:.0f} | {d['load_average_at_start']:.2f} |")
PY
