#!/usr/bin/env bash
# Correctness check of the compute benchmarks (not timed): builds each
# program natively and for wasm32-wasi, runs both with a small size
# argument and fails unless `weft run` prints exactly what native prints
# and exits the same way, in every tier (--tier interp, optimized, auto).
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

tiers=(interp optimized auto)
failed=0
for entry in "${WEFT_COMPUTE_PROGRAMS[@]}"; do
  read -r name _ small <<<"$entry"
  native_status=0
  "$out/$name" "$small" >"$out/$name.native" 2>&1 || native_status=$?
  ok=1
  for tier in "${tiers[@]}"; do
    status=0
    "$weft" run --tier "$tier" "$out/$name.wasm" "$small" >"$out/$name.$tier" \
      2>"$out/$name.$tier.stderr" || status=$?
    if [[ $native_status != "$status" ]]; then
      echo "FAIL $name $small: exit status native $native_status, weft --tier $tier $status"
      sed 's/^/  | /' "$out/$name.$tier.stderr" | head -20
      ok=0
    elif ! cmp -s "$out/$name.native" "$out/$name.$tier"; then
      echo "FAIL $name $small: MISMATCH, weft --tier $tier output differs from native:"
      diff "$out/$name.native" "$out/$name.$tier" | head -20 || true
      ok=0
    fi
  done
  if [[ $ok == 1 ]]; then
    echo "ok   $name $small (tiers: ${tiers[*]}): $(tail -n 1 "$out/$name.native")"
  else
    failed=1
  fi
done
exit "$failed"
