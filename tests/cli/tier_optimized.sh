#!/usr/bin/env bash
# `--tier optimized`: functions run as LLVM machine code, with the
# interpreter's semantics at every edge a user sees: results, traps and
# their wasm backtraces through native and interpreted frames, the stack
# limit, --timeout in a spinning native loop, fuel-free memory growth, and
# calls both ways between native functions and ones that stay interpreted
# (here: functions 1 and 6, kept out of the tier by WEFT_TIER_INTERPRET).
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
  ;; Function 1, interpreted; it calls native $fib.
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
export WEFT_TIER_INTERPRET=1,6
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

# same_in_both_tiers MODULE "EXPORT [ARG]"...: each call prints the same and
# exits the same in the interpreter and in the optimizing tier.
same_in_both_tiers() {
  local module=$1 call name arg a b
  shift
  for call in "$@"; do
    read -r name arg <<<"$call"
    a=$("$WEFT" run --tier interp --invoke "$name" "$module" $arg 2>&1; echo "status $?")
    b=$("$WEFT" run "${O[@]}" --invoke "$name" "$module" $arg 2>&1; echo "status $?")
    [ "$a" = "$b" ] || fail "$(basename "$module"): $name $arg: interpreter '$a', optimized '$b'"
  done
}

# Every answer above is the interpreter's too.
same_in_both_tiers "$m" "fib 20" "mixed 9" "grow 1" "trunc 12.7" "size"

# Table and reference instructions in machine code: every function of this
# module is compiled, and each answers and traps as the interpreter does.
unset WEFT_TIER_INTERPRET
wat tables <<'W'
(module
  (type $v (func (result i32)))
  (table $t 4 funcref)
  (table $e 2 externref)
  (elem $seg func $one $two)
  (elem declare func $three)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))
  ;; size, grow, set, get, fill, copy, init, drop and call_indirect over
  ;; what they left: old size 4, + 2 * size 6, + [1 2 3 3 1 2] = 28.
  (func (export "shuffle") (result i32)
    (local $old i32) (local $sum i32) (local $i i32)
    (local.set $old (table.grow $t (ref.null func) (i32.const 2)))
    (table.init $t $seg (i32.const 0) (i32.const 0) (i32.const 2))
    (elem.drop $seg)
    (table.set $t (i32.const 2) (ref.func $three))
    (table.fill $t (i32.const 3) (table.get $t (i32.const 2)) (i32.const 1))
    (table.copy $t $t (i32.const 4) (i32.const 0) (i32.const 2))
    (local.set $sum (i32.add (local.get $old) (i32.mul (table.size $t) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (table.size $t)))
        (local.set $sum (i32.add (local.get $sum)
                                 (call_indirect $t (type $v) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $sum))
  (func (export "get_oob") (param i32) (result i32)
    (ref.is_null (table.get $t (local.get 0))))
  (func (export "fill_oob") (param i32)
    (table.fill $t (local.get 0) (ref.func $three) (i32.const 2)))
  ;; table.init after elem.drop: any length but 0 is out of bounds.
  (func (export "init_dropped") (param i32)
    (elem.drop $seg)
    (table.init $t $seg (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "grow_extern") (param i32) (result i32)
    (table.grow $e (ref.null extern) (local.get 0)))
  (func (export "copy_oob") (param i32)
    (table.copy $t $t (local.get 0) (i32.const 0) (i32.const 2))))
W
t="$TMP/tables.wasm"
WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run "${O[@]}" --invoke shuffle "$t"
expect_output "28"
expect_contains "$TMP/err" "9 functions ("
grep -q "stays interpreted" "$TMP/err" && fail "a table function stayed interpreted: $(cat "$TMP/err")"
expect_status 134 "$WEFT" run "${O[@]}" --invoke get_oob "$t" 4
expect_contains "$TMP/err" "out of bounds table access"
expect_contains "$TMP/err" "0: func[4]"
expect_status 0 "$WEFT" run "${O[@]}" --invoke get_oob "$t" 3
expect_output "1"
expect_status 134 "$WEFT" run "${O[@]}" --invoke fill_oob "$t" 3
expect_contains "$TMP/err" "out of bounds table access"
expect_status 134 "$WEFT" run "${O[@]}" --invoke init_dropped "$t" 1
expect_contains "$TMP/err" "out of bounds table access"
expect_status 0 "$WEFT" run "${O[@]}" --invoke init_dropped "$t" 0
expect_status 0 "$WEFT" run "${O[@]}" --invoke grow_extern "$t" 5
expect_output "2"
expect_status 134 "$WEFT" run "${O[@]}" --invoke copy_oob "$t" 3
expect_contains "$TMP/err" "out of bounds table access"
same_in_both_tiers "$t" "shuffle" "get_oob 2" "get_oob 9" "fill_oob 2" "fill_oob 3" \
  "init_dropped 1" "grow_extern 4294967295" "copy_oob 2" "copy_oob 3"

# A second memory in machine code: loads, stores, size, grow, init, copy and
# fill on memory 1 (and a copy into memory 0) run in the compiled function.
cat >"$TMP/mems.wat" <<'W'
(module
  (memory $a 1)
  (memory $b 1 3)
  (data $d "hello")
  (func (export "run") (param i32) (result i64)
    (local i64)
    (i64.store $b offset=8 (local.get 0) (i64.const 0x1122334455667788))
    (local.set 1 (i64.load32_u $b offset=8 (local.get 0)))
    (i32.store8 $b (i32.const 100) (i32.const 0x41))
    (memory.init $b $d (i32.const 200) (i32.const 0) (i32.const 5))
    (memory.copy $a $b (i32.const 0) (i32.const 200) (i32.const 5))
    (memory.fill $b (i32.const 300) (i32.const 7) (i32.const 10))
    (i64.add (local.get 1)
      (i64.extend_i32_u
        (i32.add (i32.add (i32.load8_u $a (i32.const 4)) (i32.load8_s $b (i32.const 100)))
                 (i32.add (i32.load8_u $b (i32.const 309))
                          (i32.mul (i32.const 1000) (memory.grow $b (i32.const 1))))))))
  (func (export "size") (result i32) (memory.size $b))
  (func (export "grow") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "oob") (param i32) (result i32) (i32.load $b (local.get 0))))
W
wat2wasm --enable-multi-memory "$TMP/mems.wat" -o "$TMP/mems.wasm" || fail "wat2wasm mems"
mm="$TMP/mems.wasm"
# 0x55667788 + 'o' + 'A' + 7 + 1000 * (memory 1's old size, 1 page)
WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run "${O[@]}" --invoke run "$mm" 16
expect_output "1432779815"
expect_contains "$TMP/err" "4 functions ("
expect_status 134 "$WEFT" run "${O[@]}" --invoke oob "$mm" 65533
expect_contains "$TMP/err" "out of bounds memory access"
expect_contains "$TMP/err" "0: func[3]"
expect_status 0 "$WEFT" run "${O[@]}" --invoke oob "$mm" 65532
same_in_both_tiers "$mm" "run 0" "run 65528" "size" "grow 2" "grow 3" "oob 65536"

# Exceptions (tests/spec/exceptions/across_tiers.wast): every function
# compiles, throws and catches alike; then with the catching functions (4,
# 5, 6) interpreted under native throwers, and with the throwers (0, 2, 3)
# interpreted under native catchers.
eh="$(dirname "$0")/../spec/exceptions/across_tiers.wast"
WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 0 "$WEFT" wast "${O[@]}" "$eh"
expect_contains "$TMP/out" "5 passed, 0 failed"
expect_contains "$TMP/err" "9 functions ("
WEFT_TIER_INTERPRET=4,5,6 WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 0 "$WEFT" wast "${O[@]}" "$eh"
expect_contains "$TMP/out" "5 passed, 0 failed"
expect_contains "$TMP/err" "6 functions ("
WEFT_TIER_INTERPRET=0,2,3 WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 0 "$WEFT" wast "${O[@]}" "$eh"
expect_contains "$TMP/out" "5 passed, 0 failed"
expect_contains "$TMP/err" "6 functions ("

# A loop whose only way round is a catch (try_table's label is the loop):
# the catch's branch back polls, so --timeout still stops it. Written as
# bytes: wat2wasm predates try_table.
python3 - "$TMP/spin_catch.wasm" <<'PY'
import sys
def leb(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
def sec(i, body): return bytes([i]) + leb(len(body)) + body
def vec(xs): return leb(len(xs)) + b"".join(xs)
throw = b"\x00" + b"\x08\x00" + b"\x0b"                     # (func $t (throw $e))
spin = (b"\x00" + b"\x03\x40" + b"\x1f\x40" + vec([b"\x00\x00\x00"])  # loop, try_table (catch $e 0)
        + b"\x10\x00" + b"\x0b\x0b\x0b")                      # call $t, end end end
open(sys.argv[1], "wb").write(
    b"\0asm\x01\0\0\0" + sec(1, vec([b"\x60\x00\x00"])) + sec(3, vec([b"\x00", b"\x00"]))
    + sec(13, vec([b"\x00\x00"])) + sec(7, vec([leb(4) + b"spin\x00\x01"]))
    + sec(10, vec([leb(len(throw)) + throw, leb(len(spin)) + spin])))
PY
WEFT_CACHE=off WEFT_TIER_LOG=1 expect_status 124 "$WEFT" run "${O[@]}" --timeout 300ms --invoke spin "$TMP/spin_catch.wasm"
expect_contains "$TMP/err" "2 functions ("

# One memory imported as memory 0 and memory 1: a grow through memory 1 is
# seen by memory 0's code in both tiers (checked to fail without the reload).
for tier in interp optimized; do
  WEFT_CACHE=off expect_status 0 "$WEFT" wast --tier "$tier" "$(dirname "$0")/aliased_memory.wast"
  expect_contains "$TMP/out" "2 passed, 0 failed"
done

finish
