#!/usr/bin/env bash
# HTTP throughput: wrk against `weft up examples/hello` (WAGI), against a
# proxy-wasm handler served by weft, and against nginx serving hello's bytes;
# same run, same connections and threads. Prints requests/s and p99 latency
# for each and weft's ratios to nginx.
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
nginx_pid=""
cleanup() {
  [[ -n $weft_pid ]] && kill -TERM "$weft_pid" 2>/dev/null || true
  [[ -n $pw_pid ]] && kill -TERM "$pw_pid" 2>/dev/null || true
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

# run NAME PORT → "rps p99_ms"
run() {
  local out rps p99
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$2/")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "warning: $1 answered non-2xx responses" >&2; fi
  echo "$rps $p99"
}

echo "wrk -t$threads -c$connections -d${seconds}s, $(nproc) cores"
read -r weft_rps weft_p99 < <(run weft "$weft_port")
read -r pw_rps pw_p99 < <(run proxy-wasm "$pw_port")
read -r nginx_rps nginx_p99 < <(run nginx "$nginx_port")
printf '%-26s %12s %10s\n' "target" "requests/s" "p99"
printf '%-26s %12s %10s\n' "weft up examples/hello" "$weft_rps" "$weft_p99"
printf '%-26s %12s %10s\n' "weft proxy-wasm handler" "$pw_rps" "$pw_p99"
printf '%-26s %12s %10s\n' "nginx (hello's bytes)" "$nginx_rps" "$nginx_p99"
awk -v w="$weft_rps" -v n="$nginx_rps" 'BEGIN { printf "weft hello / nginx throughput ratio: %.3f (goal >= 0.5)\n", w / n }'
awk -v w="$pw_rps" -v n="$nginx_rps" 'BEGIN { printf "weft proxy-wasm / nginx throughput ratio: %.3f\n", w / n }'
