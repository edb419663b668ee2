#!/bin/bash
# Run the validation inputs against the thesis and write one report of them all.
#   inputs/validation/run.sh [--ci] [--only NAME] [--out DIR] [--ssbvox PATH] [--np N] [--no-report]
# Every inputs/validation/NAME.yaml runs into DIR/NAME/ (default DIR: results/validation); then
# `ssbvox report DIR` writes DIR/report.md with its PNGs (docs/validation-thesis.md is that file from a
# full-size run). --ci runs each file's small twin: the `--set` overrides on the file's `# ci:` line.
# Exit status: non-zero if any run or the report fails (a sweep with a failed case exits 1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=results/validation ssbvox=ssbvox np=1 ci=0 only="" report=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --ci) ci=1 ;;
    --only) only=$2; shift ;;
    --out) out=$2; shift ;;
    --ssbvox) ssbvox=$2; shift ;;
    --np) np=$2; shift ;;
    --no-report) report=0 ;;
    *) echo "run.sh: unknown argument '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done
launch=()
[[ $np -gt 1 ]] && launch=(mpiexec --oversubscribe -n "$np")
status=0 ran=0
for f in "$here"/*.yaml; do
  name=$(basename "$f" .yaml)
  [[ -n $only && $name != "$only" ]] && continue
  args=()
  if [[ $ci -eq 1 ]]; then
    line=$(grep -m1 '^# ci:' "$f" | sed 's/^# ci://')
    if [[ -z $line ]]; then echo "run.sh: $f has no '# ci:' line" >&2; exit 2; fi
    eval "args=($line)"  # the line is shell words: quotes group a value with spaces
  fi
  echo "== $name ${args[*]}"
  start=$SECONDS
  if ! "${launch[@]}" "$ssbvox" run "$f" "${args[@]}" --set "output.dir=$out/$name"; then
    echo "run.sh: $name FAILED" >&2
    status=1
  fi
  echo "== $name done in $((SECONDS - start)) s"
  ran=$((ran + 1))
done
if [[ $ran -eq 0 ]]; then echo "run.sh: no input matched '$only' in $here" >&2; exit 2; fi
if [[ $report -eq 1 && -z $only ]]; then
  "$ssbvox" report "$out" || status=1
fi
exit $status
