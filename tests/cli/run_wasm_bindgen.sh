#!/usr/bin/env bash
# `weft run --invoke` on raw wasm-bindgen modules: the seed's (cargo, Debian's
# wasm-bindgen 0.2.83) and hand-written ones in the later ABI (malloc with an
# alignment, the 0.2.96+ tag numbering, no version section), then hostile
# descriptors: looping, endless, truncated, unknown tags, bad imports and
# guest-returned pointers outside memory. Each gives an error naming the
# function or import; none hangs or crashes.
source "$(dirname "$0")/common.bash"
SEED="$SOURCE_DIR/examples/seed-rust/wasm_microservice.wasm"
[[ -f $SEED ]] || { echo "FAIL: $SEED not built (make build; needs librust-wasm-bindgen-dev)"; exit 1; }

expect_status 0 "$WEFT" run --invoke process_request "$SEED" 'hello weft'
expect_output '{"status":"success","data":"HELLO WEFT","timestamp":1640995200}'
expect_status 0 "$WEFT" run --invoke process_request "$SEED" 'ünïcode "q"'
expect_output '{"status":"success","data":"ÜNÏCODE \"Q\"","timestamp":1640995200}'
expect_status 0 "$WEFT" run --invoke safe_operation "$SEED" 'x'
expect_output 'Processed: x'
expect_status 1 "$WEFT" run --invoke safe_operation "$SEED" ''
expect_contains "$TMP/err" 'safe_operation returned Err(Input cannot be empty)'
expect_status 2 "$WEFT" run --invoke edge_handler "$SEED"
expect_contains "$TMP/err" "'edge_handler' is fn(&str) -> String: 1 argument(s), 0 given"
expect_status 2 "$WEFT" run --invoke nope "$SEED" x
expect_contains "$TMP/err" "no #[wasm_bindgen] function 'nope' (it has safe_operation, edge_handler, process_request)"

# The later ABI: malloc(size, align), free(ptr, len, align), tags numbered
# as 0.2.96-0.2.118 (FUNCTION=13, REF=17, STRING=16, F64=11, RESULT=29), and
# no __wasm_bindgen_unstable section, so the table is found by decoding.
wat newer <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func $d (param i32)))
  (import "__wbindgen_placeholder__" "__wbg___wbindgen_throw_0123456789abcdef" (func $throw (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "bad input")
  (global $bump (mut i32) (i32.const 1024))
  (global $freed (mut i32) (i32.const 0))
  (func (export "__wbindgen_malloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (i32.add (local.get $size) (i32.const 8))))
    (local.get $p))
  (func (export "__wbindgen_free") (param i32 i32 i32)
    (global.set $freed (i32.add (global.get $freed) (i32.const 1))))
  (func (export "echo") (param $ret i32) (param $p i32) (param $l i32)
    (i32.store (local.get $ret) (local.get $p))
    (i32.store offset=4 (local.get $ret) (local.get $l)))
  (func (export "__wbindgen_describe_echo")
    (call $d (i32.const 13)) (call $d (i32.const 0)) (call $d (i32.const 1))
    (call $d (i32.const 17)) (call $d (i32.const 16)) (call $d (i32.const 16)) (call $d (i32.const 16)))
  (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5)))
  (func (export "__wbindgen_describe_half")
    (call $d (i32.const 13)) (call $d (i32.const 0)) (call $d (i32.const 1))
    (call $d (i32.const 11)) (call $d (i32.const 11)) (call $d (i32.const 11)))
  (func (export "fails") (param $x f64)
    (call $throw (i32.const 16) (i32.const 9)) unreachable)
  (func (export "__wbindgen_describe_fails")
    (call $d (i32.const 13)) (call $d (i32.const 0)) (call $d (i32.const 1))
    (call $d (i32.const 11)) (call $d (i32.const 30)) (call $d (i32.const 30)))
  ;; returns a string 1000 bytes long at 0xffffff00: outside its memory
  (func (export "wild") (param $ret i32)
    (i32.store (local.get $ret) (i32.const 0xffffff00))
    (i32.store offset=4 (local.get $ret) (i32.const 1000)))
  (func (export "__wbindgen_describe_wild")
    (call $d (i32.const 13)) (call $d (i32.const 0)) (call $d (i32.const 0))
    (call $d (i32.const 16)) (call $d (i32.const 16))))
WAT
expect_status 0 "$WEFT" run --invoke echo "$TMP/newer.wasm" 'round trip'
expect_output 'round trip'
expect_status 0 "$WEFT" run --invoke half "$TMP/newer.wasm" 5
expect_output '2.5'
expect_status 2 "$WEFT" run --invoke half "$TMP/newer.wasm" five
expect_contains "$TMP/err" 'expected a number'
expect_status 134 "$WEFT" run --invoke fails "$TMP/newer.wasm" 1
expect_contains "$TMP/err" 'fails threw Error: bad input'
expect_status 134 "$WEFT" run --invoke wild "$TMP/newer.wasm"
expect_contains "$TMP/err" 'returned a string at 4294967040 (1000 bytes), outside its memory'

# describe_f FUNCTION_BODY: a module whose only export f(retptr, ptr, len)
# is described by BODY.
describe_module() {
  wat "$1" <<WAT
(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func \$d (param i32)))
  (memory (export "memory") 1)
  (func (export "__wbindgen_malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "f") (param i32 i32 i32))
  (func (export "__wbindgen_describe_f") (local \$i i32) $2))
WAT
}
describe_module loops '(loop br 0)'
expect_status 1 timeout 20 "$WEFT" run --invoke f "$TMP/loops.wasm" x
expect_contains "$TMP/err" 'export "f": describing it failed: it did not finish within'
describe_module endless '(loop (call $d (i32.const 11)) (br 0))'
expect_status 1 timeout 20 "$WEFT" run --invoke f "$TMP/endless.wasm" x
expect_contains "$TMP/err" 'export "f": describing it failed: descriptor longer than 65536 codes'
describe_module truncated '(call $d (i32.const 11)) (call $d (i32.const 0)) (call $d (i32.const 1)) (call $d (i32.const 15))'
expect_status 1 "$WEFT" run --invoke f "$TMP/truncated.wasm" x
expect_contains "$TMP/err" 'export "f": descriptor truncated after 4 codes'
describe_module unknown '(call $d (i32.const 11)) (call $d (i32.const 0)) (call $d (i32.const 1)) (call $d (i32.const 91))'
expect_status 1 "$WEFT" run --invoke f "$TMP/unknown.wasm" x
expect_contains "$TMP/err" 'code 3: unknown type tag 91'
describe_module traps 'unreachable'
expect_status 1 "$WEFT" run --invoke f "$TMP/traps.wasm" x
expect_contains "$TMP/err" 'export "f": describing it failed: unreachable'

# A guest that makes JsValues without end is held to its memory cap.
wat heapbomb <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbindgen_describe" (func $d (param i32)))
  (import "__wbindgen_placeholder__" "__wbindgen_string_new" (func $s (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (loop (drop (call $s (i32.const 0) (i32.const 65536))) (br 0)))
  (func (export "__wbindgen_describe_f")
    (call $d (i32.const 11)) (call $d (i32.const 0)) (call $d (i32.const 0))
    (call $d (i32.const 26)) (call $d (i32.const 26))))
WAT
expect_status 134 timeout 20 "$WEFT" run --max-memory 1MiB --invoke f "$TMP/heapbomb.wasm"
expect_contains "$TMP/err" '__wbindgen_string_new: JsValues would hold more than 1048576 bytes'
# Many describe exports share one code budget (and one fuel budget).
{
  echo '(module (import "__wbindgen_placeholder__" "__wbindgen_describe" (func $d (param i32)))'
  echo '(memory (export "memory") 1) (func $f)'
  echo '(func $many (local $i i32) (loop (call $d (i32.const 26)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if 0 (i32.lt_u (local.get $i) (i32.const 60000)))))'
  for i in $(seq 1 20); do echo "(export \"f$i\" (func \$f)) (export \"__wbindgen_describe_f$i\" (func \$many))"; done
  echo ')'
} | wat many
expect_status 1 timeout 30 "$WEFT" run --invoke f1 "$TMP/many.wasm"
expect_contains "$TMP/err" "the module's descriptors are longer than 1048576 codes in all"

wat badimport <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbg_alert_0123456789abcdef" (func (param i32 i32)))
  (func (export "__wbindgen_describe_f")))
WAT
expect_status 1 "$WEFT" run --invoke f "$TMP/badimport.wasm" x
expect_contains "$TMP/err" 'import __wbindgen_placeholder__.__wbg_alert_0123456789abcdef is not a wasm-bindgen intrinsic weft provides'
wat badtype <<'WAT'
(module
  (import "__wbindgen_placeholder__" "__wbindgen_string_new" (func (param i32) (result i32)))
  (func (export "__wbindgen_describe_f")))
WAT
expect_status 1 "$WEFT" run --invoke f "$TMP/badtype.wasm" x
expect_contains "$TMP/err" 'has type (i32) -> (i32), weft'"'"'s __wbindgen_string_new has (i32, i32) -> (i32)'
finish
