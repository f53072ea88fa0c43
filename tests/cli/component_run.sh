#!/usr/bin/env bash
# `weft run` on components: the C command fixtures of tests/component/guests,
# made at test time through wasi-libc and jco's preview1 adapter
# (scripts/make-component), run on weft's WASI 0.2 host. The expected
# outputs are the ones cli/component_fixtures pins with jco as the
# reference; where weft means something else on purpose (argv[0] is the
# path given, a trap exits 134 with a backtrace) it says so below.
source "$(dirname "$0")/common.bash"

ROOT=$SOURCE_DIR
GUESTS="$ROOT/tests/component/guests"
BUILD="$TMP/build"
mkdir -p "$BUILD"
for guest in hello args_env files exit_code trap stdin_echo; do
  timeout 300 "$ROOT/scripts/make-component" --command "$GUESTS/$guest.c" "$BUILD/$guest.wasm" \
    > "$TMP/build.log" 2>&1 || { echo "cannot build $guest.c: $(head -c 2000 "$TMP/build.log")" >&2; exit 2; }
done
timeout 300 "$ROOT/scripts/make-component" --reactor --wit "$GUESTS/wit/greeter" --world greeter \
  "$GUESTS/greeter.c" "$BUILD/greeter-c.wasm" > "$TMP/build.log" 2>&1 ||
  { echo "cannot build greeter.c: $(head -c 2000 "$TMP/build.log")" >&2; exit 2; }

run() { timeout 60 "$WEFT" run "$@"; }

# hello, and the component is valid.
expect_status 0 "$WEFT" validate "$BUILD/hello.wasm"
expect_contains "$TMP/out" "valid component"
expect_status 0 run "$BUILD/hello.wasm"
expect_output "hello from a component"

# args_env: argv[0] is the path as given (as for modules and wasmtime);
# the environment is exactly --env.
expect_status 0 run --env "FIXTURE_GREETING=hi there" --env FIXTURE_EMPTY= "$BUILD/args_env.wasm" \
  one "two words" --flag
expect_output "argc=4
argv[0]=$BUILD/args_env.wasm
argv[1]=one
argv[2]=two words
argv[3]=--flag
FIXTURE_GREETING=hi there
FIXTURE_EMPTY=
FIXTURE_UNSET unset
environ count=2"
FIXTURE_GREETING=from-the-host-env expect_status 0 run "$BUILD/args_env.wasm"
expect_contains "$TMP/out" "FIXTURE_GREETING unset"
expect_contains "$TMP/out" "environ count=0"
FIXTURE_GREETING=inherited expect_status 0 run --env FIXTURE_GREETING "$BUILD/args_env.wasm"
expect_contains "$TMP/out" "FIXTURE_GREETING=inherited"

# exit_code: wasi:cli/exit takes result<_, _>, so a component exits 0 or 1.
for code in 0 1 3 42 255 256; do
  want=$([ "$code" = 0 ] && echo 0 || echo 1)
  expect_status "$want" run "$BUILD/exit_code.wasm" "$code"
  expect_output "exiting with $code"
done

# trap: output written before it survives; 134 and a wasm backtrace, as
# for modules.
expect_status 134 run "$BUILD/trap.wasm"
expect_output "before the trap"
expect_contains "$TMP/err" "unreachable"
expect_contains "$TMP/err" "wasi:cli/run@"

# stdin_echo: bytes through unchanged, and none.
printf 'line one\nline two\0after a NUL' > "$TMP/stdin.bin"
timeout 60 "$WEFT" run "$BUILD/stdin_echo.wasm" < "$TMP/stdin.bin" > "$TMP/out" 2> "$TMP/err" ||
  fail "stdin_echo exited $?"
cmp -s "$TMP/stdin.bin" "$TMP/out" || fail "stdin_echo changed the bytes: $(od -c "$TMP/out" | head -5)"
expect_contains "$TMP/err" "echoed 29 bytes"
timeout 60 "$WEFT" run "$BUILD/stdin_echo.wasm" < /dev/null > "$TMP/out" 2> "$TMP/err" || fail "stdin_echo (empty) exited $?"
expect_output ""

# files: the same answers as jco gives (cli/component_fixtures), escapes
# refused, nothing outside the grant touched.
fs="$TMP/fs"
mkdir -p "$fs/data/sub" "$fs/outside"
printf 'input for files.c\n' > "$fs/data/in.txt"
printf 'nested\n' > "$fs/data/sub/nested.txt"
printf 'secret\n' > "$fs/outside/secret.txt"
ln -s ../outside/secret.txt "$fs/data/link_out"
ln -s "$fs/outside/secret.txt" "$fs/data/abs_link"
expect_status 0 run --dir "$fs/data::/data" "$BUILD/files.wasm"
expect_output "read in.txt: input for files.c
write out.txt: ok
list: abs_link in.txt link_out out.txt sub
mkdir newdir: ok; stat sub/nested.txt: regular file
escape dotdot: errno=63 (Operation not permitted)
escape dotdot-create: errno=63 (Operation not permitted)
escape absolute: errno=76 (Capabilities insufficient)
escape symlink: errno=63 (Operation not permitted)
escape abs-symlink: errno=63 (Operation not permitted)
files ok"
[ "$(cat "$fs/data/out.txt" 2> /dev/null)" = "written by files.c" ] || fail "out.txt was not written"
[ -d "$fs/data/newdir" ] || fail "newdir was not created"
[ "$(ls "$fs/outside")" = "secret.txt" ] || fail "something was created outside: $(ls "$fs/outside")"
[ "$(cat "$fs/outside/secret.txt")" = "secret" ] || fail "outside/secret.txt changed"
expect_status 1 run "$BUILD/files.wasm"
expect_contains "$TMP/out" "read in.txt: errno=76 (Capabilities insufficient)"

# --invoke on a component export: the string crosses the canonical ABI.
# Results print in WAVE, as Wasmtime prints them; arguments are WAVE values
# (a bare string is taken as is) or a whole WAVE call.
expect_status 0 run --invoke greet "$BUILD/greeter-c.wasm" "wörld ✓"
expect_output '"Hello, wörld ✓!"'
expect_status 0 run --invoke 'greet("tab\there \u{2713}")' "$BUILD/greeter-c.wasm"
expect_output '"Hello, tab\there ✓!"'
expect_status 2 run --invoke 'greet(1)' "$BUILD/greeter-c.wasm"
expect_contains "$TMP/err" "expected a string"
expect_status 2 run --invoke 'greet("a", "b")' "$BUILD/greeter-c.wasm"
expect_status 2 run --invoke 'greet("a"' "$BUILD/greeter-c.wasm"
expect_status 2 run --invoke greet "$BUILD/greeter-c.wasm"
expect_status 2 run --invoke nope "$BUILD/greeter-c.wasm"

# A JavaScript component (componentize-js: SpiderMonkey inside, 12 MB),
# built from tests/component/guests/js/greeter (cached by input hash).
timeout 580 "$ROOT/scripts/componentize" --disable all "$GUESTS/js/greeter/greeter.js" \
  "$GUESTS/wit/greeter" greeter "$BUILD/greeter-js.wasm" > "$TMP/build.log" 2>&1 ||
  { echo "cannot build the JS greeter: $(head -c 2000 "$TMP/build.log")" >&2; exit 2; }
expect_status 0 run --invoke greet "$BUILD/greeter-js.wasm" "wörld ✓"
expect_output '"Hello, wörld ✓!"'
long=$(head -c 100000 /dev/zero | tr '\0' 'x')
expect_status 0 run --invoke greet "$BUILD/greeter-js.wasm" "$long"
[ "$(wc -c < "$TMP/out")" = $((1 + 7 + 100000 + 1 + 1 + 1)) ] || fail "long greeting: $(wc -c < "$TMP/out") bytes"

# --timeout interrupts a component too (stdin_echo blocks on a pipe that
# never closes).
timeout 30 "$WEFT" run --timeout 300ms "$BUILD/stdin_echo.wasm" < <(sleep 20) > "$TMP/out" 2> "$TMP/err"
status=$?
[ "$status" = 124 ] || fail "--timeout on a blocked component exited $status, expected 124; stderr: $(head -c 300 "$TMP/err")"

# A malformed component is an error with its offset, not a crash.
head -c 200 "$BUILD/hello.wasm" > "$TMP/truncated.wasm"
expect_status 1 run "$TMP/truncated.wasm"
expect_contains "$TMP/err" "byte"

finish
