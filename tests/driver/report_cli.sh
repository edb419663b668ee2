#!/bin/bash
# report_cli.sh OUTDIR CASE.yaml SSBVOX_COMMAND...: run the sweep CASE.yaml into OUTDIR, then `ssbvox report
# OUTDIR`; pass if both exit 0, OUTDIR/report.md holds the Bruggeman fit and every chart it links exists and
# is non-empty (at least one).
set -u
out=$1; yaml=$2; shift 2
rm -rf "$out"
"$@" run "$yaml" --set output.dir="$out" || { echo "report_cli: the run failed"; exit 1; }
"$@" report "$out" || { echo "report_cli: ssbvox report failed"; exit 1; }
md=$out/report.md
[[ -s $md ]] || { echo "report_cli: no $md"; exit 1; }
grep -q "Bruggeman" "$md" || { echo "report_cli: $md does not mention the Bruggeman fit"; exit 1; }
grep -qE "^\| [a-z_.]+tortuosity_factor \| 4 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| below \|" "$md" ||
  { echo "report_cli: no fitted row (4 points) in $md"; exit 1; }
n=0
for png in $(grep -oE "\(report/[^)]+\.png\)" "$md" | tr -d '()'); do
  [[ -s $out/$png ]] || { echo "report_cli: $out/$png is missing or empty"; exit 1; }
  n=$((n + 1))
done
[[ $n -ge 1 ]] || { echo "report_cli: $md links no chart"; exit 1; }
echo "report_cli: ok ($n charts)"
