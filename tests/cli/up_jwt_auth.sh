#!/usr/bin/env bash
# e2e: `weft up examples/jwt-auth`: the uppercase service behind the jwt-auth
# proxy-wasm filter. A valid HS256 token → 200 and the uppercase JSON;
# missing, malformed, wrongly signed, expired, wrong-algorithm → 401 JSON.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
for f in examples/uppercase/uppercase.wasm examples/jwt-auth/jwt_auth.wasm; do
  [[ -f "$SRC/$f" ]] || up_fail "$f not built (make build)"
done
command -v python3 >/dev/null || up_fail "python3 is needed to mint tokens"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

export JWT_SECRET="e2e-secret-$RANDOM"

# mint SECRET EXP [ALG]: prints a JWT (HS256 unless ALG is given).
mint() {
  python3 - "$1" "$2" "${3:-HS256}" <<'PY'
import base64, hashlib, hmac, json, sys
secret, exp, alg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
payload = b64(json.dumps({"sub": "e2e", "exp": exp}).encode())
signing = f"{header}.{payload}".encode()
sig = b64(hmac.new(secret.encode(), signing, hashlib.sha256).digest())
print(f"{header}.{payload}.{sig}")
PY
}

now=$(date +%s)
valid=$(mint "$JWT_SECRET" $((now + 600)))
expired=$(mint "$JWT_SECRET" $((now - 60)))
wrong_key=$(mint "not-the-secret" $((now + 600)))
wrong_alg=$(mint "$JWT_SECRET" $((now + 600)) HS512)
other=$(mint "$JWT_SECRET" $((now + 99999)))
tampered="${other%.*}.${valid##*.}"  # a longer exp under the valid token's signature

up_start "$WEFT" "$SRC/examples/jwt-auth" "$work/server.log"

# request NAME [curl args...]: sets CODE, BODY and writes headers to $work/h.
request() {
  local out
  out=$(curl -sS --max-time 10 -D "$work/h" -w '\n%{http_code}' "$@" "$(up_url /)") ||
    up_fail "curl failed: $*"
  CODE=${out##*$'\n'}
  BODY=${out%$'\n'*}
}

request -H "Authorization: Bearer $valid" --data-binary 'hello jwt'
expect_eq "valid token status" "$CODE" "200"
[[ $BODY =~ ^\{\"status\":\"success\",\"data\":\"HELLO\ JWT\",\"timestamp\":[0-9]+\}$ ]] ||
  up_fail "valid token: unexpected body: $BODY"

check_401() {
  local what=$1 want_error=$2
  shift 2
  request "$@" --data-binary 'x'
  expect_eq "$what: status" "$CODE" "401"
  expect_eq "$what: body" "$BODY" "{\"error\":\"$want_error\"}"
  grep -qi '^content-type: application/json' "$work/h" || up_fail "$what: not application/json"
}
check_401 "no header" "missing bearer token"
check_401 "basic auth" "missing bearer token" -H "Authorization: Basic dXNlcjpwYXNz"
check_401 "garbage" "malformed token" -H "Authorization: Bearer not-a-jwt"
check_401 "bad signature" "invalid token signature" -H "Authorization: Bearer $wrong_key"
check_401 "tampered" "invalid token signature" -H "Authorization: Bearer $tampered"
check_401 "expired" "token expired" -H "Authorization: Bearer $expired"
check_401 "HS512" "unsupported token algorithm" -H "Authorization: Bearer $wrong_alg"

# Many rejected requests leave the server serving.
for _ in $(seq 1 50); do
  curl -sS --max-time 10 -o /dev/null -H "Authorization: Bearer $wrong_key" "$(up_url /)" ||
    up_fail "server stopped answering"
done
request -H "Authorization: Bearer $valid" --data-binary 'still here'
expect_eq "after many rejections" "$CODE" "200"
expect_contains "after many rejections" "$BODY" '"data":"STILL HERE"'
up_stop

# Without JWT_SECRET the server refuses to start, naming the variable.
unset JWT_SECRET
port=$(up_pick_port) || up_fail "no free port"
rc=0
"$WEFT" up "$SRC/examples/jwt-auth" --listen "127.0.0.1:$port" >"$work/nosecret.log" 2>&1 || rc=$?
expect_eq "exit status without JWT_SECRET" "$rc" "1"
grep -q "JWT_SECRET" "$work/nosecret.log" || up_fail "startup error does not name JWT_SECRET: $(cat "$work/nosecret.log")"
echo "ok"
