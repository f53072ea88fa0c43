#!/usr/bin/env bash
# e2e: the seed's Rust library as written (#[wasm_bindgen] functions, cargo,
# Debian's wasm-bindgen 0.2.83, no wasm-bindgen CLI) served by `weft up`
# with executor = "wasm-bindgen": body in, string out, Err(JsValue) as a 500,
# the request as JSON, and start-up errors that print the signature.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
APP="$SRC/examples/seed-rust"
[[ -f "$APP/wasm_microservice.wasm" ]] ||
  up_fail "examples/seed-rust/wasm_microservice.wasm not built (make build; needs librust-wasm-bindgen-dev)"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT

up_start "$WEFT" "$APP" "$work/server.log"
resp=$(curl -sS --max-time 10 -D "$work/headers" --data-binary 'hello weft' "$(up_url /)")
expect_eq "process_request" "$resp" '{"status":"success","data":"HELLO WEFT","timestamp":1640995200}'
grep -qi '^content-type: application/json' "$work/headers" || up_fail "not application/json"
# Rust's to_uppercase is Unicode-aware; serde_json escapes quotes
resp=$(curl -sS --max-time 10 --data-binary 'straße "q"' "$(up_url /)")
expect_eq "unicode" "$resp" '{"status":"success","data":"STRASSE \"Q\"","timestamp":1640995200}'
code=$(printf 'bad \xff byte' | curl -sS --max-time 10 -o "$work/bad" -w '%{http_code}' --data-binary @- "$(up_url /)")
expect_eq "invalid UTF-8" "$code" "400"
# a 1 MiB body through the guest's allocator and back
head -c 1048576 /dev/zero | tr '\0' 'q' >"$work/big"
resp=$(curl -sS --max-time 20 --data-binary @"$work/big" "$(up_url /)")
expect_eq "big body length" "${#resp}" "$((1048576 + 53))"
# Result<String, JsValue>
resp=$(curl -sS --max-time 10 --data-binary 'abc' "$(up_url /safe)")
expect_eq "Ok" "$resp" 'Processed: abc'
code=$(curl -sS --max-time 10 -o "$work/err" -w '%{http_code}' -X POST "$(up_url /safe)")
expect_eq "Err status" "$code" "500"
expect_contains "Err body" "$(cat "$work/err")" 'Input cannot be empty'
# input = "request-json"
resp=$(curl -sS --max-time 10 -H 'X-Trace: 7' "$(up_url '/edge/items?id=7')")
expect_contains "edge method" "$resp" 'Edge processed: {"method":"GET","path":"/edge/items","query":"id=7","headers":{'
expect_contains "edge header" "$resp" '"x-trace":"7"'
expect_contains "edge body" "$resp" '"body":""}'
# the server keeps serving after errors
resp=$(curl -sS --max-time 10 --data-binary 'again' "$(up_url /)")
expect_contains "still serving" "$resp" '"data":"AGAIN"'
up_stop

# A guest that spins gets a 504; one that aborts (a Rust panic is
# `unreachable`) a 500 naming where; the server keeps serving.
mkdir -p "$work/guests"
cat >"$work/guests/g.wat" <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func $d (param i32)))
  (memory (export "memory") 1)
  (func (export "__wbindgen_malloc") (param i32) (result i32) (i32.const 1024))
  (func $describe (call $d (i32.const 11)) (call $d (i32.const 0)) (call $d (i32.const 1))
    (call $d (i32.const 15)) (call $d (i32.const 14)) (call $d (i32.const 14)) (call $d (i32.const 14)))
  (func (export "spin") (param i32 i32 i32) (loop br 0))
  (func (export "__wbindgen_describe_spin") (call $describe))
  (func $panic_in_rust (unreachable))
  (func (export "boom") (param i32 i32 i32) (call $panic_in_rust))
  (func (export "__wbindgen_describe_boom") (call $describe))
  ;; claims a 48 MiB string: over the 32 MiB response limit
  (func (export "huge") (param $ret i32) (param i32 i32)
    (i32.store (local.get $ret) (i32.const 0))
    (i32.store offset=4 (local.get $ret) (i32.const 0x3000000)))
  (func (export "__wbindgen_describe_huge") (call $describe)))
WAT
wat2wasm --debug-names "$work/guests/g.wat" -o "$work/guests/g.wasm"
cat >"$work/guests/weft.toml" <<'TOML'
[[route]]
path = "/spin"
service = "spin"
[[route]]
path = "/boom"
service = "boom"
[service.spin]
source = "g.wasm"
executor = "wasm-bindgen"
export = "spin"
timeout_ms = 300
[[route]]
path = "/huge"
service = "huge"
[service.boom]
source = "g.wasm"
executor = "wasm-bindgen"
export = "boom"
[service.huge]
source = "g.wasm"
executor = "wasm-bindgen"
export = "huge"
TOML
up_start "$WEFT" "$work/guests" "$work/guests.log"
code=$(curl -sS --max-time 10 -o "$work/spin" -w '%{http_code}' --data-binary 'x' "$(up_url /spin)")
expect_eq "spinning guest" "$code" "504"
code=$(curl -sS --max-time 10 -o "$work/boom" -w '%{http_code}' --data-binary 'x' "$(up_url /boom)")
expect_eq "aborting guest" "$code" "500"
expect_contains "panic body" "$(cat "$work/boom")" 'service boom panicked: unreachable in panic_in_rust'
code=$(curl -sS --max-time 10 -o "$work/huge" -w '%{http_code}' --data-binary 'x' "$(up_url /huge)")
expect_eq "response over the limit" "$code" "500"
expect_contains "huge body" "$(cat "$work/huge")" 'the response is larger than 33554432 bytes'
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --data-binary 'x' "$(up_url /boom)")
expect_eq "still serving" "$code" "500"
up_stop

# Start-up errors, before listening.
check() {
  local rc=0 out
  out=$(timeout 20 "$WEFT" up "$work/$1.toml" --listen 127.0.0.1:1 2>&1) || rc=$?
  [[ $rc -eq 1 ]] || up_fail "$1: expected exit 1, got $rc ($out)"
  [[ "$out" == *"$2"* ]] || up_fail "$1: expected '$2' in: $out"
}
cp "$APP/wasm_microservice.wasm" "$work/"
manifest() {
  printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "wasm_microservice.wasm"\nexecutor = "wasm-bindgen"\n%s\n' "$2" >"$work/$1.toml"
}
manifest noexport 'export = "nope"'
check noexport 'has no #[wasm_bindgen] function "nope" (it has safe_operation, edge_handler, process_request)'
manifest ambiguous ''
check ambiguous 'has 3 #[wasm_bindgen] functions'
manifest badinput 'export = "edge_handler"
input = "headers"'
check badinput 'service.s.input: expected "body", "path" or "request-json"'
printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "wasm_microservice.wasm"\nexport = "f"\n' >"$work/wagi.toml"
check wagi 'service.s.export: applies only to executor = "wasm-bindgen"'
# a function that is not (string) -> string: its signature is printed
cat >"$work/num.wat" <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func $d (param i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "__wbindgen_describe_add")
    (call $d (i32.const 11)) (call $d (i32.const 0)) (call $d (i32.const 2))
    (call $d (i32.const 4)) (call $d (i32.const 4)) (call $d (i32.const 4)) (call $d (i32.const 4))))
WAT
wat2wasm "$work/num.wat" -o "$work/num.wasm"
printf '[[route]]\npath = "/"\nservice = "s"\n[service.s]\nsource = "num.wasm"\nexecutor = "wasm-bindgen"\n' >"$work/num.toml"
check num '"add" is fn(i32, i32) -> i32; the wasm-bindgen executor calls fn(&str) -> String'
echo "ok"
