#!/usr/bin/env bash
# `weft validate`: exit codes, and errors that name the file and byte offset.
source "$(dirname "$0")/common.bash"

wat good <<'W'
(module (func (export "f") (param i32) (result i32) local.get 0))
W
expect_status 0 "$WEFT" validate "$TMP/good.wasm"
expect_output "$TMP/good.wasm: valid"

# Well-formed but ill-typed: returns an i64 where an i32 is declared.
wat bad_type <<'W'
(module (func (result i32) i64.const 0))
W
expect_status 1 "$WEFT" validate "$TMP/bad_type.wasm"
expect_contains "$TMP/err" "$TMP/bad_type.wasm:"
expect_contains "$TMP/err" "invalid"
expect_contains "$TMP/err" "at byte 0x"

# Malformed: a truncated binary.
head -c 12 "$TMP/good.wasm" > "$TMP/truncated.wasm"
expect_status 1 "$WEFT" validate "$TMP/truncated.wasm"
expect_contains "$TMP/err" "$TMP/truncated.wasm:"
expect_contains "$TMP/err" "malformed"
expect_contains "$TMP/err" "at byte 0x"

# Not wasm at all.
printf 'hello world' > "$TMP/text.wasm"
expect_status 1 "$WEFT" validate "$TMP/text.wasm"
expect_contains "$TMP/err" "$TMP/text.wasm:"

# Unreadable file.
expect_status 1 "$WEFT" validate "$TMP/missing.wasm"
expect_contains "$TMP/err" "$TMP/missing.wasm"
expect_contains "$TMP/err" "cannot open"

# No file: usage error.
expect_status 2 "$WEFT" validate

finish
