#!/bin/bash
# expect_error.sh CODE REGEX CMD...: pass if CMD exits with exactly CODE (2 = input error, 1 = run-time error;
# never a signal or an abort) and its output matches REGEX.
want=$1; re=$2; shift 2
out=$("$@" 2>&1); rc=$?
echo "$out"
if [[ $rc -eq 0 ]]; then echo "expect_error: command succeeded but an error was expected"; exit 1; fi
if [[ $rc -ge 128 ]]; then echo "expect_error: command died with signal (rc=$rc)"; exit 1; fi
if grep -qiE "Segmentation|Caught signal|core dumped|terminate called" <<<"$out"; then echo "expect_error: crash text in output"; exit 1; fi
if [[ $rc -ne $want ]]; then echo "expect_error: exit code $rc, expected $want (2 = input error, 1 = run-time error)"; exit 1; fi
if ! grep -qE -- "$re" <<<"$out"; then echo "expect_error: output does not match /$re/"; exit 1; fi
echo "expect_error: ok (rc=$rc)"
