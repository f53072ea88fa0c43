#!/usr/bin/env bash
# Correctness check of the compute benchmarks (not timed): builds each
# program natively and for wasm32-wasi, runs both with a small size
# argument and fails unless `weft run` prints exactly what native prints
# and exits the same way, in both tiers (--tier interp and optimized).
#
# usage: bench/compute/check.sh WEFT_BINARY [SOURCE_DIR]
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 WEFT_BINARY [SOURCE_DIR]" >&2
  exit 2
fi
weft=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/compute/common.sh
source "$here/common.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build_compute_programs "$here" "$out"

failed=0
for entry in "${WEFT_COMPUTE_PROGRAMS[@]}"; do
  read -r name _ small <<<"$entry"
  native_status=0 weft_status=0
  "$out/$name" "$small" >"$out/$name.native" 2>&1 || native_status=$?
  "$weft" run "$out/$name.wasm" "$small" >"$out/$name.weft" 2>"$out/$name.weft.stderr" ||
    weft_status=$?
  opt_status=0
  "$weft" run --tier optimized "$out/$name.wasm" "$small" >"$out/$name.opt" \
    2>"$out/$name.opt.stderr" || opt_status=$?
  if [[ $native_status != "$weft_status" ]]; then
    echo "FAIL $name $small: exit status native $native_status, weft $weft_status"
    sed 's/^/  | /' "$out/$name.weft.stderr" | head -20
    failed=1
  elif ! cmp -s "$out/$name.native" "$out/$name.weft"; then
    echo "FAIL $name $small: MISMATCH, weft output differs from native:"
    diff "$out/$name.native" "$out/$name.weft" | head -20 || true
    failed=1
  elif [[ $native_status != "$opt_status" ]]; then
    echo "FAIL $name $small: exit status native $native_status, weft --tier optimized $opt_status"
    sed 's/^/  | /' "$out/$name.opt.stderr" | head -20
    failed=1
  elif ! cmp -s "$out/$name.native" "$out/$name.opt"; then
    echo "FAIL $name $small: MISMATCH, weft --tier optimized output differs from native:"
    diff "$out/$name.native" "$out/$name.opt" | head -20 || true
    failed=1
  else
    echo "ok   $name $small (both tiers): $(tail -n 1 "$out/$name.native")"
  fi
done
exit "$failed"
