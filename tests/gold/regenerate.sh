#!/bin/bash
# regenerate.sh [BUILD_DIR]: rerun the cases the gold files come from and rewrite every tests/gold/*.gold.json
# from them. Gold values must come from a reviewed run: look at the results (and at the independent
# references in tests/cli/InputsCheck.cpp), then commit the gold files with the diff shown in the commit
# message (`git diff --stat tests/gold` and the changed values). docs/testing.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
ctest --test-dir "$build" -R "cli_quickstart_np2|cli_input_fiberform|cli_input_matbox" --output-on-failure
for spec in "$here"/*.yaml; do
  run=$(sed -n 's/^reference_run: *//p' "$spec")
  [[ -n $run ]] || continue
  if [[ ! -d $build/tests/$run ]]; then echo "regenerate: $build/tests/$run missing (no shared/data?): skipping $spec"; continue; fi
  "$build/tests/ssb_gold_compare" --update "$spec" "$build/tests/$run"
done
git -C "$here" diff --stat -- .
