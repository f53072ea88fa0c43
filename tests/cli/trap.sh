#!/usr/bin/env bash
# A trap exits 134 (like wasmtime) and prints the trap and a wasm backtrace.
source "$(dirname "$0")/common.bash"

wat traps <<'W'
(module
  (func $inner (export "boom") unreachable)
  (func $outer (export "outer") call $inner)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $recurse (export "recurse") call $recurse)
  (func (export "_start") call $outer))
W
m="$TMP/traps.wasm"
expect_status 134 "$WEFT" run --invoke outer "$m"
expect_contains "$TMP/err" "unreachable"
expect_contains "$TMP/err" "0: func[0]"
expect_contains "$TMP/err" "1: func[1]"

expect_status 134 "$WEFT" run "$m"
expect_contains "$TMP/err" "unreachable"
expect_contains "$TMP/err" "func[0]"

expect_status 134 "$WEFT" run --invoke div "$m" 1 0
expect_contains "$TMP/err" "integer divide by zero"
expect_status 134 "$WEFT" run --invoke div "$m" -2147483648 -1
expect_contains "$TMP/err" "integer overflow"
expect_status 0 "$WEFT" run --invoke div "$m" 7 2
expect_output "3"

expect_status 134 "$WEFT" run --invoke recurse "$m"
expect_contains "$TMP/err" "call stack exhausted"

# A trap in the start function is reported the same way.
wat start_trap <<'W'
(module (func $s unreachable) (start $s))
W
expect_status 134 "$WEFT" run "$TMP/start_trap.wasm"
expect_contains "$TMP/err" "unreachable"

finish
