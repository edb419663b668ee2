#!/usr/bin/env bash
# Checks <name>_front.csv, the x(depth, t) map of the lithiation quickstart (16 slices along z, the collector
# at z+): one row per time-series row, a header with units, 2 + 16 columns; the first row is the uniform
# initial state x = 0.97 in every slice; every value lies in [0, 1]; and at the end of the 2C charge (step 0)
# the slice at the separator has given up more Li than the slice at the collector (the ionic path is the
# slow one, so the front starts at the separator).
#   front_csv_check.sh DIR
set -euo pipefail
dir=$1
map=$dir/cycle_front.csv ts=$dir/cycle_timeseries.csv
[[ -f $map ]] || { echo "missing $map"; exit 1; }
head -1 "$map" | grep -q '^t \[s\],step \[1\],x at depth [0-9.e+-]* um \[1\]' || { echo "bad header: $(head -1 "$map")"; exit 1; }
[[ $(wc -l < "$map") == $(wc -l < "$ts") ]] || { echo "rows: $(wc -l < "$map") vs time series $(wc -l < "$ts")"; exit 1; }
awk -F, '
  NR == 1 { if (NF != 18) { print "columns: " NF " (want 18)"; bad = 1 } next }
  {
    for (i = 3; i <= NF; ++i) {
      if ($i == "") continue
      if ($i < 0 || $i > 1) { print "row " NR " column " i ": x = " $i " outside [0, 1]"; bad = 1 }
      if (NR == 2 && ($i - 0.97 > 1e-9 || 0.97 - $i > 1e-9)) { print "initial x " $i " != 0.97"; bad = 1 }
    }
    if ($2 == 0) { sep = $3; cc = $NF }
  }
  END {
    if (!(sep < cc)) { print "end of charge: x at the separator " sep " not below x at the collector " cc; bad = 1 }
    else printf "end of charge: x = %s at the separator, %s at the collector\n", sep, cc
    exit bad
  }' "$map"
