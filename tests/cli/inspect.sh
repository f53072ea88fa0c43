#!/usr/bin/env bash
# `weft inspect`: imports, exports, limits and the section list.
source "$(dirname "$0")/common.bash"

wat mod <<'W'
(module
  (import "env" "log" (func $log (param i32 i64)))
  (import "env" "g" (global $g (mut i32)))
  (memory (export "memory") 1 3)
  (table (export "table") 2 10 funcref)
  (global (export "answer") i32 (i32.const 42))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
W
expect_status 0 "$WEFT" inspect "$TMP/mod.wasm"
out="$TMP/out"
expect_contains "$out" "imports (2):"
expect_contains "$out" "env.log func (i32, i64) -> ()"
expect_contains "$out" "env.g global mut i32"
expect_contains "$out" "exports (4):"
expect_contains "$out" "add func[1] (i32, i32) -> (i32)"
expect_contains "$out" "memory memory[0] min 1 max 3 (pages)"
expect_contains "$out" "table table[0] funcref min 2 max 10"
expect_contains "$out" "answer global[1] i32"
expect_contains "$out" "memories (1 defined):"
expect_contains "$out" "memory[0] min 1 max 3 (pages)"
expect_contains "$out" "table[0] funcref min 2 max 10"
# Sections in file order with offsets: type comes first, right after the
# 8-byte header and the section's id + size bytes.
expect_contains "$out" "sections ("
grep -E '^  type +id  1 offset 0x0000000a size [0-9]+$' "$out" > /dev/null ||
  fail "no type section line at offset 0xa: $(cat "$out")"
for section in import function table memory global export code; do
  grep -qE "^  $section +id" "$out" || fail "no $section section listed"
done

# An invalid module is refused.
wat bad <<'W'
(module (func (result i32) i64.const 0))
W
expect_status 1 "$WEFT" inspect "$TMP/bad.wasm"
expect_contains "$TMP/err" "$TMP/bad.wasm:"
expect_contains "$TMP/err" "at byte 0x"

finish
