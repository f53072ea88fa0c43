#!/usr/bin/env bash
# The optimizing tier's short inner loops (src/wasm/native/loop_polls.cpp):
# a counted inner loop of at most 65536 trips runs a copy without its
# back-edge poll, its accesses plain and its i32 induction variables
# checked for wrapping on entry, so that LLVM can vectorize it. These
# check that the copy computes what the interpreter does, that it is not
# taken where it must not be (an address sum that wraps past 2^32, a trip
# count over the bound, fuel metered), that a fault inside it is still
# the wasm trap, and that a spinning outer loop around it still stops.
source "$(dirname "$0")/common.bash"

wat loops <<'W'
(module
  (memory 8)
  ;; p[k] = k * 3 + seed, then the sum of p[k] * k, for k < n.
  (func (export "fill_sum") (param $n i32) (param $seed i32) (result i64)
    (local $k i32) (local $p i32) (local $sum i64)
    (local.set $p (i32.const 64))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $fill
        (i32.store (local.get $p)
          (i32.add (i32.mul (local.get $k) (i32.const 3)) (local.get $seed)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $fill (i32.lt_u (local.get $k) (local.get $n)))))
    (local.set $k (i32.const 0))
    (local.set $p (i32.const 64))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $sum
        (local.set $sum (i64.add (local.get $sum)
          (i64.mul (i64.extend_i32_u (i32.load (local.get $p)))
                   (i64.extend_i32_u (local.get $k)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $sum (i32.lt_u (local.get $k) (local.get $n)))))
    (local.get $sum))
  ;; The address sum p + 16 wraps past 2^32 from the first trip: wasm's
  ;; i32 arithmetic puts the stores at 8, 16, 24, ...
  (func (export "wrapping") (param $n i32) (result i32)
    (local $k i32) (local $p i32) (local $sum i32)
    (local.set $p (i32.const 0xFFFFFFF8))
    (loop $l
      (i32.store (i32.add (local.get $p) (i32.const 16)) (local.get $k))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (local.get $n))))
    (local.set $k (i32.const 0))
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (i32.load (i32.add (i32.const 8) (i32.shl (local.get $k) (i32.const 3))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (local.get $n))))
    (local.get $sum))
  ;; Runs off the end of memory (8 pages) on the third trip.
  (func (export "off_the_end") (param $n i32)
    (local $k i32) (local $p i32)
    (local.set $p (i32.const 524280))
    (loop $l
      (f64.store (local.get $p) (f64.const 1.5))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (local.get $n)))))
  ;; A short inner loop inside an outer loop that never ends.
  (func (export "spin")
    (local $k i32)
    (loop $outer
      (local.set $k (i32.const 0))
      (loop $inner
        (i32.store (i32.shl (local.get $k) (i32.const 2)) (local.get $k))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $k) (i32.const 1000))))
      (br $outer))))
W
m="$TMP/loops.wasm"

# Both tiers agree, on both sides of the trip-count bound.
for args in "1 7" "3 7" "1000 5" "65536 1" "65537 2" "100000 9"; do
  expect_status 0 "$WEFT" run --tier interp --invoke fill_sum "$m" $args
  want=$(cat "$TMP/out")
  expect_status 0 "$WEFT" run --tier optimized --invoke fill_sum "$m" $args
  [ "$(cat "$TMP/out")" = "$want" ] || fail "fill_sum $args: optimized $(cat "$TMP/out"), interpreted $want"
done
[ "$want" = "$(python3 -c 'print(sum((k * 3 + 9) % 2**32 * k for k in range(100000)))')" ] ||
  fail "fill_sum 100000 9: $want"

# The copy exists and is vectorized (WEFT_NATIVE_DUMP_IR: the optimized IR):
# fill_sum's two loops are short, countable and call-free.
WEFT_CACHE=off WEFT_NATIVE_DUMP_IR="$TMP/ir.ll" expect_status 0 "$WEFT" run --tier optimized \
  --invoke fill_sum "$m" 1000 5
grep -q "weft.unpolled" "$TMP/ir.ll" || fail "no loop was versioned without its poll"
grep -q "^vector.body" "$TMP/ir.ll" || fail "no short loop was vectorized"
grep -q "weft.nuw.checked" "$TMP/ir.ll" && fail "no-wrap marks left in the optimized IR"

# Wrapping address sums: the copy's no-wrap check fails, the loop polls
# and wraps as wasm says.
expect_status 0 "$WEFT" run --tier optimized --invoke wrapping "$m" 1000
expect_contains "$TMP/out" "$((999 * 1000 / 2))"

# A fault inside the unpolled copy is still the trap, named.
expect_status 134 "$WEFT" run --tier optimized --invoke off_the_end "$m" 100
expect_contains "$TMP/err" "out of bounds memory access"

# The outer loop polls: a timeout stops it (so does fuel: under fuel
# the flag is always set: fuzz_tiers meters every call).
expect_status 124 "$WEFT" run --tier optimized --timeout 300ms --invoke spin "$m"
expect_contains "$TMP/err" "timeout"

finish
