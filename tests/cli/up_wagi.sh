#!/usr/bin/env bash
# e2e: the WAGI executor and isolation — CGI variables, manifest env, body
# on stdin, Status/Location/custom headers, routes, 404; trap → 500,
# timeout → 504, memory limit → 500, bad CGI output → 502, non-zero exit →
# 500; malformed HTTP → 400; oversized headers → 431; and the server keeps
# serving through all of it.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
command -v clang >/dev/null || { echo "skip: no clang"; exit 0; }
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

for g in env trap spin hog badcgi status; do
  up_guest "$SRC/tests/serve/guests/$g.c" "$work/$g.wasm"
done
mkdir -p "$work/static"
cat >"$work/weft.toml" <<'TOML'
[app]
name = "wagi-test"

[[route]]
path = "/env/..."
service = "env"

[[route]]
path = "/items/:id"
service = "env"

[[route]]
path = "/trap"
service = "trap"

[[route]]
path = "/spin"
service = "spin"

[[route]]
path = "/hog"
service = "hog"

[[route]]
path = "/bad"
service = "badcgi"

[[route]]
path = "/status"
service = "status"

[service.env]
source = "env.wasm"
env = { GREETING = "hi there" }
files = [{ host = "static", guest = "/static" }]

[service.trap]
source = "trap.wasm"

[service.spin]
source = "spin.wasm"
timeout_ms = 300

[service.hog]
source = "hog.wasm"
memory_limit = "8MiB"

[service.badcgi]
source = "badcgi.wasm"

[service.status]
source = "status.wasm"
TOML

up_start "$WEFT" "$work/weft.toml" "$work/server.log"

out=$(curl -sS --max-time 10 -H 'X-Test-Header: abc' -H 'Content-Type: text/x-test' \
  --data-binary 'the body' "$(up_url '/env/a%20b/c?q=1&r=2')")
for want in "REQUEST_METHOD=POST" "PATH_INFO=/a b/c" "X_RAW_PATH_INFO=/a%20b/c" \
  "QUERY_STRING=q=1&r=2" "X_MATCHED_ROUTE=/env/..." "SCRIPT_NAME=/env" \
  "SERVER_NAME=127.0.0.1" "SERVER_PORT=$UP_PORT" "CONTENT_TYPE=text/x-test" \
  "CONTENT_LENGTH=8" "HTTP_X_TEST_HEADER=abc" "GREETING=hi there" \
  "X_FULL_URL=http://127.0.0.1:$UP_PORT/env/a%20b/c?q=1&r=2" "BODY=the body"; do
  expect_contains "env" "$out" "$want"
done
[[ "$out" != *"PATH=/usr"* && "$out" != *"HOME="* ]] || up_fail "host environment leaked: $out"

out=$(curl -sS --max-time 10 "$(up_url /items/42)")
expect_contains "named segment" "$out" "X_PARAM_ID=42"
expect_contains "named segment route" "$out" "X_MATCHED_ROUTE=/items/:id"

code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /nowhere)")
expect_eq "unrouted" "$code" "404"

curl -sS --max-time 10 -D "$work/h" -o "$work/b" "$(up_url /status)"
grep -q '^HTTP/1.1 201' "$work/h" || up_fail "Status: 201 not honoured"
grep -qi '^location: /things/1' "$work/h" || up_fail "Location not passed"
grep -qi '^x-custom: yes' "$work/h" || up_fail "custom header not passed"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url '/status?exit=3')")
expect_eq "non-zero exit" "$code" "500"

code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /trap)")
expect_eq "trap" "$code" "500"
grep -q "unreachable" "$work/server.log" || up_fail "trap not logged"

start=$(date +%s%N)
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /spin)")
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "timeout" "$code" "504"
(( elapsed_ms < 5000 )) || up_fail "timeout took ${elapsed_ms} ms"

code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$(up_url /hog)")
expect_eq "memory limit" "$code" "500"

out=$(curl -sS --max-time 10 -w ' %{http_code}' "$(up_url /bad)")
expect_contains "bad CGI" "$out" " 502"
expect_contains "bad CGI names the service" "$out" "badcgi"
grep -q "malformed CGI output" "$work/server.log" || up_fail "bad CGI output not logged"

# A spinning guest must not stall other requests.
curl -sS --max-time 10 -o /dev/null "$(up_url /spin)" &
spinner=$!
sleep 0.05
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /items/1)")
expect_eq "served while another guest spins" "$code" "200"
wait "$spinner" || true

# Malformed HTTP → 400 and closed; huge headers → 431.
resp=$(printf 'NONSENSE\r\n\r\n' | curl -sS --max-time 5 telnet://127.0.0.1:$UP_PORT 2>/dev/null || true)
expect_contains "malformed" "$resp" "HTTP/1.1 400"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$(up_url /items/1)")
expect_eq "huge header" "$code" "431"

# Many failures later, still serving.
for _ in $(seq 1 20); do
  curl -sS --max-time 10 -o /dev/null -o /dev/null "$(up_url /trap)" "$(up_url /bad)" || true
done
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /items/1)")
expect_eq "still serving" "$code" "200"
up_stop
echo "ok"
