#!/bin/bash
# restart_test.sh SSBVOX JSONCHECK GOLD_COMPARE SPEC CASE DIR NP RESTART_NP SETS MPIEXEC...
# Checkpoints and `ssbvox run --restart` of the lithiation study (issue 7; docs/lithiation.md "Checkpoints and
# restart") of CASE with the overrides SETS (space-separated key=value, each passed as --set), on NP ranks,
# restarted on RESTART_NP ranks:
#  1. an uninterrupted run without checkpoints (the reference);
#  2. the same case with a checkpoint every few steps, killed with SIGKILL once the first checkpoint exists
#     (results.json must not exist yet: the run was really interrupted);
#  3. --restart: it says it resumed and from which t, and ends with the reference's results: every value of
#     the spec within its tolerance (ssb_gold_compare with the reference as gold), the time series rows up
#     to the resume time identical to the reference's (they are restored, not recomputed; the front columns,
#     derived at the end, to 1e-4; the reference wrote no checkpoint, so this also shows that writing
#     checkpoints changes nothing), the rows after it continuing in time with the same protocol steps and the
#     same end;
#  4. --restart of the finished study: nothing is computed (same time steps, the same files byte for byte);
#  5. --restart with an edited case: exit 2 naming the changed key and what to do, nothing changed;
#  6. --restart with a damaged checkpoint: exit 2 naming the file and what to do.
set -u
ssbvox=$1 jsoncheck=$2 gold=$3 spec=$4 case=$5 dir=$6 np=$7 rnp=$8
sets=()
for kv in $9; do sets+=(--set "$kv"); done
shift 9
mpi=("$@")
fail() { echo "restart_test: FAIL: $*"; for f in "$dir"/*.log; do echo "--- $f"; tail -15 "$f"; done; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
study=cycle
run() {  # run NP OUT LOG ARGS...: the case into $dir/OUT
  local n=$1 out=$2 log=$3
  shift 3
  "${mpi[@]}" -n "$n" "$ssbvox" run "$case" "${sets[@]}" --set output.dir="$dir/$out" --set output.fields=false \
    "$@" >"$dir/$log" 2>&1
}
wait_for() {  # wait_for SECONDS TEST...: poll until the test holds
  local n=$(($1 * 20))
  shift
  for ((i = 0; i < n; ++i)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# 1. Reference.
run "$np" ref ref.log --set "studies[0].checkpoint.every_steps=0" --set "studies[0].checkpoint.every_seconds=0" ||
  fail "the reference run failed"
[[ -e $dir/ref/${study}_checkpoint.h5 ]] && fail "checkpoints switched off, but the reference wrote one"

# 2. Killed after its first checkpoint.
run "$np" b kill.log --set "studies[0].checkpoint.every_steps=4" &
bg=$!
wait_for 60 test -e "$dir/b/${study}_checkpoint.h5" || fail "no checkpoint appeared within 60 s"
pid=$(sed -n 's/^pid //p' "$dir/b/.ssbvox.lock" 2>/dev/null)
[[ -n $pid ]] || fail "no lock owner to kill"
kill -KILL "$pid"
wait "$bg"
echo "killed run exited with $?"
[[ -e $dir/b/results.json ]] && fail "the run finished before it was killed (make the case longer)"

# 3. Restart.
run "$rnp" b restart.log --restart || fail "the restarted run failed"
resumed=$(sed -n 's/.*resumed from .* at t = \([0-9.e+-]*\) s.*/\1/p' "$dir/restart.log" | head -1)
[[ -n $resumed ]] || fail "the restarted run does not say it resumed and from which t"
echo "resumed at t = $resumed s"
"$jsoncheck" "$dir/b/results.json" complete=true || fail "results.json of the restarted run is not complete"
cp "$spec" "$dir/spec.yaml"
"$gold" --update "$dir/spec.yaml" "$dir/ref" >/dev/null || fail "cannot collect the reference values"
"$gold" "$dir/spec.yaml" "$dir/b" || fail "the restarted run's results differ from the uninterrupted run's"
ref_csv=$dir/ref/${study}_timeseries.csv b_csv=$dir/b/${study}_timeseries.csv
# A restored row is the state the killed run saved, identical column for column, except the front position and
# width (columns 6 and 7): they are derived at the end of the run from the levels between the protocol step's
# start and end mean x, and the end of a step the restart finishes moves in the last digits (the integrator
# restarts its history at the resume time), so they agree to 1e-4 relative.
awk -F, -v tr="$resumed" '
  function same(a, b,   x, y, n, k, d) {
    n = split(a, x, ","); if (n != split(b, y, ",")) return 0
    for (k = 1; k <= n; ++k) {
      if (x[k] == y[k]) continue
      if ((k != 6 && k != 7) || x[k] == "" || y[k] == "") return 0
      d = x[k] - y[k]; if (d < 0) d = -d
      if (d > 1e-4 * (y[k] < 0 ? -y[k] : y[k])) return 0
    }
    return 1
  }
  FNR == 1 { if ($6 !~ /^front position/ || $7 !~ /^front width/) { print "columns 6, 7 are not the front: " $0; bad = 1 }; next }
  FNR == NR { ref[FNR] = $0; nref = FNR; rt[FNR] = $1; rstep[FNR] = $9; next }
  {
    if (FNR > 2 && !($1 > prev)) { print "time not increasing at row " FNR ": " $1; bad = 1 }
    prev = $1
    if ($1 <= tr + 0) { if (!same($0, ref[FNR])) { print "row " FNR " (t = " $1 " <= " tr ") differs from the reference: " $0 " vs " ref[FNR]; bad = 1 }; nsame = FNR }
    steps[$9] = 1; last = $0; lt = $1; ls = $9; n = FNR
  }
  END {
    for (k = 2; k <= nref; ++k) if (!(rstep[k] in steps)) { print "protocol step " rstep[k] " missing"; bad = 1 }
    if (nsame < 3) { print "fewer than 2 restored rows before the resume time"; bad = 1 }
    if (ls != rstep[nref]) { print "last step " ls " != " rstep[nref]; bad = 1 }
    d = lt - rt[nref]; if (d < 0) d = -d
    if (d > 1e-3 * rt[nref]) { print "end time " lt " s vs " rt[nref] " s"; bad = 1 }
    printf "timeseries: %d rows (reference %d), %d identical rows up to t = %s s, end %s s vs %s s\n", n - 1, nref - 1, nsame - 1, tr, lt, rt[nref]
    exit bad
  }' "$ref_csv" "$b_csv" || fail "the restarted time series does not continue the reference's"

# 4. The finished study again: nothing is computed.
cp "$dir/b/results.json" "$dir/done.json"
cp "$b_csv" "$dir/done.csv"
run "$rnp" b again.log --restart || fail "--restart of the finished run failed"
grep -q "holds the finished run .*nothing to compute" "$dir/again.log" || fail "--restart of a finished study did not say so"
cmp -s "$b_csv" "$dir/done.csv" || fail "the time series changed on a restart of a finished study"
"$jsoncheck" "$dir/b/results.json" complete=true || fail "results.json after the second restart is not complete"
ts1=$(grep -o '"time_steps": [0-9]*' "$dir/done.json") ts2=$(grep -o '"time_steps": [0-9]*' "$dir/b/results.json")
[[ -n $ts1 && $ts1 == "$ts2" ]] || fail "time steps changed on a restart of a finished study ($ts1 / $ts2)"

# 5. An edited case is refused (exit 2) naming the key; nothing changes.
run "$rnp" b edited.log --restart --set "studies[0].initial.x=0.96"
rc=$?
[[ $rc -eq 2 ]] || fail "--restart with an edited case exited $rc, expected 2"
grep -q "input error: .*checkpoint .* was written for other inputs; changed: initial.x (0.97 -> 0.96)\..*run without --restart" \
  "$dir/edited.log" || fail "the refusal does not name the changed key and what to do"
cmp -s "$b_csv" "$dir/done.csv" || fail "the refused restart changed the time series"

# 6. An unreadable checkpoint is refused the same way (exit 2, naming the file and what to do).
echo "not HDF5" >"$dir/b/${study}_checkpoint.h5"
run "$rnp" b broken.log --restart
rc=$?
[[ $rc -eq 2 ]] || fail "--restart with a damaged checkpoint exited $rc, expected 2"
grep -q "input error: .*--restart: .*${study}_checkpoint.h5: cannot open it as HDF5.*; remove the checkpoint or run without --restart" \
  "$dir/broken.log" || fail "the refusal of a damaged checkpoint does not name the file and what to do"
echo "restart_test: ok"
