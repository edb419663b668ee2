#!/bin/bash
# expect_error.sh REGEX CMD...: pass if CMD exits non-zero without a signal/abort and its output matches REGEX.
re=$1; shift
out=$("$@" 2>&1); rc=$?
echo "$out"
if [[ $rc -eq 0 ]]; then echo "expect_error: command succeeded but an error was expected"; exit 1; fi
if [[ $rc -ge 128 ]]; then echo "expect_error: command died with signal (rc=$rc)"; exit 1; fi
if grep -qiE "Segmentation|Caught signal|core dumped|terminate called" <<<"$out"; then echo "expect_error: crash text in output"; exit 1; fi
if ! grep -qE -- "$re" <<<"$out"; then echo "expect_error: output does not match /$re/"; exit 1; fi
echo "expect_error: ok (rc=$rc)"
