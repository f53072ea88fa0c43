#!/usr/bin/env bash
# Runs one spec script through `weft wast`.
# usage: run_spec.sh WEFT FILE.wast WORKDIR [WEFT WAST FLAGS...]
# Without flags the script runs in the interpreter (--tier interp), not in
# weft's default tier, so that each tier's entries test that tier. The code
# cache is off unless WEFT_CACHE is set: thousands of tiny modules.
# The script is converted with wabt's wast2json when it can parse it; the
# files it cannot (the table_*.wast folded forms under wabt 1.0.32) are given
# to weft's own text parser directly.
set -euo pipefail
weft=$1 wast=$2 work=$3
shift 3
if [[ $# == 0 ]]; then set -- --tier interp; fi
export WEFT_CACHE=${WEFT_CACHE:-off}
rm -rf "$work" && mkdir -p "$work"
stem=$(basename "$wast" .wast)
if wast2json --enable-extended-const "$wast" -o "$work/$stem.json" 2>"$work/wast2json.err"; then
  exec "$weft" wast "$@" "$work/$stem.json"
else
  echo "wast2json cannot parse $stem.wast ($(head -c 200 "$work/wast2json.err")); using weft's text parser"
  exec "$weft" wast "$@" "$wast"
fi
