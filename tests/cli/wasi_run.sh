#!/usr/bin/env bash
# `weft run` with WASI: --dir, --env, --invoke, --max-memory, --timeout,
# arguments, exit codes and traps, on a C guest built with wasi-libc.
source "$(dirname "$0")/common.bash"

guest="$TMP/cli_run.wasm"
"$SOURCE_DIR/scripts/wasm-cc" clang --target=wasm32-wasi -O2 "$SOURCE_DIR/tests/wasi/guests/cli_run.c" -o "$guest" ||
  { echo "cannot build the guest with clang --target=wasm32-wasi" >&2; exit 2; }

# Arguments: argv[0] is FILE, then everything after it (flags included).
expect_status 0 "$WEFT" run "$guest" args one "two words" --dir
expect_output "arg $guest
arg args
arg one
arg two words
arg --dir"

# Environment: only what --env gives; NAME alone passes the host's value,
# an unset NAME is left out.
export WEFT_TEST_INHERITED=from-host WEFT_TEST_HIDDEN=secret
expect_status 0 "$WEFT" run --env A=1 --env B=x=y --env WEFT_TEST_INHERITED --env WEFT_TEST_UNSET "$guest" env
expect_output "env A=1
env B=x=y
env WEFT_TEST_INHERITED=from-host"
expect_status 0 "$WEFT" run "$guest" env
expect_output ""

# Directories: HOST::GUEST, repeatable, `--dir .`; nothing else is visible.
mkdir -p "$TMP/data" "$TMP/other" "$TMP/hidden"
echo "data file" > "$TMP/data/in.txt"
echo "other file" > "$TMP/other/o.txt"
echo "hidden" > "$TMP/hidden/h.txt"
expect_status 0 "$WEFT" run --dir "$TMP/data::/data" --dir "$TMP/other::/other" "$guest" cat /data/in.txt
expect_output "data file"
expect_status 0 "$WEFT" run --dir "$TMP/data::/data" --dir "$TMP/other::/other" "$guest" cat /other/o.txt
expect_output "other file"
expect_status 0 "$WEFT" run --dir "$TMP/data::/data" "$guest" write /data/out.txt written
[ "$(cat "$TMP/data/out.txt")" = "written" ] || fail "the guest's file was not written"
expect_status 3 "$WEFT" run --dir "$TMP/data::/data" "$guest" cat "$TMP/hidden/h.txt"
expect_status 3 "$WEFT" run --dir "$TMP/data::/data" "$guest" cat /data/../hidden/h.txt
expect_output "cannot open /data/../hidden/h.txt"
expect_status 3 "$WEFT" run "$guest" cat /etc/passwd
(cd "$TMP/data" && "$WEFT" run --dir . "$guest" cat in.txt > "$TMP/out" 2> "$TMP/err") ||
  fail "--dir . failed: $(cat "$TMP/err")"
expect_output "data file"
(cd "$TMP/data" && "$WEFT" run --dir "$TMP/data" "$guest" cat "$TMP/data/in.txt" > "$TMP/out" 2> "$TMP/err") ||
  fail "--dir HOST (guest path = host path) failed: $(cat "$TMP/err")"
expect_output "data file"
expect_status 1 "$WEFT" run --dir "$TMP/missing" "$guest" args
expect_contains "$TMP/err" "$TMP/missing"

# Exit status: proc_exit's code; a trap prints its message and backtrace.
expect_status 42 "$WEFT" run "$guest" exit 42
expect_status 0 "$WEFT" run "$guest" exit 0
expect_status 134 "$WEFT" run "$guest" trap
expect_contains "$TMP/err" "unreachable"
expect_contains "$TMP/err" "main"

# --invoke calls an export with typed arguments.
expect_status 0 "$WEFT" run --invoke add "$guest" 2 40
expect_output "42"

# --max-memory caps memory.grow: 32 MiB fit by default, not under 16MiB.
expect_status 0 "$WEFT" run "$guest" alloc 32
expect_output "alloc ok"
expect_status 0 "$WEFT" run --max-memory 16MiB "$guest" alloc 32
expect_output "alloc failed"
expect_status 2 "$WEFT" run --max-memory lots "$guest" args

# --timeout interrupts a busy loop and a sleep: status 124, "timeout".
start=$(date +%s)
expect_status 124 "$WEFT" run --timeout 300ms "$guest" loop
expect_contains "$TMP/err" "timeout"
expect_status 124 "$WEFT" run --timeout 1s "$guest" sleep
expect_contains "$TMP/err" "timeout"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "--timeout took too long"
expect_status 0 "$WEFT" run --timeout 10s "$guest" exit 0
expect_status 2 "$WEFT" run --timeout 5x "$guest" args

finish
