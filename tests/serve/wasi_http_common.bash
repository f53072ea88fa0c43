# Helpers for the wasi:http e2e tests (tests/cli/up_wasi_http_*.sh), sourced
# after up_common.bash. WEFT_HTTP_REFERENCE=jco runs the same checks against
# `jco serve` (tools/jco), the reference host, instead of `weft up`: that is
# how the guests and the tests themselves are shown right before weft's host
# exists. Every wait is bounded; servers are killed on exit.

WH_REFERENCE=${WEFT_HTTP_REFERENCE:-weft}
WH_JCO_PGID=""

wh_cleanup() {
  if [[ -n "$WH_JCO_PGID" ]]; then
    kill -TERM -- "-$WH_JCO_PGID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$WH_JCO_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$WH_JCO_PGID" 2>/dev/null || true
    wait "$WH_JCO_PGID" 2>/dev/null || true
    WH_JCO_PGID=""
  fi
  up_cleanup
}

# wh_start SRC APP_DIR WASM LOG [jco serve args...]: `weft up APP_DIR`, or
# under WEFT_HTTP_REFERENCE=jco `jco serve WASM` with the extra args, on a
# free loopback port (UP_PORT). jco gets --isolate-requests instance unless
# the args say otherwise: a fresh instance per request, as weft serves.
wh_start() {
  local src=$1 app=$2 wasm=$3 log=$4
  shift 4
  if [[ "$WH_REFERENCE" != jco ]]; then
    up_start "$WEFT" "$app" "$log"
    return
  fi
  UP_LOG=$log
  UP_PORT=$(up_pick_port) || up_fail "no free port"
  local jco_dir
  jco_dir=$(mktemp -d)
  # setsid: jco and its node children in one process group, killed whole.
  setsid timeout 900 "$src/scripts/jco" serve "$wasm" --host 127.0.0.1 --port "$UP_PORT" \
    --jco-dir "$jco_dir/out" "$@" >"$log" 2>&1 &
  WH_JCO_PGID=$!
  for _ in $(seq 1 600); do
    kill -0 "$WH_JCO_PGID" 2>/dev/null || up_fail "jco serve exited at startup"
    if (exec 3<>"/dev/tcp/127.0.0.1/$UP_PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  up_fail "jco serve did not listen within 60 s"
}

wh_stop() {
  if [[ "$WH_REFERENCE" == jco ]]; then wh_cleanup; else up_stop; fi
}

# wh_echo_sha URL MIB: POSTs MIB MiB of random bytes, streamed (never held
# in the shell or a file), and fails unless the response hashes the same.
wh_echo_sha() {
  local url=$1 mib=$2 work
  work=$(mktemp -d)
  head -c "$((mib * 1048576))" /dev/urandom |
    tee >(sha256sum | cut -d' ' -f1 >"$work/in") |
    curl -sS --max-time 300 -T - -X POST -H 'content-type: application/octet-stream' "$url" |
    sha256sum | cut -d' ' -f1 >"$work/out"
  for _ in $(seq 1 50); do [[ -s "$work/in" ]] && break; sleep 0.1; done
  local a b
  a=$(cat "$work/in") b=$(cat "$work/out")
  rm -rf "$work"
  expect_eq "sha256 of a $mib MiB echo" "$b" "$a"
}
