#!/usr/bin/env bash
# e2e: examples/hello-http, a C wasi:http component on sdk/c, under
# `weft up` (executor = "wasi-http"), or with WEFT_HTTP_REFERENCE=jco under
# `jco serve`: GET, HEAD, keep-alive, a small and a 100 MiB streamed echo.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/serve/wasi_http_common.bash"
wasm="$SRC/examples/hello-http/hello.wasm"
[[ -f "$wasm" ]] || up_fail "examples/hello-http/hello.wasm not built (make build)"
work=$(mktemp -d)
trap 'wh_cleanup; rm -rf "$work"' EXIT

wh_start "$SRC" "$SRC/examples/hello-http" "$wasm" "$work/server.log" --isolate-requests instance
body=$(curl -sS --max-time 10 -D "$work/h" "$(up_url /some/path?q=1)")
expect_eq "GET body" "$body" "hello from weft wasi:http"
tr -d '\r' <"$work/h" >"$work/headers"
head -n 1 "$work/headers" | grep -q '^HTTP/1.1 200' || up_fail "GET status: $(head -n 1 "$work/headers")"
grep -qi '^content-type: text/plain$' "$work/headers" || up_fail "GET content-type: $(cat "$work/headers")"
grep -qi '^x-weft-request: GET /some/path?q=1$' "$work/headers" ||
  up_fail "GET x-weft-request: $(cat "$work/headers")"

# HEAD: the GET's headers, no body.
curl -sS --max-time 10 -I "$(up_url /h)" | tr -d '\r' >"$work/head"
head -n 1 "$work/head" | grep -q '^HTTP/1.1 200' || up_fail "HEAD status: $(cat "$work/head")"
grep -qi '^x-weft-request: HEAD /h$' "$work/head" || up_fail "HEAD headers: $(cat "$work/head")"

# keep-alive: three requests over one connection.
curl -sS --max-time 10 -v "$(up_url /a)" "$(up_url /b)" "$(up_url /c)" >"$work/ka" 2>"$work/ka.err"
expect_eq "keep-alive bodies" "$(cat "$work/ka")" "hello from weft wasi:http
hello from weft wasi:http
hello from weft wasi:http"
grep -q 'Re-using existing connection' "$work/ka.err" || up_fail "curl did not reuse the connection"

# POST echoes the body with its content-type.
resp=$(curl -sS --max-time 10 -D "$work/h" -H 'content-type: text/x-test' --data-binary 'echo me' "$(up_url /e)")
expect_eq "POST echo" "$resp" "echo me"
tr -d '\r' <"$work/h" | grep -qi '^content-type: text/x-test$' || up_fail "echoed content-type"
tr -d '\r' <"$work/h" | grep -qi '^x-weft-request: POST /e$' || up_fail "POST x-weft-request"
# an empty body, and a chunked one
expect_eq "empty POST" "$(curl -sS --max-time 10 -X POST --data-binary '' "$(up_url /)")" ""
expect_eq "chunked POST" "$(curl -sS --max-time 10 -H 'Transfer-Encoding: chunked' --data-binary 'chunky' "$(up_url /)")" "chunky"

# 100 MiB streamed both ways (the guest holds 64 KiB at a time).
wh_echo_sha "$(up_url /big)" 100

wh_stop

# tier per service in weft.toml: the component's core modules are compiled
# by the optimizing tier before serving (the log says so), or never.
if [[ "$WH_REFERENCE" != jco ]]; then
  for tier in optimized interp; do
    mkdir -p "$work/$tier"
    cp "$wasm" "$work/$tier/hello.wasm"
    sed "s/^executor = \"wasi-http\"/&\ntier = \"$tier\"/" "$SRC/examples/hello-http/weft.toml" \
      >"$work/$tier/weft.toml"
    grep -q "^tier = \"$tier\"" "$work/$tier/weft.toml" || up_fail "no tier line in weft.toml"
    WEFT_TIER_LOG=1 WEFT_CACHE="$work/cache" up_start "$WEFT" "$work/$tier" "$work/$tier.log"
    expect_eq "GET body ($tier)" "$(curl -sS --max-time 10 "$(up_url /)")" "hello from weft wasi:http"
    up_stop
    if [[ $tier == optimized ]]; then
      grep -q "weft: tier: .* compiled in\|from the cache" "$work/$tier.log" ||
        up_fail "tier = \"optimized\" compiled nothing: $(cat "$work/$tier.log")"
    elif grep -q "weft: tier: weft_m" "$work/$tier.log"; then
      up_fail "tier = \"interp\" compiled: $(cat "$work/$tier.log")"
    fi
  done
fi
echo "ok"
