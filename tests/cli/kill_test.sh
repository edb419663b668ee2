#!/bin/bash
# kill_test.sh SSBVOX JSONCHECK CASE DIR SMALL_CASE MPIEXEC...
# Interrupting a run never leaves a half-written result, and a second run into a busy directory is refused:
#  1. a 128^3 run (2 ranks) into DIR takes the directory's lock; a second run into DIR exits 1, naming the
#     first run's pid, and changes nothing;
#  2. SIGTERM to the first run's rank 0 in the middle of its conductivity study: results.json is absent or
#     complete JSON saying complete: false, no fields.h5, and no temporary file or lock is left;
#  3. the same run again, SIGKILL in the middle: results.json absent or complete JSON, no fields.h5 (its
#     temporary file and the lock may stay: nothing can run after SIGKILL);
#  4. a small run into DIR succeeds: it takes over the stale lock, removes the stale temporary files, and
#     leaves a complete results.json, a readable fields.h5, no temporary file and no lock.
set -u
ssbvox=$1 jsoncheck=$2 case=$3 dir=$4 small=$5
shift 5
mpi=("$@")
fail() { echo "kill_test: FAIL: $*"; for f in "$dir".*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
rm -rf "$dir" "$dir".*.log
lock=$dir/.ssbvox.lock

start() {  # start NAME: the 128^3 run in the background
  "${mpi[@]}" -n 2 "$ssbvox" run "$case" --set output.dir="$dir" >"$dir.$1.log" 2>&1 &
  bg=$!
}
wait_for() {  # wait_for SECONDS TEST...: poll until the test holds
  local n=$(($1 * 10))
  shift
  for ((i = 0; i < n; ++i)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
owner() { sed -n 's/^pid //p' "$lock" 2>/dev/null; }
in_study() { [[ -n $(owner) && -e $dir/results.json ]]; }  # the first study is done: results.json exists
no_half_written() {
  if [[ -e $dir/results.json ]]; then
    "$jsoncheck" "$dir/results.json" complete=false || fail "$1: results.json is not complete JSON of an unfinished run"
  fi
  [[ -e $dir/fields.h5 ]] && fail "$1: fields.h5 exists although the run never finished"
  return 0
}

# 1. Busy directory.
start term
wait_for 120 in_study || fail "the 128^3 run did not reach its conductivity study within 120 s"
pid=$(owner)
out=$("${mpi[@]}" -n 1 "$ssbvox" run "$small" --set output.dir="$dir" 2>&1)
rc=$?
echo "$out" | tail -3
[[ $rc -eq 1 ]] || fail "a second run into a busy directory exited $rc, expected 1"
grep -q "is in use by another ssbvox run (pid $pid on host" <<<"$out" || fail "the refusal does not name pid $pid"

# 2. SIGTERM in the middle of the conductivity study.
sleep 0.5
kill -TERM "$pid"
wait "$bg"
echo "SIGTERM run exited with $?"
no_half_written SIGTERM
ls -A "$dir"
ls -A "$dir" | grep -q 'ssbvox.tmp$' && fail "SIGTERM left a temporary file"
[[ -e $lock ]] && fail "SIGTERM left the lock file"

# 3. SIGKILL in the middle of the conductivity study.
rm -f "$dir/results.json"
start kill
wait_for 120 in_study || fail "the second 128^3 run did not reach its conductivity study within 120 s"
sleep 0.5
kill -KILL "$(owner)"
wait "$bg"
echo "SIGKILL run exited with $?"
no_half_written SIGKILL
ls -A "$dir"

# 4. The next run cleans up.
out=$("${mpi[@]}" -n 2 "$ssbvox" run "$small" --set output.dir="$dir" 2>&1) || fail "the run after SIGKILL failed: $out"
echo "$out" | grep -E "lock|removed" || true
"$jsoncheck" "$dir/results.json" complete=true || fail "results.json of the last run is not complete"
"${mpi[@]}" -n 1 "$ssbvox" info "$dir/fields.h5" --dataset labels >/dev/null || fail "fields.h5 of the last run is not readable"
ls -A "$dir"
ls -A "$dir" | grep -q 'ssbvox.tmp$' && fail "temporary files remain after the next run"
[[ -e $lock ]] && fail "the lock file remains after the next run"
echo "kill_test: ok"
