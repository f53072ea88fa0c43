#!/usr/bin/env bash
# e2e: `weft up examples/uppercase`: POST a body, get it upper-cased in JSON.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
[[ -f "$SRC/examples/uppercase/uppercase.wasm" ]] ||
  up_fail "examples/uppercase/uppercase.wasm not built (make build)"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

up_start "$WEFT" "$SRC/examples/uppercase" "$work/server.log"
before=$(date +%s)
resp=$(curl -sS --max-time 10 -D "$work/headers" --data-binary 'hello world' "$(up_url /)")
after=$(date +%s)
[[ $resp =~ ^\{\"status\":\"success\",\"data\":\"HELLO\ WORLD\",\"timestamp\":([0-9]+)\}$ ]] ||
  up_fail "unexpected body: $resp"
ts=${BASH_REMATCH[1]}
(( ts >= before - 1 && ts <= after + 1 )) || up_fail "timestamp $ts not in [$before, $after]"
grep -qi '^content-type: application/json' "$work/headers" || up_fail "not application/json"
# JSON escaping of quotes, backslashes and newlines
resp=$(curl -sS --max-time 10 --data-binary $'say "hi"\\\n' "$(up_url /)")
expect_contains "escaping" "$resp" '"data":"SAY \"HI\"\\\n"'
# chunked request body
resp=$(curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' --data-binary 'chunky' "$(up_url /)")
expect_contains "chunked" "$resp" '"data":"CHUNKY"'
# a 100 KiB body (curl sends Expect: 100-continue)
head -c 102400 /dev/zero | tr '\0' 'q' >"$work/big"
resp=$(curl -sS --max-time 20 --data-binary @"$work/big" "$(up_url /)")
expect_eq "big body length" "${#resp}" "$(( 102400 + 53 ))"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /)")
expect_eq "GET is not allowed" "$code" "405"
up_stop
echo "ok"
