#!/usr/bin/env bash
# Component fixtures, pinned by the reference implementation: builds every
# guest in tests/component/guests (C through scripts/make-component, JS
# through scripts/componentize) and checks what jco 1.35 does with each.
#
# The command cases go through host_run, which takes `weft run`-style flags
# (--dir HOST::GUEST, --env NAME=VALUE): today it drives jco; the same cases
# are meant to drive `weft run` (and the HTTP one `weft up`) once weft runs
# components, with the host-specific expectations (argv[0], a trap's status,
# errnos) marked where they are checked.
source "$(dirname "$0")/common.bash"
set -euo pipefail

ROOT=$SOURCE_DIR
GUESTS="$ROOT/tests/component/guests"
JCO="$ROOT/scripts/jco"
BUILD="$TMP/fixtures"
mkdir -p "$BUILD"

for tool in "$JCO" "$ROOT/scripts/make-component" "$ROOT/scripts/componentize"; do
  [ -x "$tool" ] || { echo "missing $tool" >&2; exit 2; }
done
command -v curl > /dev/null || { echo "curl is needed" >&2; exit 2; }

# ------------------------------------------------------------------ build
for guest in hello args_env files exit_code trap stdin_echo; do
  timeout 300 "$ROOT/scripts/make-component" --command "$GUESTS/$guest.c" "$BUILD/$guest.wasm" ||
    { echo "cannot build $guest.c" >&2; exit 2; }
done
# The greeter world twice, both importing nothing, so that a host needs only
# the canonical ABI to run them: from C with the ABI written by hand (57 KB),
# and from JS, where --disable all drops the engine's WASI imports (12 MB,
# most of it SpiderMonkey).
timeout 300 "$ROOT/scripts/make-component" --reactor --wit "$GUESTS/wit/greeter" --world greeter \
  "$GUESTS/greeter.c" "$BUILD/greeter-c.wasm" || { echo "cannot build greeter.c" >&2; exit 2; }
timeout 580 "$ROOT/scripts/componentize" --disable all "$GUESTS/js/greeter/greeter.js" \
  "$GUESTS/wit/greeter" greeter "$BUILD/greeter.wasm" || { echo "cannot build greeter" >&2; exit 2; }
"$GUESTS/js/hello-http/make-wit.sh" "$TMP/hello-http-wit"
timeout 580 "$ROOT/scripts/componentize" "$GUESTS/js/hello-http/hello-http.js" "$TMP/hello-http-wit" \
  hello-http "$BUILD/hello-http.wasm" || { echo "cannot build hello-http" >&2; exit 2; }

# The worlds the fixtures promise (later tests rely on them).
world_of() { timeout 60 "$JCO" wit "$1" | grep -E '^  (import|export) ' || true; }
expect_world() {
  local got
  got=$(world_of "$BUILD/$1.wasm")
  [ "$got" = "$2" ] || fail "$1.wasm's world is:
$got
expected:
$2"
}
expect_world greeter "  export greet: func(name: string) -> string;"
expect_world greeter-c "  export greet: func(name: string) -> string;"
world_of "$BUILD/hello.wasm" > "$TMP/hello.world"
expect_contains "$TMP/hello.world" "export wasi:cli/run@0.2.12;"
world_of "$BUILD/hello-http.wasm" > "$TMP/hello-http.world"
expect_contains "$TMP/hello-http.world" "export wasi:http/incoming-handler@0.2.10;"

# ------------------------------------------------- the reference: jco run
# jco's command line grants nothing (no preopens; the whole environment of
# node leaks in): jco-grants.mjs, loaded with --jco-import, sets both from
# WEFT_JCO_GRANTS, so that the flags below mean what `weft run` means.
JCO_ARGV0_OF_ARGS_ENV="args_env"  # jco passes the file's stem
JCO_TRAP_STATUS=1                 # jco prints the RuntimeError and exits 1

json_string() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' -- "$1"; }

# host_run WASM [--dir HOST::GUEST]... [--env NAME=VALUE]... [--] ARGS...
host_run() {
  local wasm=$1 dirs="" env=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --dir)
        local host=${2%%::*} guest=${2#*::}
        dirs+="${dirs:+,}[$(json_string "$guest"),$(json_string "$host")]"
        shift 2
        ;;
      --env)
        env+="${env:+,}$(json_string "${2%%=*}"):$(json_string "${2#*=}")"
        shift 2
        ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  WEFT_JCO_GRANTS="{\"dirs\":[$dirs],\"env\":{$env}}" \
    timeout 120 "$JCO" run --jco-import "$GUESTS/jco-grants.mjs" "$wasm" "$@"
}

# check WANT_STATUS CMD... : runs CMD with stdin from $TMP/in (empty unless
# a case wrote it); stdout → $TMP/out, stderr → $TMP/err.
: > "$TMP/in"
check() {
  local want=$1 got=0
  shift
  "$@" < "$TMP/in" > "$TMP/out" 2> "$TMP/err" || got=$?
  : > "$TMP/in"
  if [ "$got" != "$want" ]; then
    fail "'$*' exited $got, expected $want; stdout: $(head -c 500 "$TMP/out") stderr: $(head -c 800 "$TMP/err")"
  fi
}

# hello
check 0 host_run "$BUILD/hello.wasm"
expect_output "hello from a component"

# args_env: arguments (dashes included) reach the guest; the environment is
# only what --env gives.
check 0 host_run "$BUILD/args_env.wasm" --env "FIXTURE_GREETING=hi there" --env FIXTURE_EMPTY= \
  -- one "two words" --flag
expect_output "argc=4
argv[0]=$JCO_ARGV0_OF_ARGS_ENV
argv[1]=one
argv[2]=two words
argv[3]=--flag
FIXTURE_GREETING=hi there
FIXTURE_EMPTY=
FIXTURE_UNSET unset
environ count=2"
export FIXTURE_GREETING=from-the-host-env
check 0 host_run "$BUILD/args_env.wasm"
unset FIXTURE_GREETING
expect_output "argc=1
argv[0]=$JCO_ARGV0_OF_ARGS_ENV
FIXTURE_GREETING unset
FIXTURE_EMPTY unset
FIXTURE_UNSET unset
environ count=0"

# exit_code: WASI 0.2's wasi:cli/exit takes result<_, _>, and the preview1
# adapter maps proc_exit(N != 0) to err: a component exits 0 or 1, whatever
# N was (exit-with-code is unstable and the adapter does not call it).
for code in 0 1 3 42 255 256; do
  want=$([ "$code" = 0 ] && echo 0 || echo 1)
  check "$want" host_run "$BUILD/exit_code.wasm" "$code"
  expect_output "exiting with $code"
done

# trap: stdout written before the trap survives; stderr names it.
check "$JCO_TRAP_STATUS" host_run "$BUILD/trap.wasm"
expect_output "before the trap"
expect_contains "$TMP/err" "unreachable"

# stdin_echo: bytes through unchanged (a NUL, no final newline), and none.
printf 'line one\nline two\0after a NUL' > "$TMP/stdin.bin"
cp "$TMP/stdin.bin" "$TMP/in"
check 0 host_run "$BUILD/stdin_echo.wasm"
cmp -s "$TMP/stdin.bin" "$TMP/out" || fail "stdin_echo changed the bytes: $(od -c "$TMP/out" | head -5)"
expect_contains "$TMP/err" "echoed 29 bytes"
check 0 host_run "$BUILD/stdin_echo.wasm"
expect_output ""
expect_contains "$TMP/err" "echoed 0 bytes"

# files: inside the grant everything works; every escape fails. The errnos
# are wasi-libc's: 63 EPERM is what jco's preview2-shim answers
# (not-permitted) for `..` and symlinks leading out; 76 ENOTCAPABLE is
# wasi-libc's own answer for a path under no preopen.
fs="$TMP/fs"
mkdir -p "$fs/data/sub" "$fs/outside"
printf 'input for files.c\n' > "$fs/data/in.txt"
printf 'nested\n' > "$fs/data/sub/nested.txt"
printf 'secret\n' > "$fs/outside/secret.txt"
ln -s ../outside/secret.txt "$fs/data/link_out"
ln -s "$fs/outside/secret.txt" "$fs/data/abs_link"
check 0 host_run "$BUILD/files.wasm" --dir "$fs/data::/data"
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
# The guest path is the grant's, not the host's: /data works from any host dir.
mkdir -p "$fs/other"
printf 'input for files.c\n' > "$fs/other/in.txt"
check 0 host_run "$BUILD/files.wasm" --dir "$fs/other::/data"
expect_contains "$TMP/out" "read in.txt: input for files.c"
[ -f "$fs/other/out.txt" ] || fail "out.txt did not land in the granted host dir"
# Without a grant nothing is there.
check 1 host_run "$BUILD/files.wasm"
expect_contains "$TMP/out" "read in.txt: errno=76 (Capabilities insufficient)"
expect_contains "$TMP/out" "files FAILED"

# The greeters, through `jco transpile` and node: the string crosses the
# canonical ABI both ways (UTF-8, empty, and long enough to need realloc).
# jco lowers "" as (1, 0) without calling cabi_realloc, where the spec's
# lowering calls it with size 0; greeter.c copes with both.
for greeter in greeter greeter-c; do
  js="$TMP/$greeter-js"
  timeout 120 "$JCO" transpile -q "$BUILD/$greeter.wasm" -o "$js" > "$TMP/transpile.log" 2>&1 ||
    fail "jco transpile $greeter.wasm: $(head -c 2000 "$TMP/transpile.log")"
  echo '{"type": "module"}' > "$js/package.json"
  cat > "$js/call.mjs" << EOF
import { greet } from './$greeter.js';
for (const name of process.argv.slice(2)) console.log(greet(name));
console.log(greet('x'.repeat(100000)).length);
EOF
  check 0 timeout 60 node "$js/call.mjs" weft "wörld ✓" ""
  expect_output "Hello, weft!
Hello, wörld ✓!
Hello, !
100008"
done
# greeter.c frees what it is given and what it returned (cabi_post_greet):
# 100000 calls with 40 KB each way would need 4 GiB if either leaked.
cat > "$TMP/greeter-c-js/leak.mjs" << 'EOF'
import { greet } from './greeter-c.js';
const big = 'y'.repeat(40000);
for (let i = 0; i < 100000; ++i) if (greet(big).length !== 40008) throw new Error('bad length');
console.log('100000 calls ok');
EOF
check 0 timeout 120 node "$TMP/greeter-c-js/leak.mjs"
expect_output "100000 calls ok"

# hello-http, under `jco serve` on a loopback port. setsid puts jco and the
# node process it spawns in one process group, which cleanup kills whole.
# --isolate-requests instance: a fresh component instance per request, as
# weft serves them. Without it jco reuses one instance, and StarlingMonkey
# fails every request after the first ("FetchEvent#respondWith can't be
# called twice on the same event"): its fetch-event expects one request per
# instance, which is what wasmtime serve gives it too.
SERVE_PID=""
stop_serve() {
  if [ -n "$SERVE_PID" ]; then
    kill -TERM -- "-$SERVE_PID" 2> /dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVE_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVE_PID" 2> /dev/null || true
    wait "$SERVE_PID" 2> /dev/null || true
    SERVE_PID=""
  fi
}
trap 'stop_serve; rm -rf "$TMP"' EXIT
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 2; }
# --jco-dir keeps the transpiled server inside $TMP: a killed jco cannot
# clean up its own temporary directory.
setsid timeout 300 "$JCO" serve --host 127.0.0.1 --port "$port" --isolate-requests instance \
  --jco-dir "$TMP/serve-jco" \
  "$BUILD/hello-http.wasm" > "$TMP/serve.log" 2>&1 &
SERVE_PID=$!
up=0
for _ in $(seq 1 600); do
  kill -0 "$SERVE_PID" 2> /dev/null || break
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then up=1; break; fi
  sleep 0.1
done
if [ "$up" = 1 ]; then
  curl -sS --max-time 20 -D "$TMP/headers" -o "$TMP/body" "http://127.0.0.1:$port/some/path?q=1" ||
    fail "curl GET failed"
  [ "$(cat "$TMP/body")" = "hello from JS" ] || fail "GET body: $(head -c 300 "$TMP/body")"
  head -n 1 "$TMP/headers" | grep -q "^HTTP/1.1 200" || fail "GET status: $(head -n 1 "$TMP/headers")"
  tr -d '\r' < "$TMP/headers" > "$TMP/headers.txt"
  expect_contains "$TMP/headers.txt" "x-weft-fixture: hello-http"
  expect_contains "$TMP/headers.txt" "x-weft-request: GET /some/path"
  expect_contains "$TMP/headers.txt" "content-type: text/plain"
  curl -sS --max-time 20 -D "$TMP/headers" -o "$TMP/body" -d 'ignored' "http://127.0.0.1:$port/other" ||
    fail "curl POST failed"
  tr -d '\r' < "$TMP/headers" > "$TMP/headers.txt"
  expect_contains "$TMP/headers.txt" "x-weft-request: POST /other"
  [ "$(cat "$TMP/body")" = "hello from JS" ] || fail "POST body: $(head -c 300 "$TMP/body")"
else
  fail "jco serve did not listen on $port within 60 s: $(head -c 2000 "$TMP/serve.log")"
fi
stop_serve

# The cache key covers every input: each change below must change it
# (checked without building; scripts/componentize documents the inputs).
key() { timeout 60 "$ROOT/scripts/componentize" --print-key "$@"; }
mkdir -p "$TMP/greeter-src"
cp -R "$GUESTS/js/greeter/greeter.js" "$TMP/greeter-src/"
cp -R "$GUESTS/wit/greeter" "$TMP/greeter-src/wit"
g="$TMP/greeter-src"
base=$(key "$g/greeter.js" "$g/wit" greeter "$TMP/unused.wasm")
[ "$(key "$g/greeter.js" "$g/wit" greeter "$TMP/other.wasm")" = "$base" ] || fail "OUT changed the key"
[ "$(key --disable all "$g/greeter.js" "$g/wit" greeter "$TMP/unused.wasm")" != "$base" ] ||
  fail "--disable did not change the key"
[ "$(key "$g/greeter.js" "$g/wit" other-world "$TMP/unused.wasm")" != "$base" ] ||
  fail "the world name did not change the key"
echo '// edited' >> "$g/greeter.js"
edited_js=$(key "$g/greeter.js" "$g/wit" greeter "$TMP/unused.wasm")
[ "$edited_js" != "$base" ] || fail "editing the JS did not change the key"
echo 'export const x = 1;' > "$g/helper.js"
[ "$(key "$g/greeter.js" "$g/wit" greeter "$TMP/unused.wasm")" != "$edited_js" ] ||
  fail "a new module beside the JS did not change the key"
rm "$g/helper.js"
echo '// edited' >> "$g/wit/world.wit"
[ "$(key "$g/greeter.js" "$g/wit" greeter "$TMP/unused.wasm")" != "$edited_js" ] ||
  fail "editing the WIT did not change the key"
[ ! -e "$TMP/unused.wasm" ] || fail "--print-key wrote OUT"

finish
