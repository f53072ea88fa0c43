#!/usr/bin/env bash
# e2e: a service with executor = "proxy-wasm" answers through
# proxy_send_local_response; its env is its WASI environment.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

"$SRC/scripts/wasm-cc" clang --target=wasm32-wasi -O2 -mexec-model=reactor -I"$SRC/sdk/proxy_wasm" \
  "$SRC/tests/serve/proxy_wasm_guests/hello_handler.c" -o "$work/handler.wasm" ||
  up_fail "cannot compile the handler"
cat >"$work/weft.toml" <<'TOML'
[app]
name = "pw"

[[route]]
path = "/..."
service = "pw"

[service.pw]
source = "handler.wasm"
executor = "proxy-wasm"
env = { GREETING = "Hi" }
TOML

up_start "$WEFT" "$work" "$work/server.log"
body=$(curl -sS --max-time 10 "$(up_url /some/where?x=1)")
expect_eq "handler body" "$body" "Hi from proxy-wasm at /some/where?x=1"
up_stop

# A module that is not proxy-wasm is refused at startup, naming what is missing.
printf '\0asm\1\0\0\0' >"$work/empty.wasm"
sed -i 's/handler.wasm/empty.wasm/' "$work/weft.toml"
rc=0
"$WEFT" up "$work" --listen "127.0.0.1:$(up_pick_port)" >"$work/bad.log" 2>&1 || rc=$?
expect_eq "exit status for a non-proxy-wasm module" "$rc" "1"
grep -q "proxy_abi_version_0_2_1" "$work/bad.log" || up_fail "error does not name the ABI marker: $(cat "$work/bad.log")"
echo "ok"
