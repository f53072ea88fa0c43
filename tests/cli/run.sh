#!/usr/bin/env bash
# `weft run`: --invoke with typed arguments, result printing, entry points.
source "$(dirname "$0")/common.bash"

wat calc <<'W'
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "mulf") (param f32 f32) (result f32) local.get 0 local.get 1 f32.mul)
  (func (export "divd") (param f64 f64) (result f64) local.get 0 local.get 1 f64.div)
  (func (export "pair") (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_s)
  (func (export "none"))
  (func (export "null") (result externref) ref.null extern))
W
m="$TMP/calc.wasm"
expect_status 0 "$WEFT" run --invoke add "$m" 2 3
expect_output "5"
expect_status 0 "$WEFT" run --invoke add "$m" -7 0x10
expect_output "9"
# i32 results print signed; the unsigned spelling of an argument is accepted.
expect_status 0 "$WEFT" run --invoke add "$m" 4294967295 0
expect_output "-1"
expect_status 0 "$WEFT" run --invoke add64 "$m" 9223372036854775807 1
expect_output "-9223372036854775808"
expect_status 0 "$WEFT" run --invoke add64 "$m" -0x10 1
expect_output "-15"
expect_status 0 "$WEFT" run --invoke mulf "$m" 1.5 0.1
expect_output "0.15"
expect_status 0 "$WEFT" run --invoke mulf "$m" inf -1
expect_output "-inf"
expect_status 0 "$WEFT" run --invoke divd "$m" 1 3
expect_output "0.3333333333333333"
expect_status 0 "$WEFT" run --invoke divd "$m" 0 0
expect_contains "$TMP/out" "nan"
expect_status 0 "$WEFT" run --invoke divd "$m" nan 1
expect_contains "$TMP/out" "nan"
expect_status 0 "$WEFT" run --invoke pair "$m" -3
expect_output $'-3\n-3'
expect_status 0 "$WEFT" run --invoke none "$m"
expect_output ""
expect_status 0 "$WEFT" run --invoke null "$m"
expect_output "ref.null"

# Argument errors are usage errors that say what was wrong.
expect_status 2 "$WEFT" run --invoke add "$m" 1
expect_contains "$TMP/err" "takes 2 argument"
expect_status 2 "$WEFT" run --invoke add "$m" 1 x
expect_contains "$TMP/err" "cannot parse 'x' as i32"
expect_status 2 "$WEFT" run --invoke add "$m" 1 4294967296
expect_status 2 "$WEFT" run --invoke missing "$m"
expect_contains "$TMP/err" "no exported function 'missing'"
expect_status 2 "$WEFT" run "$m"
expect_contains "$TMP/err" "_start"

# A command module: _start runs; arguments after FILE are the guest's, even
# ones that look like flags.
wat cmd <<'W'
(module (global $g (mut i32) (i32.const 0)) (func (export "_start") i32.const 1 global.set $g))
W
expect_status 0 "$WEFT" run "$TMP/cmd.wasm" -x --flag value
expect_output ""
expect_status 0 "$WEFT" run "$TMP/cmd.wasm" --invoke nothing -h
expect_output ""
expect_status 0 "$WEFT" run -- "$TMP/cmd.wasm"
expect_status 0 "$WEFT" run --invoke add "$m" -- -1 -2
expect_output "-3"
expect_status 0 "$WEFT" run --invoke=add "$m" 1 2
expect_output "3"

# A reactor: _initialize runs before the invoked export.
wat reactor <<'W'
(module
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") i32.const 7 global.set $ready)
  (func (export "ready") (result i32) global.get $ready))
W
expect_status 0 "$WEFT" run --invoke ready "$TMP/reactor.wasm"
expect_output "7"

# Unresolved imports fail to link with a message naming the import.
wat needs <<'W'
(module (import "nowhere" "thing" (func)) (func (export "_start")))
W
expect_status 1 "$WEFT" run "$TMP/needs.wasm"
expect_contains "$TMP/err" "thing"

expect_status 1 "$WEFT" run "$TMP/missing.wasm"
expect_contains "$TMP/err" "$TMP/missing.wasm"

finish
