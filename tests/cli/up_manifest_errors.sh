#!/usr/bin/env bash
# e2e: a bad manifest or a bad .wasm stops `weft up` with exit 1 and a
# message naming the place, before it listens.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check NAME EXPECTED_SUBSTRING: runs `weft up $work/NAME.toml`
check() {
  local rc=0 out
  out=$(timeout 20 "$WEFT" up "$work/$1.toml" --listen 127.0.0.1:1 2>&1) || rc=$?
  [[ $rc -eq 1 ]] || up_fail "$1: expected exit 1, got $rc ($out)"
  [[ "$out" == *"$2"* ]] || up_fail "$1: expected '$2' in: $out"
}

printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "s.wasm"\ntimeout_ms = "x"\n' >"$work/badkey.toml"
check badkey "badkey.toml:6: service.s.timeout_ms"
printf '[[route]]\npath = "/"\nservice = "nope"\n' >"$work/badroute.toml"
check badroute "badroute.toml:3: route.service"
printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "missing.wasm"\n' >"$work/missing.toml"
check missing 'service "s"'
check missing "missing.wasm"
printf 'not a wasm file' >"$work/junk.wasm"
printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "junk.wasm"\n' >"$work/junk.toml"
check junk 'service "s"'
printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "junk.wasm"\n[[[\n' >"$work/syntax.toml"
check syntax "syntax.toml:6"
rc=0
out=$(timeout 20 "$WEFT" up "$work/nowhere" 2>&1) || rc=$?
[[ $rc -eq 1 && "$out" == *"cannot open"* ]] || up_fail "missing manifest: rc=$rc $out"
echo "ok"
