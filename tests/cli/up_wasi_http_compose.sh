#!/usr/bin/env bash
# e2e: examples/compose — a wasi:http handler importing example:auth/verify
# and example:store/kv@0.1.0, linked by weft from [service.api.dependencies]:
# JWTs accepted and refused, store set/get, routes, and the store's outbound
# mode (STORE_URL) against tests/serve/kv_server.py on loopback.
#
# WEFT_HTTP_REFERENCE=jco: jco serve has no composition, so the auth and
# store components are transpiled with jco and mapped into the handler's
# imports (--jco-map); the environment (JWT_SECRET, STORE_URL) is jco's own.
# jco reuses one instance there, so the check that a later request sees a
# fresh in-memory store runs against weft only.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/serve/wasi_http_common.bash"
app="$SRC/examples/compose"
for f in handler auth store; do
  [[ -f "$app/$f.wasm" ]] || up_fail "examples/compose/$f.wasm not built (make build)"
done
command -v python3 >/dev/null || up_fail "python3 is needed to mint tokens"
work=$(mktemp -d)
KV_PID=""
trap 'wh_cleanup; [[ -n "$KV_PID" ]] && kill "$KV_PID" 2>/dev/null; rm -rf "$work"' EXIT
secret="weft-compose-demo-secret" # the demo secret in examples/compose/weft.toml

# mint SECRET EXP [SUB] [ALG]
mint() {
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, sys
secret, exp = sys.argv[1], int(sys.argv[2])
sub = sys.argv[3] if len(sys.argv) > 3 else "alice"
alg = sys.argv[4] if len(sys.argv) > 4 else "HS256"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
p = b64(json.dumps({"sub": sub, "exp": exp}).encode())
s = b64(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
print(f"{h}.{p}.{s}")
PY
}
now=$(date +%s)
valid=$(mint "$secret" $((now + 600)) alice)
expired=$(mint "$secret" $((now - 60)) alice)
forged=$(mint "not-the-secret" $((now + 600)) mallory)
wrong_alg=$(mint "$secret" $((now + 600)) alice HS512)

# request ARGS... : STATUS, BODY and HEADERS (lower-cased names) of one curl.
request() {
  STATUS=$(curl -sS --max-time 20 -D "$work/h" -o "$work/b" -w '%{http_code}' "$@")
  BODY=$(cat "$work/b")
  HEADERS=$(tr -d '\r' <"$work/h" | tr 'A-Z' 'a-z')
}

jco_args=()
if [[ "$WH_REFERENCE" == jco ]]; then
  # The dependencies as JS modules: each transpiled component behind a
  # module exporting the interface's functions. node resolves
  # @bytecodealliance/preview2-shim from beside them.
  shim="$SRC/tools/jco/node_modules/@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim"
  [[ -d "$shim" ]] || shim="$SRC/tools/jco/node_modules/@bytecodealliance/preview2-shim"
  mkdir -p "$work/deps/node_modules/@bytecodealliance"
  ln -s "$shim" "$work/deps/node_modules/@bytecodealliance/preview2-shim"
  echo '{"type": "module"}' >"$work/deps/package.json"
  for c in auth store; do
    timeout 120 "$SRC/scripts/jco" transpile -q "$app/$c.wasm" -o "$work/deps/$c-js" >"$work/transpile.log" 2>&1 ||
      up_fail "jco transpile $c.wasm: $(head -c 2000 "$work/transpile.log")"
  done
  cat >"$work/deps/auth.mjs" <<'JS'
import { verify } from './auth-js/auth.js';
export const check = (token) => verify.check(token);
JS
  cat >"$work/deps/store.mjs" <<'JS'
import { kv } from './store-js/store.js';
export const get = (key) => kv.get(key);
export const set = (key, value) => kv.set(key, value);
JS
  jco_args=(--jco-map "example:auth/verify=$work/deps/auth.mjs" "example:store/kv@0.1.0=$work/deps/store.mjs")
  export JWT_SECRET=$secret
fi

# ---------------- in memory ----------------
wh_start "$SRC" "$app" "$app/handler.wasm" "$work/server.log" "${jco_args[@]}"
request "$(up_url /health)"
expect_eq "/health" "$STATUS $BODY" "200 ok"
request "$(up_url /elsewhere)"
expect_eq "an unrouted path" "$STATUS" "404"

request "$(up_url /kv/k1)"
expect_eq "no token" "$STATUS" "401"
expect_contains "no token body" "$BODY" '"error":"missing bearer token"'
expect_contains "no token: www-authenticate" "$HEADERS" "www-authenticate: bearer"
request -H "Authorization: Bearer $forged" "$(up_url /kv/k1)"
expect_eq "forged token" "$STATUS $BODY" '401 {"error":"invalid token signature"}'
request -H "Authorization: Bearer $expired" "$(up_url /kv/k1)"
expect_eq "expired token" "$STATUS $BODY" '401 {"error":"token expired"}'
request -H "Authorization: Bearer $wrong_alg" "$(up_url /kv/k1)"
expect_eq "HS512 token" "$STATUS $BODY" '401 {"error":"unsupported token algorithm"}'
request -H "Authorization: Bearer garbage" "$(up_url /kv/k1)"
expect_eq "garbage token" "$STATUS $BODY" '401 {"error":"malformed token"}'

# set, then get in the same store instance: the PUT answers what get read back.
request -X PUT -H "Authorization: Bearer $valid" --data-binary 'value "one"' "$(up_url /kv/k1)"
expect_eq "PUT" "$STATUS $BODY" '200 {"key":"k1","value":"value \"one\"","subject":"alice"}'
expect_contains "PUT subject header" "$HEADERS" "x-weft-subject: alice"
request -X DELETE -H "Authorization: Bearer $valid" "$(up_url /kv/k1)"
expect_eq "DELETE" "$STATUS" "405"
request -H "Authorization: Bearer $valid" "$(up_url /kv/never-set)"
expect_eq "GET of a missing key" "$STATUS $BODY" '404 {"error":"no such key"}'
if [[ "$WH_REFERENCE" != jco ]]; then
  # weft: every request gets fresh instances, dependencies included.
  request -H "Authorization: Bearer $valid" "$(up_url /kv/k1)"
  expect_eq "GET k1 in a later request (fresh in-memory store)" "$STATUS" "404"
fi
wh_stop

# ---------------- outbound: STORE_URL ----------------
python3 "$SRC/tests/serve/kv_server.py" "$work/kv.port" 300 2>"$work/kv.log" &
KV_PID=$!
for _ in $(seq 1 100); do [[ -s "$work/kv.port" ]] && break; sleep 0.1; done
kv_port=$(cat "$work/kv.port")
if [[ "$WH_REFERENCE" == jco ]]; then
  export STORE_URL="http://127.0.0.1:$kv_port/kv"
  app2=$app
else
  # The example's manifest with STORE_URL and the server's origin granted.
  app2="$work/app"
  mkdir -p "$app2"
  for f in handler auth store; do ln -s "$app/$f.wasm" "$app2/$f.wasm"; done
  sed -e "s|^\"example:store/kv@0.1.0\" = .*|\"example:store/kv@0.1.0\" = { source = \"store.wasm\", allowed_outbound_hosts = [\"http://127.0.0.1:$kv_port\"], env = { STORE_URL = \"http://127.0.0.1:$kv_port/kv\" } }|" \
    "$app/weft.toml" >"$app2/weft.toml"
  grep -q "STORE_URL = \"http://127.0.0.1:$kv_port/kv\"" "$app2/weft.toml" || up_fail "could not rewrite weft.toml"
fi
wh_start "$SRC" "$app2" "$app/handler.wasm" "$work/server2.log" "${jco_args[@]}"
head -c 200000 /dev/zero | tr '\0' 'z' >"$work/big"
request -X PUT -H "Authorization: Bearer $valid" --data-binary 'über value' "$(up_url /kv/a%20b)"
expect_eq "outbound PUT" "$STATUS $BODY" '200 {"key":"a%20b","value":"über value","subject":"alice"}'
request -H "Authorization: Bearer $valid" "$(up_url /kv/a%20b)"
expect_eq "outbound GET in a later request" "$STATUS $BODY" "200 über value"
request -X PUT -H "Authorization: Bearer $valid" --data-binary @"$work/big" "$(up_url /kv/big)"
expect_eq "outbound PUT of 200 KB" "$STATUS" "200"
request -H "Authorization: Bearer $valid" "$(up_url /kv/big)"
expect_eq "outbound GET of 200 KB" "$STATUS ${#BODY}" "200 200000"
request -H "Authorization: Bearer $valid" "$(up_url /kv/absent)"
expect_eq "outbound GET of a missing key" "$STATUS" "404"
grep -q "^PUT /kv/a%2520b 11$" "$work/kv.log" || up_fail "the kv server saw no PUT: $(cat "$work/kv.log")"
grep -q "^GET /kv/a%2520b 11$" "$work/kv.log" || up_fail "the kv server saw no GET: $(cat "$work/kv.log")"
wh_stop
if [[ "$WH_REFERENCE" != jco ]]; then
  # A store whose server is down answers 502 with the error-code's name.
  kill "$KV_PID"
  wait "$KV_PID" 2>/dev/null || true
  KV_PID=""
  wh_start "$SRC" "$app2" "$app/handler.wasm" "$work/server3.log"
  request -H "Authorization: Bearer $valid" "$(up_url /kv/x)"
  expect_eq "store server down" "$STATUS" "502"
  expect_contains "store server down body" "$BODY" "connection-refused"
  wh_stop

  # An origin outside allowed_outbound_hosts: HTTP-request-denied, logged.
  app4="$work/app4"
  mkdir -p "$app4"
  for f in handler auth store; do ln -s "$app/$f.wasm" "$app4/$f.wasm"; done
  sed -e "s|^\"example:store/kv@0.1.0\" = .*|\"example:store/kv@0.1.0\" = { source = \"store.wasm\", allowed_outbound_hosts = [\"http://127.0.0.1:9\"], env = { STORE_URL = \"http://127.0.0.1:$kv_port/kv\" } }|" \
    "$app/weft.toml" >"$app4/weft.toml"
  wh_start "$SRC" "$app4" "$app/handler.wasm" "$work/server5.log"
  request -H "Authorization: Bearer $valid" "$(up_url /kv/x)"
  expect_eq "denied origin" "$STATUS" "502"
  expect_contains "denied origin body" "$BODY" "HTTP-request-denied"
  grep -q "127.0.0.1:$kv_port" "$work/server5.log" || up_fail "no log line for the denied origin"
  wh_stop

  # instance_reuse = 2: one instance (handler and dependencies) serves two
  # requests, so the in-memory store keeps a PUT for the next GET; the
  # third request gets a fresh instance and finds nothing.
  app3="$work/app3"
  mkdir -p "$app3"
  for f in handler auth store; do ln -s "$app/$f.wasm" "$app3/$f.wasm"; done
  sed -e 's|^executor = "wasi-http".*|executor = "wasi-http"\ninstance_reuse = 2|' "$app/weft.toml" >"$app3/weft.toml"
  grep -q '^instance_reuse = 2' "$app3/weft.toml" || up_fail "could not rewrite weft.toml"
  wh_start "$SRC" "$app3" "$app/handler.wasm" "$work/server4.log"
  request -X PUT -H "Authorization: Bearer $valid" --data-binary 'kept' "$(up_url /kv/r)"
  expect_eq "reuse: PUT" "$STATUS" "200"
  request -H "Authorization: Bearer $valid" "$(up_url /kv/r)"
  expect_eq "reuse: GET on the same instance" "$STATUS $BODY" "200 kept"
  request -H "Authorization: Bearer $valid" "$(up_url /kv/r)"
  expect_eq "reuse: GET on a fresh instance" "$STATUS" "404"
  wh_stop
fi
echo "ok"
