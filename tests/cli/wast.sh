#!/usr/bin/env bash
# `weft wast` on a small script, as .wast and as wast2json output, and on a
# script with failures (they are counted, reported, and do not stop it).
source "$(dirname "$0")/common.bash"

cat > "$TMP/ok.wast" <<'W'
(module $M
  (global (export "g") i32 (i32.const 42))
  (memory 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "nan") (result f32) f32.const nan)
  (func (export "boom") unreachable)
  (func $r (export "recurse") call $r)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load))
(register "m" $M)
(module (import "m" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "memory" (memory 1))
  (func (export "twice") (param i32) (result i32) local.get 0 local.get 0 call $add))
(assert_return (invoke "twice" (i32.const 21)) (i32.const 42))
(assert_return (invoke $M "add" (i32.const -1) (i32.const 1)) (i32.const 0))
(assert_return (get $M "g") (i32.const 42))
(assert_return (invoke $M "nan") (f32.const nan:canonical))
(assert_return (invoke $M "nan") (f32.const nan:arithmetic))
(assert_trap (invoke $M "boom") "unreachable")
(assert_trap (invoke $M "load" (i32.const 65536)) "out of bounds memory access")
(assert_exhaustion (invoke $M "recurse") "call stack exhausted")
(invoke $M "add" (i32.const 1) (i32.const 2))
(assert_invalid (module (func (result i32) i64.const 0)) "type mismatch")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
W
expect_status 0 "$WEFT" wast "$TMP/ok.wast"
[ "$(tail -n 1 "$TMP/out")" = "14 passed, 0 failed" ] || fail "ok.wast: $(cat "$TMP/out")"

mkdir "$TMP/json"
wast2json "$TMP/ok.wast" -o "$TMP/json/ok.json" || fail "wast2json"
expect_status 0 "$WEFT" wast "$TMP/json/ok.json"
[ "$(tail -n 1 "$TMP/out")" = "14 passed, 0 failed" ] || fail "ok.json: $(cat "$TMP/out")"

cat > "$TMP/bad.wast" <<'W'
(module (func (export "one") (result i32) i32.const 1) (func (export "boom") unreachable))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_return (invoke "boom"))
(assert_return (invoke "one") (i32.const 1))
(module (import "nowhere" "f" (func)) (func (export "one") (result i32) i32.const 1))
(assert_return (invoke "one") (i32.const 1))
W
mkdir "$TMP/bad"
wast2json "$TMP/bad.wast" -o "$TMP/bad/bad.json" || fail "wast2json bad"
for script in "$TMP/bad.wast" "$TMP/bad/bad.json"; do
  expect_status 1 "$WEFT" wast "$script"
  [ "$(tail -n 1 "$TMP/out")" = "1 passed, 5 failed" ] || fail "$script: $(cat "$TMP/out")"
  expect_contains "$TMP/out" "bad.wast:2: assert_return:"
  expect_contains "$TMP/out" "i32:1"
  expect_contains "$TMP/out" "bad.wast:3: assert_trap:"
  expect_contains "$TMP/out" "bad.wast:4: assert_return:"
  expect_contains "$TMP/out" "bad.wast:6: module:"
  expect_contains "$TMP/out" "bad.wast:7: assert_return:"
done

expect_status 1 "$WEFT" wast "$TMP/missing.json"
expect_contains "$TMP/err" "missing.json"

# Broken inputs: bad JSON, a module file that is not there, an unknown
# value type, a .wast that does not parse. Each is reported, none crashes.
printf '{"commands": [' > "$TMP/broken.json"
expect_status 1 "$WEFT" wast "$TMP/broken.json"
expect_contains "$TMP/err" "broken.json"
cat > "$TMP/json/holes.json" <<'J'
{"source_filename": "holes.wast", "commands": [
 {"type": "module", "line": 1, "filename": "ok.0.wasm"},
 {"type": "assert_return", "line": 2, "action": {"type": "invoke", "module": "$M", "field": "add", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "3"}]},
 {"type": "module", "line": 3, "filename": "nothere.wasm"},
 {"type": "assert_return", "line": 4, "action": {"type": "invoke", "field": "add", "args": []}, "expected": []},
 {"type": "assert_return", "line": 5, "action": {"type": "invoke", "field": "add", "args": [{"type": "v128", "value": ["0"]}]}, "expected": []},
 {"type": "bogus", "line": 6},
 {"type": "module", "line": 7, "filename": "../ok.0.wasm"}
]}
J
expect_status 1 "$WEFT" wast "$TMP/json/holes.json"
[ "$(tail -n 1 "$TMP/out")" = "0 passed, 6 failed" ] || fail "holes.json: $(cat "$TMP/out")"
expect_contains "$TMP/out" "holes.wast:2: assert_return:"
expect_contains "$TMP/out" "holes.wast:3: command: cannot load:"
expect_contains "$TMP/out" "nothere.wasm"
expect_contains "$TMP/out" "holes.wast:4: assert_return:"
expect_contains "$TMP/out" "holes.wast:5: command: cannot load: v128"
printf '(module (func' > "$TMP/unparsable.wast"
expect_status 1 "$WEFT" wast "$TMP/unparsable.wast"
expect_contains "$TMP/err" "unparsable.wast"
expect_output "0 passed, 1 failed"

# A command that runs away is interrupted and fails; the script goes on.
cat > "$TMP/spin.wast" <<'W'
(module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) i32.const 1))
(invoke "spin")
(assert_return (invoke "one") (i32.const 1))
W
expect_status 1 "$WEFT" wast --timeout 0.2 "$TMP/spin.wast"
[ "$(tail -n 1 "$TMP/out")" = "1 passed, 1 failed" ] || fail "spin.wast: $(cat "$TMP/out")"
expect_contains "$TMP/out" "interrupted"

finish
