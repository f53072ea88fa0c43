#!/usr/bin/env bash
# `--tier optimized`: functions run as LLVM machine code, with the
# interpreter's semantics at every edge a user sees: results, traps and
# their wasm backtraces through native and interpreted frames, the stack
# limit, --timeout in a spinning native loop, fuel-free memory growth, and
# calls both ways between native functions and ones that stay interpreted
# (here: those with table instructions, which the tier does not cover yet).
source "$(dirname "$0")/common.bash"

wat tiers <<'W'
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $fib $interp_add)
  (type $ii (func (param i32) (result i32)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  ;; table.size keeps this one in the interpreter; it calls native $fib.
  (func $interp_add (export "interp_add") (param i32) (result i32)
    (i32.add (table.size 0) (call $fib (local.get 0))))
  ;; native → interpreted → native, and call_indirect both ways.
  (func (export "mixed") (param i32) (result i32)
    (i32.add (call $interp_add (local.get 0))
             (call_indirect (type $ii) (local.get 0) (i32.const 0))))
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func (export "nested_trap") (call $middle))
  (func $interp_trap (drop (table.size 0)) (call $middle))

  (func (export "trap_through_interp") (call $interp_trap))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "store_load") (param i32 i64) (result i64)
    (i64.store (local.get 0) (local.get 1)) (i64.load (local.get 0)))
  (func (export "spin") (loop (br 0)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (local.get 0)) (i32.const 1)))
  (func (export "bad_indirect") (result i32)
    (call_indirect (type $ii) (i32.const 1) (i32.const 5)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "nan_min") (param f32) (result f32) (f32.min (local.get 0) (f32.const 1))))
W
m="$TMP/tiers.wasm"
O=(--tier optimized)

expect_status 0 "$WEFT" run "${O[@]}" --invoke fib "$m" 25
expect_output "75025"
expect_status 0 "$WEFT" run "${O[@]}" --invoke interp_add "$m" 10
expect_output "57"
# interp_add(6) = 2 + fib(6) = 10; fib(6) through the table = 8.
expect_status 0 "$WEFT" run "${O[@]}" --invoke mixed "$m" 6
expect_output "18"

# Backtraces name native frames (innermost first), then interpreted ones.
expect_status 134 "$WEFT" run "${O[@]}" --invoke nested_trap "$m"
expect_contains "$TMP/err" "unreachable"
expect_contains "$TMP/err" "0: func[3]"
expect_contains "$TMP/err" "1: func[4]"
expect_contains "$TMP/err" "2: func[5]"
expect_status 134 "$WEFT" run "${O[@]}" --invoke trap_through_interp "$m"
expect_contains "$TMP/err" "0: func[3]"
expect_contains "$TMP/err" "1: func[4]"
expect_contains "$TMP/err" "2: func[6]"
expect_contains "$TMP/err" "3: func[7]"

expect_status 134 "$WEFT" run "${O[@]}" --invoke oob "$m" 65533
expect_contains "$TMP/err" "out of bounds memory access"
expect_status 0 "$WEFT" run "${O[@]}" --invoke oob "$m" 65532
expect_status 0 "$WEFT" run "${O[@]}" --invoke grow "$m" 2
expect_output "1"
expect_status 0 "$WEFT" run "${O[@]}" --invoke store_load "$m" 65528 -5
expect_output "-5"
expect_status 134 "$WEFT" run "${O[@]}" --invoke store_load "$m" 65529 1
expect_contains "$TMP/err" "out of bounds memory access"

expect_status 124 "$WEFT" run "${O[@]}" --timeout 300ms --invoke spin "$m"
expect_status 134 "$WEFT" run "${O[@]}" --invoke recurse "$m" 1
expect_contains "$TMP/err" "call stack exhausted"
expect_status 134 "$WEFT" run "${O[@]}" --invoke bad_indirect "$m"
expect_contains "$TMP/err" "undefined element"
expect_status 134 "$WEFT" run "${O[@]}" --invoke trunc "$m" 3e9
expect_contains "$TMP/err" "integer overflow"
expect_status 134 "$WEFT" run "${O[@]}" --invoke trunc "$m" nan
expect_contains "$TMP/err" "invalid conversion to integer"
expect_status 0 "$WEFT" run "${O[@]}" --invoke trunc "$m" -2147483648.9
expect_output "-2147483648"

# Every answer above is the interpreter's too.
for call in "fib 20" "mixed 9" "grow 1" "trunc 12.7" "size"; do
  read -r name arg <<<"$call"
  a=$("$WEFT" run --tier interp --invoke "$name" "$m" $arg 2>&1)
  b=$("$WEFT" run "${O[@]}" --invoke "$name" "$m" $arg 2>&1)
  [ "$a" = "$b" ] || fail "$name $arg: interpreter '$a', optimized '$b'"
done

finish
