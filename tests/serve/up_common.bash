# Helpers for the `weft up` end-to-end tests (tests/cli/up_*.sh), sourced,
# not run. Every wait is bounded; the server is always killed on exit.

UP_PID=""
UP_PORT=""
UP_LOG=""

up_fail() {
  echo "FAIL: $*" >&2
  if [[ -n "$UP_LOG" && -f "$UP_LOG" ]]; then
    echo "--- server log ---" >&2
    tail -n 50 "$UP_LOG" >&2
  fi
  exit 1
}

up_cleanup() {
  if [[ -n "$UP_PID" ]] && kill -0 "$UP_PID" 2>/dev/null; then
    kill -TERM "$UP_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$UP_PID" 2>/dev/null || true
  fi
  UP_PID=""
}

# A port nobody is listening on (bash's /dev/tcp connect fails).
up_pick_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# up_start WEFT TARGET LOG [extra args...]: starts `weft up` on a free port
# and waits (at most 20 s) until it accepts connections.
up_start() {
  local weft=$1 target=$2 log=$3
  shift 3
  UP_LOG=$log
  for _attempt in 1 2 3; do
    UP_PORT=$(up_pick_port) || up_fail "no free port"
    "$weft" up "$target" --listen "127.0.0.1:$UP_PORT" "$@" >"$log" 2>&1 &
    UP_PID=$!
    for _ in $(seq 1 200); do
      if ! kill -0 "$UP_PID" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$UP_PORT") 2>/dev/null; then return 0; fi
      sleep 0.1
    done
    if kill -0 "$UP_PID" 2>/dev/null; then up_fail "server did not start listening in 20 s"; fi
    wait "$UP_PID" 2>/dev/null || true
    UP_PID=""
    grep -q "cannot listen" "$log" || up_fail "server exited at startup"
  done
  up_fail "could not bind a port"
}

# up_stop: SIGTERM, expect exit status 0 within 10 s.
up_stop() {
  kill -TERM "$UP_PID"
  for _ in $(seq 1 100); do
    kill -0 "$UP_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$UP_PID" 2>/dev/null && up_fail "server still running 10 s after SIGTERM"
  local rc=0
  wait "$UP_PID" || rc=$?
  UP_PID=""
  [[ $rc -eq 0 ]] || up_fail "server exited with $rc after SIGTERM"
}

up_url() { echo "http://127.0.0.1:$UP_PORT$1"; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  [[ "$2" == "$3" ]] || up_fail "$1: expected '$3', got '$2'"
}
expect_contains() {
  [[ "$2" == *"$3"* ]] || up_fail "$1: expected to contain '$3', got '$2'"
}

# Compiles a test guest (C) to wasm: up_guest SRC OUT (scripts/wasm-cc: the
# result does not depend on whether wasm-opt is on PATH).
UP_WASM_CC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/wasm-cc"
up_guest() {
  "$UP_WASM_CC" clang --target=wasm32-wasi -O1 -o "$2" "$1" || up_fail "cannot compile $1"
}
