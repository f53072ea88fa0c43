#!/usr/bin/env bash
# e2e: examples/uppercase-http (C, wasi:http built at wasi 0.2.0) under
# `weft up`, or with WEFT_HTTP_REFERENCE=jco under `jco serve`: the seed's
# uppercase JSON.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/serve/wasi_http_common.bash"
wasm="$SRC/examples/uppercase-http/uppercase.wasm"
[[ -f "$wasm" ]] || up_fail "examples/uppercase-http/uppercase.wasm not built (make build)"
work=$(mktemp -d)
trap 'wh_cleanup; rm -rf "$work"' EXIT

wh_start "$SRC" "$SRC/examples/uppercase-http" "$wasm" "$work/server.log" --isolate-requests instance
before=$(date +%s)
resp=$(curl -sS --max-time 10 -D "$work/headers" --data-binary 'hello world' "$(up_url /)")
after=$(date +%s)
[[ $resp =~ ^\{\"status\":\"success\",\"data\":\"HELLO\ WORLD\",\"timestamp\":([0-9]+)\}$ ]] ||
  up_fail "unexpected body: $resp"
ts=${BASH_REMATCH[1]}
((ts >= before - 1 && ts <= after + 1)) || up_fail "timestamp $ts not in [$before, $after]"
grep -qi '^content-type: application/json' "$work/headers" || up_fail "not application/json"
resp=$(curl -sS --max-time 10 --data-binary $'say "hi"\\\n\x01' "$(up_url /)")
expect_contains "escaping" "$resp" '"data":"SAY \"HI\"\\\n\u0001"'
resp=$(curl -sS --max-time 10 --data-binary 'ünïcode stays' "$(up_url /)")
expect_contains "UTF-8 passes through" "$resp" '"data":"üNïCODE STAYS"'
resp=$(curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' --data-binary 'chunky' "$(up_url /)")
expect_contains "chunked" "$resp" '"data":"CHUNKY"'
head -c 1048576 /dev/zero | tr '\0' 'q' >"$work/big"
resp=$(curl -sS --max-time 30 --data-binary @"$work/big" "$(up_url /)")
expect_eq "1 MiB body length" "${#resp}" "$((1048576 + 53))"
code=$(curl -sS --max-time 10 -D "$work/h405" -o "$work/b405" -w '%{http_code}' "$(up_url /)")
expect_eq "GET is not allowed" "$code" "405"
tr -d '\r' <"$work/h405" | grep -qi '^allow: POST$' || up_fail "405 without allow: POST"
expect_eq "405 body" "$(cat "$work/b405")" '{"status":"error","error":"POST a body to upper-case it"}'
wh_stop
echo "ok"
