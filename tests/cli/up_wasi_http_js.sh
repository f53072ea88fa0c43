#!/usr/bin/env bash
# e2e: a JavaScript wasi:http component (componentize-js, exporting
# wasi:http/incoming-handler@0.2.10) served by `weft up` with
# executor = "wasi-http": the same answers `jco serve` gives it in
# component_fixtures.sh, plus HEAD, keep-alive, a 404 and start-up errors.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT
expect_eq() { [[ "$2" == "$3" ]] || up_fail "$1: got '$2', expected '$3'"; }
expect_contains() { [[ "$2" == *"$3"* ]] || up_fail "$1: '$3' not in: $2"; }

GUEST="$SRC/tests/component/guests/js/hello-http"
"$GUEST/make-wit.sh" "$work/wit"
timeout 580 "$SRC/scripts/componentize" "$GUEST/hello-http.js" "$work/wit" hello-http \
  "$work/hello-http.wasm" || up_fail "cannot build hello-http.js"
timeout 580 "$SRC/scripts/componentize" "$SRC/tests/component/guests/js/stateful-http/stateful-http.js" \
  "$work/wit" hello-http "$work/stateful-http.wasm" || up_fail "cannot build stateful-http.js"

cat > "$work/weft.toml" <<'TOML'
[[route]]
path = "/app/..."
service = "js"

[[route]]
path = "/stateful"
service = "stateful"

[service.js]
source = "hello-http.wasm"
executor = "wasi-http"

[service.stateful]
source = "stateful-http.wasm"
executor = "wasi-http"
TOML
up_start "$WEFT" "$work" "$work/server.log"

headers=$(curl -sS --max-time 20 -D - -o "$work/body" "$(up_url /app/some/path?q=1)" | tr -d '\r')
expect_eq "GET body" "$(cat "$work/body")" "hello from JS"
expect_contains "GET status" "$headers" "HTTP/1.1 200"
expect_contains "GET fixed header" "$headers" "x-weft-fixture: hello-http"
expect_contains "GET echo header" "$headers" "x-weft-request: GET /app/some/path"
expect_contains "GET content type" "$headers" "content-type: text/plain"

headers=$(curl -sS --max-time 20 -D - -o "$work/body" -d 'ignored' "$(up_url /app/other)" | tr -d '\r')
expect_contains "POST echo header" "$headers" "x-weft-request: POST /app/other"
expect_eq "POST body" "$(cat "$work/body")" "hello from JS"

headers=$(curl -sS --max-time 20 -I "$(up_url /app/h)" | tr -d '\r')
expect_contains "HEAD status" "$headers" "HTTP/1.1 200"
expect_contains "HEAD echo header" "$headers" "x-weft-request: HEAD /app/h"

# Keep-alive: three requests, one connection, each in a fresh instance.
out=$(curl -sS --max-time 20 -w '%{num_connects} ' "$(up_url /app/a)" "$(up_url /app/b)" "$(up_url /app/c)")
expect_eq "keep-alive" "$out" "hello from JS1 hello from JS0 hello from JS0 "

# A JavaScript engine's state (a counter, a growing array) never reaches
# the next request: one connection, then 20 at once.
curl -sS --max-time 20 "$(up_url /stateful)" "$(up_url /stateful)" "$(up_url /stateful)" -w '\n' > "$work/js-state"
expect_eq "JS state, keep-alive" "$(sort -u "$work/js-state")" "count=1 kept=1"
# (Each answer to its own file: parallel curls sharing one stdout can
# interleave a body with another's newline.)
mkdir "$work/js-parallel"
seq 1 20 | xargs -P 4 -I{} curl -sS --max-time 20 -o "$work/js-parallel/{}" "$(up_url /stateful)"
for f in "$work"/js-parallel/*; do cat "$f"; echo; done > "$work/js-state"
expect_eq "JS state, 20 at once" "$(sort -u "$work/js-state")" "count=1 kept=1"
expect_eq "JS state, 20 at once: all answered" "$(wc -l < "$work/js-state")" "20"

code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$(up_url /elsewhere)")
expect_eq "no route" "$code" "404"
grep -q 'GET /app/a 200 [0-9]*us js' "$work/server.log" || up_fail "no access-log line for GET /app/a"
up_stop

# Start-up errors name the file and the problem.
cp "$SRC/examples/hello/hello.wasm" "$work/core.wasm"
sed -i 's/hello-http.wasm/core.wasm/' "$work/weft.toml"
if "$WEFT" up "$work" --listen 127.0.0.1:0 > "$work/err.log" 2>&1; then up_fail "a core module started"; fi
grep -q 'core.wasm: not a component' "$work/err.log" || up_fail "core module: $(cat "$work/err.log")"
cat > "$work/weft.toml" <<'TOML'
[[route]]
path = "/..."
service = "w"

[service.w]
source = "core.wasm"
instance_reuse = 4
TOML
if "$WEFT" up "$work" --listen 127.0.0.1:0 > "$work/err.log" 2>&1; then up_fail "instance_reuse on wagi started"; fi
grep -q 'weft.toml:7: service.w.instance_reuse: applies only to executor = "wasi-http"' "$work/err.log" ||
  up_fail "instance_reuse on wagi: $(cat "$work/err.log")"
echo "ok"
