#!/bin/bash
# expect_output.sh REGEX... -- CMD...: pass if CMD exits 0 and its output (stdout and stderr, in any order)
# matches every REGEX (extended grep syntax).
res=()
while [[ $# -gt 0 && $1 != "--" ]]; do res+=("$1"); shift; done
shift
out=$("$@" 2>&1); rc=$?
echo "$out"
if [[ $rc -ne 0 ]]; then echo "expect_output: command failed (rc=$rc)"; exit 1; fi
for re in "${res[@]}"; do
  if ! grep -qE -- "$re" <<<"$out"; then echo "expect_output: output does not match /$re/"; exit 1; fi
done
echo "expect_output: ok"
