#!/usr/bin/env bash
# e2e: a proxy-wasm filter (examples/jwt-auth's HS256 check) in front of a
# wasi:http service (examples/hello-http): the filter refuses a request
# without a valid token before the component runs, and passes a valid one
# through to it, bodies buffered both ways (filters see whole bodies).
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
for f in examples/jwt-auth/jwt_auth.wasm examples/hello-http/hello.wasm; do
  [[ -f "$SRC/$f" ]] || up_fail "$f not built (make build)"
done
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT
expect_eq() { [[ "$2" == "$3" ]] || up_fail "$1: got '$2', expected '$3'"; }
cat > "$work/weft.toml" <<TOML
[[route]]
path = "/..."
service = "hello"

[service.hello]
source = "$SRC/examples/hello-http/hello.wasm"
executor = "wasi-http"
filters = ["auth"]

[filter.auth]
source = "$SRC/examples/jwt-auth/jwt_auth.wasm"
config = '{"secret_env": "JWT_SECRET"}'
TOML
export JWT_SECRET="filter-test-secret"
token=$(python3 - "$JWT_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b64(json.dumps({"sub": "alice", "exp": int(time.time()) + 600}).encode())
s = b64(hmac.new(sys.argv[1].encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
print(f"{h}.{p}.{s}")
PY
)
up_start "$WEFT" "$work" "$work/server.log"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$(up_url /x)")
expect_eq "no token" "$code" "401"
body=$(curl -sS --max-time 10 -H "Authorization: Bearer $token" "$(up_url /x)")
expect_eq "GET through the filter" "$body" "hello from weft wasi:http"
head -c 300000 /dev/urandom > "$work/body"
got=$(curl -sS --max-time 10 -H "Authorization: Bearer $token" --data-binary @"$work/body" "$(up_url /echo)" | sha256sum)
expect_eq "POST echo through the filter" "$got" "$(sha256sum < "$work/body")"
up_stop
echo "ok"
