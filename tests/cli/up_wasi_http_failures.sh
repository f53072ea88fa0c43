#!/usr/bin/env bash
# e2e: misbehaving wasi:http guests (tests/serve/wasi_http_guests) under
# `weft up`: each mistake answers its own request (500, 504, or a cut-off
# body on a closed connection), is logged with the service's name, and the
# server keeps serving; 1000 requests that trap mid-body leave the fd count
# and RSS flat.
set -euo pipefail
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
work=$(mktemp -d)
trap 'up_cleanup; rm -rf "$work"' EXIT
expect_eq() { [[ "$2" == "$3" ]] || up_fail "$1: got '$2', expected '$3'"; }
timeout 600 "$SRC/tests/serve/wasi_http_guests/build.sh" "$work" > "$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; up_fail "cannot build the guests"; }

{
  echo '[[route]]'
  echo 'path = "/ok"'
  echo 'service = "bad_headers"'
  for g in trap_mid_body no_outparam over_content_length bad_headers write_after_finish loop_forever stateful \
    stateful_reuse; do
    printf '[[route]]\npath = "/%s/..."\nservice = "%s"\n' "$g" "$g"
  done
  for g in trap_mid_body no_outparam over_content_length bad_headers write_after_finish loop_forever stateful; do
    printf '[service.%s]\nsource = "%s.wasm"\nexecutor = "wasi-http"\ntimeout_ms = 500\n' "$g" "$g"
  done
  printf '[service.stateful_reuse]\nsource = "stateful.wasm"\nexecutor = "wasi-http"\ninstance_reuse = 3\n'
} > "$work/weft.toml"
up_start "$WEFT" "$work" "$work/server.log"
PID=$UP_PID

status() { curl -sS --max-time 10 -o "$work/body" -w '%{http_code}' "$(up_url "$1")" 2>"$work/curl.err" || true; }

# Before the head: 500. After it: the body is cut off (no final chunk).
expect_eq "trap before the response" "$(status /trap_mid_body/early)" "500"
if curl -sS --max-time 10 -o "$work/cut" "$(up_url /trap_mid_body/)" 2>"$work/curl.err"; then
  up_fail "a body cut off by a trap was taken for whole: $(cat "$work/cut")"
fi
grep -q "partial body" "$work/cut" || up_fail "the bytes before the trap did not arrive"
grep -q 'trap_mid_body' "$work/server.log" || up_fail "no log line names the service"

expect_eq "no outparam" "$(status /no_outparam/)" "500"
grep -q "without setting the response-outparam" "$work/body" || up_fail "no-outparam body: $(cat "$work/body")"

# Content-length 5, 10 bytes written: never more than 5 bytes, no reuse.
: > "$work/over"
curl -sS --max-time 10 -o "$work/over" "$(up_url /over_content_length/)" 2>/dev/null || true
size=$(stat -c %s "$work/over")
(( size <= 5 )) || up_fail "over_content_length delivered $size bytes"

# Header mistakes get the spec's errors, reported by the guest.
expect_eq "bad headers" "$(status /bad_headers/)" "200"
for line in "name-with-space: invalid-syntax" "name-empty: invalid-syntax" "value-crlf: invalid-syntax" \
  "value-nul: invalid-syntax" "forbidden-connection: forbidden" "immutable-request-headers: immutable" \
  "good: ok"; do
  grep -q "^$line" "$work/body" || up_fail "bad_headers: no '$line' in: $(cat "$work/body")"
done

# Finishing a body whose stream is alive traps: the response is cut off.
if curl -sS --max-time 10 -o /dev/null "$(up_url /write_after_finish/alive)" 2>/dev/null; then
  up_fail "finish with a live stream gave a whole response"
fi
curl -sS --max-time 10 -o "$work/stale" "$(up_url /write_after_finish/stale)" 2>/dev/null || true
grep -q "before finish" "$work/stale" || up_fail "stale: the finished body did not arrive"

# A guest that never returns: 504 at the deadline, or cut off after its head.
expect_eq "loop forever" "$(status /loop_forever/)" "504"
if curl -sS --max-time 10 -o "$work/loop" "$(up_url /loop_forever/after-headers)" 2>/dev/null; then
  up_fail "a looping guest's response was taken for whole"
fi
grep -q "first chunk" "$work/loop" || up_fail "after-headers: the first chunk did not arrive"

# Every request sees a fresh instance, though weft restores instances
# rather than making new ones: nothing a request leaves (a static counter,
# a leaked heap block, a resource handle never dropped) reaches the next,
# nor does a request that trapped after changing them. Sequential, on one
# connection, and 40 at once.
first=$(curl -sS --max-time 10 "$(up_url /stateful/)")
[[ "$first" == count=1\ heap=*\ handle=* ]] || up_fail "stateful: $first"
for i in 1 2 3; do
  expect_eq "stateful, request $i" "$(curl -sS --max-time 10 "$(up_url /stateful/)")" "$first"
  expect_eq "stateful trap $i" "$(status /stateful/trap)" "500"
done
# (The same path each time: the path is lowered into the guest's heap, so
# its length moves the heap address.)
curl -sS --max-time 10 "$(up_url /stateful/)" "$(up_url /stateful/)" "$(up_url /stateful/)" > "$work/keepalive"
expect_eq "stateful on one connection" "$(sort -u "$work/keepalive")" "$first"
mkdir "$work/parallel-answers"
seq 1 40 | xargs -P 8 -I{} curl -sS --max-time 10 -o "$work/parallel-answers/{}" "$(up_url /stateful/)"
cat "$work"/parallel-answers/* > "$work/parallel"
expect_eq "stateful, 40 at once" "$(sort -u "$work/parallel")" "$first"
expect_eq "stateful, 40 at once: all answered" "$(wc -l < "$work/parallel")" "40"
# instance_reuse = 3 shares an instance on purpose: the state carries over
# for three requests, then a fresh instance starts again.
for want in 1 2 3 1; do
  got=$(curl -sS --max-time 10 "$(up_url /stateful_reuse/)")
  [[ "$got" == "count=$want "* ]] || up_fail "stateful_reuse: expected count=$want, got '$got'"
done

# Still serving, and 1000 traps mid-body leak nothing.
expect_eq "still serving" "$(status /ok)" "200"
fds_before=$(ls /proc/$PID/fd | wc -l)
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
for _ in $(seq 1 10); do
  urls=()
  for _ in $(seq 1 100); do urls+=("$(up_url /trap_mid_body/)"); done
  curl -sS --max-time 60 "${urls[@]}" > /dev/null 2>&1 || true
done
fds_after=$(ls /proc/$PID/fd | wc -l)
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
(( fds_after <= fds_before + 4 )) || up_fail "fds grew from $fds_before to $fds_after"
(( rss_after <= rss_before + 20000 )) || up_fail "RSS grew from ${rss_before} KiB to ${rss_after} KiB"
expect_eq "still serving after 1000 traps" "$(status /ok)" "200"
echo "fds $fds_before -> $fds_after, RSS ${rss_before} -> ${rss_after} KiB"
up_stop
echo "ok"
