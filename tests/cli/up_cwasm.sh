#!/usr/bin/env bash
# e2e: `weft up` serves a .cwasm (`weft compile`'s output) as it serves a
# .wasm: its machine code is loaded at start-up, never compiled, for every
# executor that compiles core modules; `tier = "interp"` runs its wasm
# interpreted; a damaged or foreign .cwasm is refused at start-up with the
# manifest line and the file named.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
[[ -f "$SRC/examples/hello/hello.wasm" ]] || up_fail "examples/hello/hello.wasm not built (make build)"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT
export WEFT_CACHE="$work/cache"  # a cold cache: what runs native came from the .cwasm

"$WEFT" compile "$SRC/examples/hello/hello.wasm" -o "$work/hello.cwasm" || up_fail "weft compile"
sed 's/hello\.wasm/hello.cwasm/' "$SRC/examples/hello/weft.toml" >"$work/weft.toml"
grep -q 'source = "hello.cwasm"' "$work/weft.toml" || up_fail "manifest not rewritten"

WEFT_TIER_LOG=1 up_start "$WEFT" "$work" "$work/server.log"
body=$(curl -sS --max-time 10 "$(up_url /x)")
expect_eq "GET /x" "$body" "Hello from weft! (path: /x)"
up_stop
grep -q "functions precompiled" "$work/server.log" || up_fail "the .cwasm's code was not loaded"
if grep -q "compiled in\|batch" "$work/server.log"; then
  up_fail "a .cwasm was compiled again: $(grep "compiled in\|batch" "$work/server.log" | head -3)"
fi
[[ -z "$(ls -A "$work/cache" 2>/dev/null)" ]] || up_fail "serving a .cwasm wrote the code cache"

# tier = "interp": the same file, interpreted.
sed 's/^executor = "wagi"/executor = "wagi"\ntier = "interp"/' "$work/weft.toml" >"$work/interp.toml"
mkdir "$work/interp" && cp "$work/hello.cwasm" "$work/interp/" && mv "$work/interp.toml" "$work/interp/weft.toml"
WEFT_TIER_LOG=1 up_start "$WEFT" "$work/interp" "$work/interp.log"
body=$(curl -sS --max-time 10 "$(up_url /y)")
expect_eq "GET /y interpreted" "$body" "Hello from weft! (path: /y)"
up_stop
grep -q "functions precompiled" "$work/interp.log" && up_fail "tier = interp loaded machine code"

# Damaged: refused at start-up, the manifest line and the file named.
mkdir "$work/bad" && cp "$work/weft.toml" "$work/bad/"
python3 - "$work/hello.cwasm" "$work/bad/hello.cwasm" <<'P'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-10] ^= 0x01
open(sys.argv[2], 'wb').write(b)
P
rc=0
timeout 20 "$WEFT" up "$work/bad" --listen "127.0.0.1:$(up_pick_port)" >"$work/bad.log" 2>&1 || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || up_fail "a damaged .cwasm did not stop start-up (status $rc)"
grep -q 'weft.toml:[0-9]*: service "hello": .*hello.cwasm: .*checksum mismatch' "$work/bad.log" ||
  up_fail "damaged .cwasm: unexpected message: $(cat "$work/bad.log")"
echo "ok"
