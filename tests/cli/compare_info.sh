#!/bin/bash
# compare_info.sh SSBVOX FILE_A [opts] -- FILE_B [opts]: `ssbvox info --json` label tables must be identical.
exe=$1; shift
a=(); while [[ $# -gt 0 && $1 != "--" ]]; do a+=("$1"); shift; done; shift
b=("$@")
ja=$("$exe" info --json "${a[@]}") || exit 1
jb=$("$exe" info --json "${b[@]}") || exit 1
la=$(sed -n '/"labels"/,$p' <<<"$ja"); lb=$(sed -n '/"labels"/,$p' <<<"$jb")
echo "$la"
if [[ -z $la || $la != "$lb" ]]; then echo "label tables differ:"; echo "$lb"; exit 1; fi
sa=$(grep -A4 shape_zyx <<<"$ja" | tr -d ' \n'); sb=$(grep -A4 shape_zyx <<<"$jb" | tr -d ' \n')
[[ ${sa%%]*} == "${sb%%]*}" ]] || { echo "shapes differ: $sa vs $sb"; exit 1; }
echo "identical label counts"
