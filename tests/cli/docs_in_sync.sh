#!/bin/bash
# docs/input-reference.md must be exactly what `ssbvox params` prints (regenerate: ssbvox params > docs/input-reference.md).
exe=$1; doc=$2
if ! diff <("$exe" params) "$doc"; then
  echo "docs/input-reference.md is out of date: run  ./build/ssbvox params > docs/input-reference.md"; exit 1
fi
echo "input reference in sync"
