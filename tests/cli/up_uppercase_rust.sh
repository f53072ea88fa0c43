#!/usr/bin/env bash
# e2e: `weft up examples/uppercase-rust` (Rust + serde_json, built by cargo from
# Debian's crates): POST a body, get it upper-cased in JSON with a WASI-clock timestamp.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
[[ -f "$SRC/examples/uppercase-rust/uppercase.wasm" ]] ||
  up_fail "examples/uppercase-rust/uppercase.wasm not built (make build; needs librust-serde-json-dev)"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

up_start "$WEFT" "$SRC/examples/uppercase-rust" "$work/server.log"
resp=$(curl -sS --max-time 10 -D "$work/headers" --data-binary 'hello world' "$(up_url /)")
now=$(date +%s)
[[ $resp =~ ^\{\"status\":\"success\",\"data\":\"HELLO\ WORLD\",\"timestamp\":([0-9]+)\}$ ]] ||
  up_fail "unexpected body: $resp"
ts=${BASH_REMATCH[1]}
(( ts >= now - 60 && ts <= now + 60 )) || up_fail "timestamp $ts not within 60 s of $now"
grep -qi '^content-type: application/json' "$work/headers" || up_fail "not application/json"
# serde_json escapes quotes, backslashes and newlines like the C++ version
resp=$(curl -sS --max-time 10 --data-binary $'say "hi"\\\n' "$(up_url /)")
expect_contains "escaping" "$resp" '"data":"SAY \"HI\"\\\n"'
# only ASCII letters change; UTF-8 passes through
resp=$(curl -sS --max-time 10 --data-binary 'héllo' "$(up_url /)")
expect_contains "utf-8" "$resp" '"data":"HéLLO"'
# an empty POST body is still a success
resp=$(curl -sS --max-time 10 -X POST "$(up_url /)")
expect_contains "empty body" "$resp" '{"status":"success","data":"",'
# a 100 KiB body
head -c 102400 /dev/zero | tr '\0' 'q' >"$work/big"
resp=$(curl -sS --max-time 20 --data-binary @"$work/big" "$(up_url /)")
expect_eq "big body length" "${#resp}" "$(( 102400 + 53 ))"
code=$(curl -sS --max-time 10 -o "$work/get" -w '%{http_code}' "$(up_url /)")
expect_eq "GET is not allowed" "$code" "405"
expect_contains "405 body" "$(cat "$work/get")" '"status":"error"'
up_stop
echo "ok"
