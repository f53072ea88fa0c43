#!/usr/bin/env bash
# `--tier auto` (the default) and the code cache: code starts interpreted
# while a background thread compiles the hottest functions; batches land in
# $WEFT_CACHE; a warm cache gives native code from the first call; corrupt,
# truncated and mismatched entries are recompiled, never run; an unwritable
# cache warns once and runs on. And `weft compile` / `weft run FILE.cwasm`.
# WEFT_TIER_LOG=1 makes the tier say what it did, which is what the checks
# read: a guest cannot tell the tiers apart.
source "$(dirname "$0")/common.bash"

wat hot <<'W'
(module
  (memory 1)
  ;; A hot leaf called from an interpreted driver (function 1, kept
  ;; interpreted in every tier by WEFT_TIER_INTERPRET below): the calls
  ;; switch to native code when it is ready.
  (func $mix (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.mul (i32.xor (local.get 0) (local.get 1)) (i32.const 0x9E3779B1)))
    (i32.rotl (local.get 2) (i32.const 13)))
  (func (export "run") (param i32) (result i32)
    (local i32 i32)
    (loop $l
      (local.set 2 (call $mix (local.get 2) (local.get 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 2))
  (func (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call 2 (i32.sub (local.get 0) (i32.const 1)))
                     (call 2 (i32.sub (local.get 0) (i32.const 2)))))))
  (table 0 funcref))
W
m="$TMP/hot.wasm"
export WEFT_TIER_INTERPRET=1
N=20000000  # about a second in the interpreter

# Cold cache: starts interpreted, tiers up, same answer; the batch is cached.
# A run that ends before the first batch is ready (a loaded machine) is not
# a failure of the tier: then a run five times as long must see it.
for n in "$N" $((N * 5)); do
  rm -rf "$WEFT_CACHE"
  expect_status 0 "$WEFT" run --tier interp --invoke run "$m" "$n"
  want=$(cat "$TMP/out")
  WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier auto --invoke run "$m" "$n"
  expect_output "$want"
  grep -q "batch 1:" "$TMP/err" && break
done
expect_contains "$TMP/err" "batch 1:"
ls "$WEFT_CACHE"/native/*/*.obj >/dev/null 2>&1 || fail "no cache entry after a cold auto run"
# The default is auto.
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --invoke run "$m" "$n"
expect_output "$want"
expect_contains "$TMP/err" "from the cache"

# Warm: after a full compile (optimized), auto has nothing left to compile.
rm -rf "$WEFT_CACHE"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
expect_output "6765"
expect_contains "$TMP/err" "compiled in"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier auto --invoke fib "$m" 20
expect_output "6765"
expect_contains "$TMP/err" "2 functions from the cache, 0 to compile"

# After damaging the cache's entry: an optimized run compiles again (the
# entry is not used) and stores a good entry, which auto then loads whole.
expect_recompiled_and_replaced() {
  WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
  expect_output "6765"
  expect_contains "$TMP/err" "compiled in"
  WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier auto --invoke fib "$m" 20
  expect_output "6765"
  expect_contains "$TMP/err" "0 to compile"
}

# A corrupt entry and a truncated one: recompiled, and replaced.
entry=$(ls "$WEFT_CACHE"/native/*/*.obj | head -1)
python3 - "$entry" <<'P'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0xFF
open(p, 'wb').write(b)
P
expect_recompiled_and_replaced
# Truncated inside the key, and inside the object (the key still matches,
# the checksum does not).
for cut in 100 -100; do
  entry=$(ls "$WEFT_CACHE"/native/*/*.obj | head -1)
  truncate -s "$cut" "$entry"
  expect_recompiled_and_replaced
done

# An entry of another build or CPU (another key) is not loaded.
entry=$(ls "$WEFT_CACHE"/native/*/*.obj | head -1)
python3 - "$entry" <<'P'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.index(b'cpu ') + 4
b[i] = ord('X') if b[i] != ord('X') else ord('Y')
open(p, 'wb').write(b)
P
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
expect_contains "$TMP/err" "compiled in"

# A cache that cannot be written: one warning, then on without it.
touch "$TMP/not-a-dir"
WEFT_CACHE="$TMP/not-a-dir/cache" expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
expect_output "6765"
expect_contains "$TMP/err" "code cache: cannot create"
expect_contains "$TMP/err" "running without the cache"
# WEFT_CACHE=off: nothing written.
rm -rf "$WEFT_CACHE"
WEFT_CACHE=off expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
[ -e "$WEFT_CACHE" ] && fail "WEFT_CACHE=off wrote $WEFT_CACHE"

# weft compile: a .cwasm runs native from the first call, without compiling.
expect_status 0 "$WEFT" compile "$m" -o "$TMP/hot.cwasm"
WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --invoke fib "$TMP/hot.cwasm" 20
expect_output "6765"
expect_contains "$TMP/err" "2 functions precompiled"
grep -q "compiled in\|batch" "$TMP/err" && fail "a .cwasm was compiled again: $(cat "$TMP/err")"
expect_status 0 "$WEFT" run --invoke run "$TMP/hot.cwasm" 1000
expect_status 0 "$WEFT" run --tier interp --invoke run "$m" 1000
# Default output name.
cp "$m" "$TMP/other.wasm"
expect_status 0 "$WEFT" compile "$TMP/other.wasm"
[ -s "$TMP/other.cwasm" ] || fail "weft compile FILE.wasm did not write FILE.cwasm"

# A damaged .cwasm: a clear error, never a run.
cp "$TMP/hot.cwasm" "$TMP/bad.cwasm"
python3 - "$TMP/bad.cwasm" <<'P'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-10] ^= 0x01
open(p, 'wb').write(b)
P
expect_status 1 "$WEFT" run --invoke fib "$TMP/bad.cwasm" 20
expect_contains "$TMP/err" "checksum mismatch"
head -c 40 "$TMP/hot.cwasm" > "$TMP/short.cwasm"
expect_status 1 "$WEFT" run --invoke fib "$TMP/short.cwasm" 20
expect_contains "$TMP/err" "precompiled module: truncated"
python3 - "$TMP/hot.cwasm" "$TMP/other-cpu.cwasm" <<'P'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'cpu ') + 4
b[i] = ord('X') if b[i] != ord('X') else ord('Y')
open(sys.argv[2], 'wb').write(b)
P
expect_status 1 "$WEFT" run --invoke fib "$TMP/other-cpu.cwasm" 20
expect_contains "$TMP/err" "made by another weft build or for another CPU"

# Eviction: the cache keeps WEFT_CACHE_MAX_MB, least recently used first.
# An old build's entries (3 MiB, last used two days ago) and a temporary an
# interrupted store left go at the next store; this module's entry, just
# stored, stays and loads.
old_entry() {  # old_entry BYTES: an entry of another build, last used two days ago
  mkdir -p "$WEFT_CACHE/native/oldbuild"
  head -c "$1" /dev/zero > "$WEFT_CACHE/native/oldbuild/b0-old.obj"
  touch -d '2 days ago' "$WEFT_CACHE/native/oldbuild/b0-old.obj"
}
rm -rf "$WEFT_CACHE"
old_entry 3145728
WEFT_CACHE_MAX_MB=2 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
mkdir -p "$WEFT_CACHE/native/stale"
: > "$WEFT_CACHE/native/stale/b0-x.obj.tmp123-0"
touch -d '2 hours ago' "$WEFT_CACHE/native/stale/b0-x.obj.tmp123-0"
rm -f "$WEFT_CACHE"/native/[0-9a-f]*/*.obj  # a store again, in a new process
WEFT_CACHE_MAX_MB=2 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
[[ -e $WEFT_CACHE/native/oldbuild ]] && fail "the old build's entries outlived the limit: $(ls -R "$WEFT_CACHE")"
[[ -e $WEFT_CACHE/native/stale ]] && fail "an hour-old temporary stayed: $(ls -R "$WEFT_CACHE")"
WEFT_CACHE_MAX_MB=2 WEFT_TIER_LOG=1 expect_status 0 "$WEFT" run --tier auto --invoke fib "$m" 20
expect_output "6765"
expect_contains "$TMP/err" "2 functions from the cache, 0 to compile"
# Within the limit nothing goes.
old_entry 1048576
rm -f "$WEFT_CACHE"/native/[0-9a-f]*/*.obj
WEFT_CACHE_MAX_MB=2 expect_status 0 "$WEFT" run --tier optimized --invoke fib "$m" 20
[[ -e $WEFT_CACHE/native/oldbuild/b0-old.obj ]] || fail "an entry within the limit was evicted"

# Not a module: the error names the file.
printf 'not wasm' > "$TMP/junk.wasm"
expect_status 1 "$WEFT" compile "$TMP/junk.wasm" -o "$TMP/junk.cwasm"
expect_contains "$TMP/err" "junk.wasm"
expect_status 2 "$WEFT" run --tier fast --invoke fib "$m" 1

finish
