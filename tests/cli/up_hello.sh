#!/usr/bin/env bash
# e2e: `weft up examples/hello` answers real HTTP requests; SIGTERM exits 0.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
trap up_cleanup EXIT
[[ -f "$SRC/examples/hello/hello.wasm" ]] || up_fail "examples/hello/hello.wasm not built (make build)"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

up_start "$WEFT" "$SRC/examples/hello" "$work/server.log"
body=$(curl -sS --max-time 10 "$(up_url /)")
expect_eq "GET /" "$body" "Hello from weft! (path: /)"
body=$(curl -sS --max-time 10 "$(up_url /some/where?x=1)")
expect_eq "GET /some/where" "$body" "Hello from weft! (path: /some/where)"
ctype=$(curl -sS --max-time 10 -o /dev/null -w '%{content_type}' "$(up_url /)")
expect_eq "content type" "$ctype" "text/plain"
# keep-alive: several requests over one connection
out=$(curl -sS --max-time 10 "$(up_url /a)" "$(up_url /b)" "$(up_url /c)")
expect_contains "keep-alive" "$out" "(path: /c)"
grep -q '"\?GET /a 200 [0-9]*us hello' "$work/server.log" || up_fail "no access-log line for GET /a"
up_stop
echo "ok"
