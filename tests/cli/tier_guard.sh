#!/usr/bin/env bash
# Native code without bounds checks: on x86-64 each memory sits in a
# guarded reservation (8 GiB and a page), and a load or store past the
# memory's size faults into a signal handler that makes it the wasm trap.
# The same script passes in every way the process can be set up: guarded;
# bounds-checked on request (WEFT_NATIVE_BOUNDS=checks); bounds-checked
# because the address space is too small for one guard region (ulimit -v);
# and guarded code on an instance whose memory could not get its guard
# region, which then runs interpreted.
source "$(dirname "$0")/common.bash"

cat > "$TMP/guard.wast" <<'W'
(module $a
  (memory 1 2)
  (func $ld (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  ;; the largest offset: effective addresses up to 8 GiB
  (func (export "ld_far") (param i32) (result i32) (i32.load offset=0xFFFFFFFF (local.get 0)))
  ;; a load whose value is dropped still traps
  (func (export "drop_ld") (param i32) (drop (i64.load (local.get 0))))
  (func (export "st") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "ld8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  ;; a store before a faulting load has happened when the trap is seen
  (func (export "st_then_ld") (param i32) (result i32)
    (i32.store8 (i32.const 7) (i32.const 9))
    (i32.load (local.get 0)))
  ;; the first store is not dead: the second one traps before the third
  (func (export "st3") (param i32)
    (i32.store (local.get 0) (i32.const 1))
    (i32.store offset=8 (local.get 0) (i32.const 0))
    (i32.store (local.get 0) (i32.const 2)))
  ;; nor is a global.set done before its turn
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "st_global") (param i32)
    (i32.store (local.get 0) (i32.const 3))
    (global.set $g (i32.const 5))
    (i32.store (local.get 0) (i32.const 4)))
  ;; byte stores side by side are not merged into one wider store
  (func (export "st_bytes") (param i32)
    (i32.store8 (local.get 0) (i32.const 0xAA))
    (i32.store8 offset=1 (local.get 0) (i32.const 0xBB)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; a fault two native frames down
  (func (export "deep") (param i32) (result i32) (i32.add (i32.const 1) (call $ld (local.get 0)))))
(assert_return (invoke $a "ld" (i32.const 65532)) (i32.const 0))
(assert_trap (invoke $a "ld" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke $a "ld" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke $a "ld_far" (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke $a "ld_far" (i32.const -1)) "out of bounds memory access")
(assert_return (invoke $a "drop_ld" (i32.const 65528)))
(assert_trap (invoke $a "drop_ld" (i32.const 65529)) "out of bounds memory access")
(assert_trap (invoke $a "deep" (i32.const 65536)) "out of bounds memory access")
;; a store partly out of bounds writes nothing
(assert_trap (invoke $a "st" (i32.const 65530) (i64.const -1)) "out of bounds memory access")
(assert_return (invoke $a "ld8" (i32.const 65530)) (i32.const 0))
(assert_return (invoke $a "ld8" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke $a "st_then_ld" (i32.const 70000)) "out of bounds memory access")
(assert_return (invoke $a "ld8" (i32.const 7)) (i32.const 9))
(assert_trap (invoke $a "st3" (i32.const 65530)) "out of bounds memory access")
(assert_return (invoke $a "ld" (i32.const 65530)) (i32.const 1))
(assert_trap (invoke $a "st_global" (i32.const 65535)) "out of bounds memory access")
(assert_return (get $a "g") (i32.const 0))
(assert_trap (invoke $a "st_bytes" (i32.const 65535)) "out of bounds memory access")
(assert_return (invoke $a "ld8" (i32.const 65535)) (i32.const 0xAA))
;; grown: the new page is in bounds, the one after it is not
(assert_return (invoke $a "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $a "ld" (i32.const 131068)) (i32.const 0))
(assert_trap (invoke $a "ld" (i32.const 131069)) "out of bounds memory access")
(assert_return (invoke $a "grow" (i32.const 1)) (i32.const -1))

;; A second instance alive beside the first: under the address-space limit
;; below, its memory gets no guard region.
(module $b
  (memory 1 1)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "st") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
(assert_return (invoke $b "st" (i32.const 65532) (i32.const 42)))
(assert_return (invoke $b "ld" (i32.const 65532)) (i32.const 42))
(assert_trap (invoke $b "ld" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke $b "st" (i32.const -4) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke $a "ld" (i32.const 131068)) (i32.const 0))
(assert_trap (invoke $a "ld" (i32.const 131069)) "out of bounds memory access")
W
S="$TMP/guard.wast"
PASSED="29 passed, 0 failed"

expect_status 0 "$WEFT" wast --tier interp "$S"
expect_contains "$TMP/out" "$PASSED"

WEFT_TIER_LOG=1 expect_status 0 "$WEFT" wast --tier optimized "$S"
expect_contains "$TMP/out" "$PASSED"
expect_contains "$TMP/err" "memory accesses guarded (no bounds checks)"

# The fault's trap names the functions, innermost first.
cat > "$TMP/names.wat" <<'W'
(module (memory 1)
  (func $load_word (param i32) (result i32) (i32.load (local.get 0)))
  (func $outer (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $load_word (local.get 0)))))
W
wat2wasm --debug-names "$TMP/names.wat" -o "$TMP/names.wasm" || fail "wat2wasm names.wat"
expect_status 134 "$WEFT" run --tier optimized --invoke deep "$TMP/names.wasm" 65536
expect_contains "$TMP/err" "out of bounds memory access"
expect_contains "$TMP/err" "0: func[0] load_word"
expect_contains "$TMP/err" "1: func[1] outer"

WEFT_NATIVE_BOUNDS=checks WEFT_TIER_LOG=1 expect_status 0 "$WEFT" wast --tier optimized "$S"
expect_contains "$TMP/out" "$PASSED"
expect_contains "$TMP/err" "memory accesses bounds-checked (WEFT_NATIVE_BOUNDS=checks)"

# A .cwasm holds code for one memory mode and says so in the other.
expect_status 0 "$WEFT" compile "$TMP/names.wasm" -o "$TMP/names.cwasm"
WEFT_NATIVE_BOUNDS=checks expect_status 1 "$WEFT" run --invoke deep "$TMP/names.cwasm" 0
expect_contains "$TMP/err" "compiled for guarded memories, but this process has bounds-checked ones"

# 4 GB of address space: no room for one guard region, so checked code.
(ulimit -v 4000000 && WEFT_TIER_LOG=1 "$WEFT" wast --tier optimized "$S") > "$TMP/out" 2> "$TMP/err" ||
  fail "under ulimit -v 4000000: $(cat "$TMP/err")"
expect_contains "$TMP/out" "$PASSED"
expect_contains "$TMP/err" "bounds-checked (no address space for a guard region)"

# 12.5 GB: the probe and $a's memory get their 8 GiB, $b's does not; $b's
# guarded code then runs interpreted, with the interpreter's checks.
(ulimit -v 12500000 && WEFT_TIER_LOG=1 "$WEFT" wast --tier optimized "$S") > "$TMP/out" 2> "$TMP/err" ||
  fail "under ulimit -v 12500000: $(cat "$TMP/err")"
expect_contains "$TMP/out" "$PASSED"
expect_contains "$TMP/err" "memory accesses guarded (no bounds checks)"
expect_contains "$TMP/err" "no address space for a memory's guard region"

finish
