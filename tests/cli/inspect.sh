#!/usr/bin/env bash
# `weft inspect`: imports, exports, limits and the section list; for a
# component, its world in WIT, cross-checked against jco 1.35.
source "$(dirname "$0")/common.bash"

wat mod <<'W'
(module
  (import "env" "log" (func $log (param i32 i64)))
  (import "env" "g" (global $g (mut i32)))
  (memory (export "memory") 1 3)
  (table (export "table") 2 10 funcref)
  (global (export "answer") i32 (i32.const 42))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
W
expect_status 0 "$WEFT" inspect "$TMP/mod.wasm"
out="$TMP/out"
expect_contains "$out" "imports (2):"
expect_contains "$out" "env.log func (i32, i64) -> ()"
expect_contains "$out" "env.g global mut i32"
expect_contains "$out" "exports (4):"
expect_contains "$out" "add func[1] (i32, i32) -> (i32)"
expect_contains "$out" "memory memory[0] min 1 max 3 (pages)"
expect_contains "$out" "table table[0] funcref min 2 max 10"
expect_contains "$out" "answer global[1] i32"
expect_contains "$out" "memories (1 defined):"
expect_contains "$out" "memory[0] min 1 max 3 (pages)"
expect_contains "$out" "table[0] funcref min 2 max 10"
# Sections in file order with offsets: type comes first, right after the
# 8-byte header and the section's id + size bytes.
expect_contains "$out" "sections ("
grep -E '^  type +id  1 offset 0x0000000a size [0-9]+$' "$out" > /dev/null ||
  fail "no type section line at offset 0xa: $(cat "$out")"
for section in import function table memory global export code; do
  grep -qE "^  $section +id" "$out" || fail "no $section section listed"
done

# An invalid module is refused.
wat bad <<'W'
(module (func (result i32) i64.const 0))
W
expect_status 1 "$WEFT" inspect "$TMP/bad.wasm"
expect_contains "$TMP/err" "$TMP/bad.wasm:"
expect_contains "$TMP/err" "at byte 0x"

# ---- components: the world in WIT ------------------------------------------
# Built at test time from C through jco's preview1 adapter (scripts/make-component).
ROOT=$SOURCE_DIR
JCO="$ROOT/scripts/jco"
GUESTS="$ROOT/tests/component/guests"
for tool in "$JCO" "$ROOT/scripts/make-component"; do
  [ -x "$tool" ] || { echo "missing $tool" >&2; exit 2; }
done
timeout 300 "$ROOT/scripts/make-component" --command "$GUESTS/hello.c" "$TMP/hello.wasm" &&
  timeout 300 "$ROOT/scripts/make-component" --command "$GUESTS/args_env.c" "$TMP/args_env.wasm" &&
  timeout 300 "$ROOT/scripts/make-component" --reactor --wit "$GUESTS/wit/greeter" --world greeter \
    "$GUESTS/greeter.c" "$TMP/greeter.wasm" || { echo "cannot build the components" >&2; exit 2; }

# The lines of interface NAME's body (`  interface NAME {` .. `  }`).
interface_body() {
  awk -v name="$2" '$0 == "  interface " name " {" { on = 1; next } on && $0 == "  }" { exit } on' "$1"
}

expect_status 0 "$WEFT" inspect "$TMP/args_env.wasm"
cp "$TMP/out" "$TMP/args_env.wit"
expect_contains "$TMP/args_env.wit" "package root:component;"
grep -qE '^  import wasi:cli/environment@0\.2\.[0-9]+;$' "$TMP/args_env.wit" ||
  fail "no environment import: $(head -c 800 "$TMP/args_env.wit")"
grep -qE '^  export wasi:cli/run@0\.2\.[0-9]+;$' "$TMP/args_env.wit" || fail "no run export"
grep -qE '^package wasi:cli@0\.2\.[0-9]+ \{$' "$TMP/args_env.wit" || fail "no wasi:cli package block"
interface_body "$TMP/args_env.wit" environment > "$TMP/environment"
expect_contains "$TMP/environment" "    get-environment: func() -> list<tuple<string, string>>;"
expect_contains "$TMP/environment" "    get-arguments: func() -> list<string>;"
interface_body "$TMP/args_env.wit" run > "$TMP/run"
expect_contains "$TMP/run" "    run: func() -> result;"
# Resources with their methods, named types by their names, uses.
interface_body "$TMP/args_env.wit" streams > "$TMP/streams"
expect_contains "$TMP/streams" "    use error.{error};"
expect_contains "$TMP/streams" "    resource output-stream {"
expect_contains "$TMP/streams" "      blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>;"
expect_contains "$TMP/streams" "      last-operation-failed(error),"
interface_body "$TMP/args_env.wit" types > "$TMP/fs_types"
expect_contains "$TMP/fs_types" "      stat: func() -> result<descriptor-stat, error-code>;"
expect_contains "$TMP/fs_types" "      %type: descriptor-type,"
# Aliases of primitives by their names, and a type used from the interface
# the binary took it from (filesystem's WIT uses `error` from streams).
expect_contains "$TMP/fs_types" "      write-via-stream: func(offset: filesize) -> result<output-stream, error-code>;"
expect_contains "$TMP/fs_types" "    use wasi:io/streams@0.2."
grep -qE '^    use wasi:io/streams@0\.2\.[0-9]+\.\{error, output-stream\};$' "$TMP/fs_types" ||
  fail "filesystem types: no use of streams' error: $(head -c 800 "$TMP/fs_types")"
interface_body "$TMP/args_env.wit" preopens > "$TMP/preopens"
expect_contains "$TMP/preopens" "    use types.{descriptor};"
expect_contains "$TMP/preopens" "    get-directories: func() -> list<tuple<descriptor, string>>;"

# An invalid component is refused, with the place: (type (list 5)) with no type 5.
printf '\0asm\x0d\x00\x01\x00\x07\x03\x01\x70\x05' > "$TMP/bad_component.wasm"
expect_status 1 "$WEFT" inspect "$TMP/bad_component.wasm"
expect_contains "$TMP/err" "$TMP/bad_component.wasm:"

# A plain-name export.
expect_status 0 "$WEFT" inspect "$TMP/greeter.wasm"
expect_output "package root:component;

world root {
  export greet: func(name: string) -> string;
}"

# Against jco: the world's import and export lines are jco's (`jco wit`
# prints the world only), and the whole text is valid WIT that says the same
# interfaces, functions, methods, types and fields: `jco types` on it writes
# the TypeScript declarations that `jco transpile` writes for the component
# (the same lines: jco lists a `use`d type where WIT has the `use`, and
# transpile where the binary has it, so the order may differ).
# (jco-transpile reads WIT through its own preview2-shim, which sees no
# preopens unless given one; with scripts/jco's preopen for the other shim
# loaded as well, node crashes on exit, so `types` runs jco directly.)
shim="$ROOT/tools/jco/node_modules/@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js"
[ -f "$shim" ] || { echo "missing $shim" >&2; exit 2; }
printf "import { _setPreopens } from '%s';\n_setPreopens({ '/': '/' });\n" "$shim" > "$TMP/preopens.mjs"
for c in hello args_env greeter; do
  expect_status 0 "$WEFT" inspect "$TMP/$c.wasm"
  cp "$TMP/out" "$TMP/$c.wit"
  timeout 120 "$JCO" wit "$TMP/$c.wasm" > "$TMP/$c.jco.wit" || fail "jco wit $c failed"
  grep -E '^  (import|export) ' "$TMP/$c.jco.wit" | sort > "$TMP/$c.jco.world"
  awk '/^world root \{$/ { on = 1; next } on && /^\}$/ { exit } on' "$TMP/$c.wit" |
    grep -E '^  (import|export) ' | sort > "$TMP/$c.weft.world"
  [ -s "$TMP/$c.jco.world" ] || fail "jco wit printed no world for $c"
  diff "$TMP/$c.jco.world" "$TMP/$c.weft.world" > "$TMP/diff" ||
    fail "$c: world lines differ from jco's: $(head -c 1500 "$TMP/diff")"

  timeout 300 "$JCO" transpile "$TMP/$c.wasm" --name root -o "$TMP/$c.transpiled" > /dev/null 2>&1 ||
    fail "jco transpile $c failed"
  NODE_OPTIONS="--import=$TMP/preopens.mjs" timeout 120 "$ROOT/tools/jco/node_modules/.bin/jco" \
    types "$TMP/$c.wit" --world-name root -o "$TMP/$c.types" > "$TMP/types.log" 2>&1 &&
    [ -f "$TMP/$c.types/root.d.ts" ] ||
    { fail "jco types rejects weft's WIT for $c: $(grep -v '^    at ' "$TMP/types.log" | head -c 1500)"; continue; }
  (cd "$TMP/$c.transpiled" && find . -name '*.d.ts' | sort) > "$TMP/want_files"
  (cd "$TMP/$c.types" && find . -name '*.d.ts' | sort) > "$TMP/got_files"
  diff "$TMP/want_files" "$TMP/got_files" > "$TMP/diff" ||
    fail "$c: declaration files differ: $(cat "$TMP/diff")"
  [ "$(wc -l < "$TMP/want_files")" -ge 1 ] || fail "$c: jco transpile wrote no declarations"
  while read -r f; do
    [ -f "$TMP/$c.types/$f" ] || continue
    diff <(sort "$TMP/$c.transpiled/$f") <(sort "$TMP/$c.types/$f") > "$TMP/diff" ||
      fail "$c: $f declares otherwise: $(head -c 1500 "$TMP/diff")"
  done < "$TMP/want_files"
done
# hello's imports: every interface the adapter imports, with a body.
for iface in exit error streams stdin stdout stderr wall-clock types preopens; do
  grep -qE "^  interface $iface \{$" "$TMP/hello.wit" || fail "hello: no body for interface $iface"
done

finish
