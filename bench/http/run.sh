#!/usr/bin/env bash
# HTTP throughput: wrk against `weft up examples/hello` (WAGI), the same
# bytes from a C wasi:http component (bench/http/hello_wasi_http.c, executor
# "wasi-http"), a proxy-wasm handler, nginx serving hello's bytes, and the
# JavaScript wasi:http fixture (componentize-js, cached); same run, same
# connections and threads, the targets interleaved round by round. Prints
# requests/s and p99 for each and the ratios to nginx, then one client at a
# time (wrk -t1 -c1): p50 and p99 for WAGI, wasi:http and nginx; then
# bench_handler (one request in process, wasi:http against WAGI).
#
# usage: bench/http/run.sh BUILD_DIR        (BUILD_DIR/weft is the CLI)
# env:   WEFT_BENCH_SECONDS=5  WEFT_BENCH_CONNECTIONS=32  WEFT_BENCH_THREADS=2
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(realpath "$1")
weft=$build_dir/weft
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${WEFT_BENCH_SECONDS:-5}
connections=${WEFT_BENCH_CONNECTIONS:-32}
threads=${WEFT_BENCH_THREADS:-2}
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "error: $tool not installed" >&2; exit 2; }
done
[[ -x $weft ]] || { echo "error: $weft not built" >&2; exit 2; }
[[ -f $src/examples/hello/hello.wasm ]] || { echo "error: examples/hello not built" >&2; exit 2; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
weft_pid=""
pw_pid=""
wh_pid=""
js_pid=""
nginx_pid=""
cleanup() {
  [[ -n $weft_pid ]] && kill -TERM "$weft_pid" 2>/dev/null || true
  [[ -n $pw_pid ]] && kill -TERM "$pw_pid" 2>/dev/null || true
  [[ -n $wh_pid ]] && kill -TERM "$wh_pid" 2>/dev/null || true
  [[ -n $js_pid ]] && kill -TERM "$js_pid" 2>/dev/null || true
  [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/serve/up_common.bash
source "$src/tests/serve/up_common.bash"
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "error: nothing listening on port $1" >&2
  exit 1
}

weft_port=$(up_pick_port)
"$weft" up "$src/examples/hello" --listen "127.0.0.1:$weft_port" --quiet 2>"$work/weft.log" &
weft_pid=$!
wait_port "$weft_port"
body=$(curl -sS "http://127.0.0.1:$weft_port/")

# A proxy-wasm module as the route's handler (answers with send_local_response).
"$src/scripts/wasm-cc" clang --target=wasm32-wasi -O2 -mexec-model=reactor -I"$src/sdk/proxy_wasm" \
  "$src/tests/serve/proxy_wasm_guests/hello_handler.c" -o "$work/handler.wasm"
cat >"$work/weft.toml" <<'TOML'
[app]
name = "bench-proxy-wasm"

[[route]]
path = "/..."
service = "handler"

[service.handler]
source = "handler.wasm"
executor = "proxy-wasm"
env = { GREETING = "Hello" }
TOML
pw_port=$(up_pick_port)
"$weft" up "$work" --listen "127.0.0.1:$pw_port" --quiet 2>"$work/weft-pw.log" &
pw_pid=$!
wait_port "$pw_port"

mkdir -p "$work/wh" "$work/js"
# The same bytes as a wasi:http component (sdk/c), fresh instance per request.
"$src/sdk/c/make-wit.sh" 0.2.12 "$work/wh-wit" "$src/examples/hello-http/world.wit" >/dev/null
"$src/scripts/make-component" --reactor --wit "$work/wh-wit" --world hello-http \
  "$src/bench/http/hello_wasi_http.c" "$work/wh/hello.wasm" -I"$src/sdk/c" "$src/sdk/c/wasi_http.c" \
  -DWASI_HTTP_VERSION=0.2.12 >/dev/null
printf '[[route]]\npath = "/..."\nservice = "hello"\n[service.hello]\nsource = "hello.wasm"\nexecutor = "wasi-http"\n' \
  >"$work/wh/weft.toml"
wh_port=$(up_pick_port)
"$weft" up "$work/wh" --listen "127.0.0.1:$wh_port" --quiet 2>"$work/weft-wh.log" &
wh_pid=$!
wait_port "$wh_port"
wh_body=$(curl -sS "http://127.0.0.1:$wh_port/")
[[ "$wh_body" == "$body" ]] || { echo "error: wasi:http serves '$wh_body', WAGI '$body'" >&2; exit 1; }

# The JavaScript fixture (StarlingMonkey, 14 MB), from the componentize cache.
"$src/tests/component/guests/js/hello-http/make-wit.sh" "$work/js-wit"
js_port=""
if timeout 600 "$src/scripts/componentize" "$src/tests/component/guests/js/hello-http/hello-http.js" \
  "$work/js-wit" hello-http "$work/js/hello-http.wasm" 2>"$work/componentize.log"; then
  printf '[[route]]\npath = "/..."\nservice = "js"\n[service.js]\nsource = "hello-http.wasm"\nexecutor = "wasi-http"\n' \
    >"$work/js/weft.toml"
  js_port=$(up_pick_port)
  "$weft" up "$work/js" --listen "127.0.0.1:$js_port" --quiet 2>"$work/weft-js.log" &
  js_pid=$!
  wait_port "$js_port"
else
  echo "warning: componentize-js failed; no JavaScript figures" >&2
fi

nginx_port=$(up_pick_port)
mkdir -p "$work/nginx"
printf '%s\n' "$body" >"$work/nginx/hello.txt"
cat >"$work/nginx.conf" <<CONF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx;
    location = / {
      default_type text/plain;
      try_files /hello.txt =404;
    }
  }
}
CONF
chmod -R a+rX "$work"  # nginx workers run unprivileged
"$nginx_bin" -c "$work/nginx.conf" -p "$work" 2>"$work/nginx-start.log" &
nginx_pid=$!
wait_port "$nginx_port"
nginx_body=$(curl -sS "http://127.0.0.1:$nginx_port/")
[[ "$nginx_body" == "$body" ]] || { echo "error: nginx serves '$nginx_body', weft '$body'" >&2; exit 1; }

# run NAME PORT [threads connections] → "rps p50_ms p99_ms"
run() {
  local out rps p50 p99
  out=$(wrk -t"${3:-$threads}" -c"${4:-$connections}" -d"${seconds}s" --latency "http://127.0.0.1:$2/")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "warning: $1 answered non-2xx responses" >&2; fi
  echo "$rps $p50 $p99"
}
# wrk prints 75.00us / 1.20ms; → microseconds.
us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /[0-9]s$/) n *= 1000000; printf "%.0f", n }'; }

rounds=${WEFT_BENCH_ROUNDS:-3}
targets=(wagi:$weft_port wasi-http:$wh_port proxy-wasm:$pw_port nginx:$nginx_port)
[[ -n $js_port ]] && targets+=(js:$js_port)
echo "wrk -t$threads -c$connections -d${seconds}s, $(nproc) cores, $rounds interleaved rounds; $(uptime)"
declare -A best_rps best_p99
for _ in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    read -r rps p50 p99 < <(run "${t%%:*}" "${t##*:}")
    name=${t%%:*}
    if [[ -z ${best_rps[$name]:-} ]] || awk -v a="$rps" -v b="${best_rps[$name]}" 'BEGIN { exit !(a > b) }'; then
      best_rps[$name]=$rps
      best_p99[$name]=$p99
    fi
  done
done
printf '%-34s %12s %10s\n' "target (best of $rounds)" "requests/s" "p99"
for t in "${targets[@]}"; do
  name=${t%%:*}
  printf '%-34s %12s %10s\n' "$name" "${best_rps[$name]}" "${best_p99[$name]}"
done
for name in wagi wasi-http proxy-wasm js; do
  [[ -n ${best_rps[$name]:-} ]] || continue
  awk -v w="${best_rps[$name]}" -v n="${best_rps[nginx]}" -v x="$name" \
    'BEGIN { printf "%s / nginx throughput ratio: %.3f\n", x, w / n }'
done
echo "(goals: wasi-http >= 0.6x nginx)"

echo
echo "one client (wrk -t1 -c1 --latency), $rounds interleaved rounds:"
declare -A p50s p99s
for _ in $(seq 1 "$rounds"); do
  for t in wagi:$weft_port wasi-http:$wh_port nginx:$nginx_port ${js_port:+js:$js_port}; do
    read -r rps p50 p99 < <(run "${t%%:*}" "${t##*:}" 1 1)
    p50s[${t%%:*}]+="$(us "$p50") "
    p99s[${t%%:*}]+="$(us "$p99") "
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
n50=$(median "${p50s[nginx]}")
n99=$(median "${p99s[nginx]}")
printf '%-12s %10s %10s %10s %10s\n' "target" "p50 us" "p99 us" "p50/nginx" "p99/nginx"
for name in wagi wasi-http nginx js; do
  [[ -n ${p50s[$name]:-} ]] || continue
  a=$(median "${p50s[$name]}")
  b=$(median "${p99s[$name]}")
  awk -v x="$name" -v a="$a" -v b="$b" -v n50="$n50" -v n99="$n99" \
    'BEGIN { printf "%-12s %10d %10d %10.2f %10.2f\n", x, a, b, a / n50, b / n99 }'
done
echo "(goals: p50 <= 1.5x nginx, p99 <= 2x nginx)"

# One request in process, no network: wasi:http against WAGI on the same bytes.
if [[ -x $build_dir/bench_handler ]]; then
  echo
  "$build_dir/bench_handler" "$work/wh/hello.wasm" "$src/examples/hello/hello.wasm" 20000
fi
