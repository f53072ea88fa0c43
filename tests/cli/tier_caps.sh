#!/usr/bin/env bash
# Modules built to be slow to compile (issue 11, "Bad input"): the caps on
# compiling keep them at the interpreter's speed, never stalled behind LLVM.
# - a 50 MB function and 100,000 locals are refused at decode, as V8 and
#   wasmparser refuse them; the largest accepted ones and 100,000 nested
#   blocks run, over the size cut-off ones interpreted;
# - a batch over its time cap (WEFT_NATIVE_BATCH_CAP_MS=0 here) is split in
#   two until single functions are left, and those stay interpreted;
# - `--tier optimized` compiles up front for WEFT_TIER_BUDGET_MS at most; the
#   rest starts interpreted and tiers up in the background;
# - `weft compile` of a module bigger than one batch (60,000 words) gives a
#   .cwasm of several batches.
# The checks read what the tier logs (WEFT_TIER_LOG=1), never a clock: the
# answers must equal the interpreter's.
source "$(dirname "$0")/common.bash"
gen() { python3 "$SOURCE_DIR/tests/cli/slow_modules.py" "$@" || exit 2; }

# Refused at decode, with the place named.
gen long 16666666 "$TMP/long50m.wasm"
expect_status 1 "$WEFT" run --tier optimized --invoke run "$TMP/long50m.wasm" 5
expect_contains "$TMP/err" "long50m.wasm: malformed at byte 0x23: function body too large"
gen locals 100000 "$TMP/locals100k.wasm"
expect_status 1 "$WEFT" run --tier optimized --invoke run "$TMP/locals100k.wasm" 5
expect_contains "$TMP/err" "too many locals"

# The largest accepted: a 7.5 MB function (10 M register words), 49,999
# locals (50,000 slots with the parameter). Both stay interpreted.
gen long 2500000 "$TMP/long.wasm"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/long.wasm" 5
expect_output 2500005
expect_contains "$TMP/err" "function 0 (10000004 words, 4 slots) stays interpreted: over the size cut-off"
gen locals 49999 "$TMP/locals.wasm"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/locals.wasm" 5
expect_output 6
expect_contains "$TMP/err" "slots) stays interpreted: over the size cut-off"
# 100,000 nested blocks: no register code of their own, so a small function.
gen nest 100000 "$TMP/nest.wasm"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/nest.wasm" 5
expect_output 6

# A deep loop nest (300 loops, about 3,600 words, the slowest per word
# found) over its time cap: it stays interpreted, with a warning.
python3 - "$TMP/loops.wat" <<'PY'
import sys
n = 300
s = ['(module (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)']
s += ['(loop $l%d' % k for k in range(n)]
for k in reversed(range(n)):
    s.append('(local.set $acc (i32.add (local.get $acc) (i32.const %d)))' % k)
    s.append('(br_if $l%d (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) '
             '(local.get $n)))' % k)
    s.append(')')
s.append('(local.get $acc)))')
open(sys.argv[1], 'w').write('\n'.join(s))
PY
wat2wasm "$TMP/loops.wat" -o "$TMP/loops.wasm" || exit 2
rm -rf "$WEFT_CACHE"
expect_status 0 "$WEFT" run --tier interp --invoke run "$TMP/loops.wasm" 1000
want=$(cat "$TMP/out")
WEFT_NATIVE_BATCH_CAP_MS=0 WEFT_TIER_LOG=1 \
  expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/loops.wasm" 1000
expect_output "$want"
expect_contains "$TMP/err" "function 0 ("
expect_contains "$TMP/err" "took longer than its compile cap (0 ms); it stays interpreted"
# Without the cap it compiles, to the same answer. (A budget that a loaded
# machine cannot exhaust: the count of functions compiled is checked.)
export WEFT_TIER_BUDGET_MS=600000
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/loops.wasm" 1000
expect_output "$want"
expect_contains "$TMP/err" "1 functions (3604 words) compiled in"

# Several functions over the cap: the batch is split down to each of them.
gen many 6 "$TMP/many6.wasm"
rm -rf "$WEFT_CACHE"
WEFT_NATIVE_BATCH_CAP_MS=0 WEFT_TIER_LOG=1 \
  expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/many6.wasm" 5
expect_output 7230
over=$(grep -c "took longer than its compile cap" "$TMP/err")
[[ $over == 7 ]] || fail "expected each of the 7 functions over the cap, got $over: $(cat "$TMP/err")"
expect_contains "$TMP/err" "0 functions (0 words) compiled in"

# The up-front budget: none at all, so everything starts interpreted.
WEFT_TIER_BUDGET_MS=0 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/many6.wasm" 5
expect_output 7230
expect_contains "$TMP/err" "7 of 7 functions not compiled within 0 ms (WEFT_TIER_BUDGET_MS); they start interpreted and tier up in the background"
# In the background a batch over its cap is split and given up the same way.
# A run that ends before the worker gets to it (a loaded machine) is not a
# failure: then a run five times as long must see it.
for n in 20000000 100000000; do
  rm -rf "$WEFT_CACHE"  # the runs above cached the function
  WEFT_NATIVE_BATCH_CAP_MS=0 WEFT_TIER_LOG=1 \
    expect_status 0 "$WEFT" run --tier auto --invoke run "$TMP/loops.wasm" "$n"
  grep -q "took longer than its compile cap" "$TMP/err" && break
done
expect_contains "$TMP/err" "took longer than its compile cap (0 ms); it stays interpreted"
grep -q "batch 1:" "$TMP/err" && fail "a batch over its cap was loaded: $(cat "$TMP/err")"

# More than one batch's worth (21 functions, about 96,000 words): `weft
# compile` writes several batches, and the .cwasm has them all.
gen many 20 "$TMP/many.wasm"
expect_status 0 "$WEFT" run --tier interp --invoke run "$TMP/many.wasm" 5
want=$(cat "$TMP/out")
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" compile "$TMP/many.wasm" -o "$TMP/many.cwasm"
batches=$(grep -c "weft compile: batch of" "$TMP/err")
[[ $batches -ge 2 ]] || fail "expected at least 2 batches, got $batches: $(cat "$TMP/err")"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --invoke run "$TMP/many.cwasm" 5
expect_output "$want"
expect_contains "$TMP/err" "21 functions precompiled"
# The same module under --tier optimized: the same batches, all native.
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke run "$TMP/many.wasm" 5
expect_output "$want"
expect_contains "$TMP/err" "21 functions ("

finish
