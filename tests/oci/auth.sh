#!/usr/bin/env bash
# weft run docker:// against registries that want a login: a fake registry
# (tests/oci/fake_registry.py, loopback, serving a layout made by
# make_image.py) with an anonymous Bearer token, a token for Docker-config
# credentials (both JSON spellings, "token" and "access_token"), Basic auth,
# and a manifest whose Docker-Content-Digest lies. Each pull has a cache of
# its own, so every case goes to the network.
# usage: auth.sh WEFT SOURCE_DIR
WEFT=$1
SRC=$2
# up_common's helpers (up_pick_port is not needed: the registry picks its
# port); common.bash's checks (its expect_contains FILE TEXT wins).
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/cli/common.bash"
MAKE="python3 $SRC/tests/oci/make_image.py"
FAKE="$SRC/tests/oci/fake_registry.py"
REGISTRY_PIDS=()
cleanup() {
  local pid
  for pid in "${REGISTRY_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${REGISTRY_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

# The guest prints its argv and exits 3.
cat > "$TMP/guest.c" <<'C'
#include <stdio.h>
int main(int argc, char** argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  return 3;
}
C
"$SRC/scripts/wasm-cc" clang --target=wasm32-wasi -O2 -o "$TMP/guest.wasm" "$TMP/guest.c" ||
  { echo "cannot build the guest"; exit 1; }
LAYOUT=$TMP/layout
$MAKE container "$LAYOUT" v1 --file "$TMP/guest.wasm:/bin/guest.wasm" \
  --entrypoint '["/bin/guest.wasm","from-registry"]' || { echo "make_image.py failed"; exit 1; }
MANIFEST_DIGEST=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['manifests'][0]['digest'])" \
  "$LAYOUT/index.json")

# start_registry NAME ARGS... : a fake registry for $LAYOUT with ARGS; sets
# REG (127.0.0.1:PORT) and REGLOG. The port file appears once it listens.
start_registry() {
  local name=$1
  shift
  local dir=$TMP/registry-$name
  mkdir -p "$dir"
  python3 "$FAKE" "$LAYOUT" --port-file "$dir/port" --log "$dir/log" "$@" \
    > "$dir/stdout" 2> "$dir/stderr" &
  local pid=$!
  REGISTRY_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    [[ -s $dir/port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ ! -s $dir/port ]]; then
    cat "$dir/stderr" >&2
    echo "FAIL: the fake registry ($name) did not start in 10 s" >&2
    exit 1
  fi
  REG=127.0.0.1:$(cat "$dir/port")
  REGLOG=$dir/log
  touch "$REGLOG"
}

# docker_config CASE KEY USER:PASS : $TMP/docker-CASE/config.json with one
# entry, as `docker login KEY` writes it.
docker_config() {
  mkdir -p "$TMP/docker-$1"
  local auth
  auth=$(printf '%s' "$3" | base64 -w0)
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$auth" > "$TMP/docker-$1/config.json"
}

# pull CASE WANT_STATUS REF [ARGS...] : weft run REF with the cache
# $TMP/cache-CASE and the Docker config dir $TMP/docker-CASE (which need not
# exist: then no credentials, and never the user's own ~/.docker). At most
# 60 s.
pull() {
  local case=$1 want=$2
  shift 2
  WEFT_CACHE=$TMP/cache-$case DOCKER_CONFIG=$TMP/docker-$case \
    expect_status "$want" timeout -k 5 60 "$WEFT" run "$@"
}

# The guest ran, from the image.
expect_ran() {
  expect_contains "$TMP/out" "argv[0]=/bin/guest.wasm"
  expect_contains "$TMP/out" "argv[1]=from-registry"
}

# expect_log REGEX : a request line of the registry's log matches.
expect_log() {
  grep -qE -- "$1" "$REGLOG" || fail "no request matching '$1' in the registry's log: $(cat "$REGLOG")"
}
expect_no_log() {
  if grep -qE -- "$1" "$REGLOG"; then
    fail "a request matches '$1' in the registry's log: $(grep -E -- "$1" "$REGLOG")"
  fi
}

# Nothing of the image stored in a cache (a refused pull leaves none).
expect_nothing_cached() {
  local n
  n=$(find "$TMP/cache-$1/oci/images" "$TMP/cache-$1/oci/tags" -mindepth 1 2>/dev/null | wc -l)
  [[ $n == 0 ]] || fail "case $1: $n file(s) in the image cache after a refused pull"
}

REPO=auth/guest

# --- control: no auth at all -------------------------------------------------
start_registry open --auth none
pull open 3 "docker://$REG/$REPO:v1"
expect_ran
expect_contains "$TMP/err" "weft: pulling"
expect_log "^GET /v2/$REPO/manifests/v1 auth=none 200$"
expect_log "^GET /v2/$REPO/blobs/sha256:[0-9a-f]{64} auth=none 200$"

# --- Bearer, anonymous: the token endpoint gives a token to anyone ------------
start_registry bearer-anon --auth bearer
pull bearer-anon 3 "docker://$REG/$REPO:v1" x
expect_ran
expect_contains "$TMP/out" "argv[2]=x"
expect_log "^GET /v2/$REPO/manifests/v1 auth=none 401$"
# The fake answers 200 only for service=fake and a pull scope for the repo.
expect_log "^GET /token\?[^ ]*service=fake[^ ]* auth=none 200$"
expect_log "^GET /v2/$REPO/manifests/v1 auth=bearer:ok 200$"
expect_log "^GET /v2/$REPO/blobs/sha256:[0-9a-f]{64} auth=bearer:ok 200$"
expect_no_log "auth=bearer:bad"
expect_no_log " 5[0-9][0-9]$"
# By digest too (a fresh cache: the manifest is not known yet).
pull bearer-anon-digest 3 "docker://$REG/$REPO@$MANIFEST_DIGEST"
expect_ran
expect_log "^GET /v2/$REPO/manifests/$MANIFEST_DIGEST auth=bearer:ok 200$"

# The other spelling of the answer: {"access_token": ...} (OAuth2's).
start_registry bearer-access --auth bearer --token-key access_token
pull bearer-access 3 "docker://$REG/$REPO:v1"
expect_ran
expect_log "^GET /token\?[^ ]* auth=none 200$"
expect_log "^GET /v2/$REPO/blobs/sha256:[0-9a-f]{64} auth=bearer:ok 200$"

# --- Bearer, the token only for credentials ---------------------------------
start_registry bearer-login --auth bearer --user alice:wonder-land
docker_config bearer-login "$REG" alice:wonder-land
pull bearer-login 3 "docker://$REG/$REPO:v1"
expect_ran
expect_log "^GET /token\?[^ ]* auth=basic:alice 200$"
expect_log "^GET /v2/$REPO/manifests/v1 auth=bearer:ok 200$"
# Never the password to the registry itself: only to the token endpoint.
expect_no_log "^[A-Z]+ /v2/[^ ]* auth=basic"
# Without credentials: the token endpoint's 401, named as such.
pull bearer-nologin 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "token request to http://$REG/token"
expect_contains "$TMP/err" "HTTP 401"
expect_log "^GET /token\?[^ ]* auth=none 401$"
expect_nothing_cached bearer-nologin
# With the wrong password: the same.
docker_config bearer-wrong "$REG" alice:not-it
pull bearer-wrong 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "token request to http://$REG/token"
expect_contains "$TMP/err" "HTTP 401"
expect_nothing_cached bearer-wrong

# --- Basic -------------------------------------------------------------------
start_registry basic --auth basic --user bob:build-it
docker_config basic "$REG" bob:build-it
pull basic 3 "docker://$REG/$REPO:v1"
expect_ran
expect_log "^GET /v2/$REPO/manifests/v1 auth=none 401$"
expect_log "^GET /v2/$REPO/manifests/v1 auth=basic:bob 200$"
expect_log "^GET /v2/$REPO/blobs/sha256:[0-9a-f]{64} auth=basic:bob 200$"
# The config's key may carry a scheme, as older `docker login`s wrote it.
docker_config basic-scheme "http://$REG" bob:build-it
pull basic-scheme 3 "docker://$REG/$REPO:v1"
expect_ran
# Without credentials: the error says where they would come from.
pull basic-nologin 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "registry $REG asks for a login"
expect_contains "$TMP/err" "Docker config"
expect_nothing_cached basic-nologin
# Credentials for another registry do not count.
docker_config basic-other "127.0.0.1:1" bob:build-it
pull basic-other 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "Docker config"
# The wrong password: refused, the registry's 401 reported.
docker_config basic-wrong "$REG" bob:not-it
pull basic-wrong 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "401"
expect_nothing_cached basic-wrong

# --- a manifest whose Docker-Content-Digest lies --------------------------------
start_registry tamper --auth none --tamper-manifest
pull tamper 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "digest mismatch"
expect_contains "$TMP/err" "tampered manifest"
expect_nothing_cached tamper
expect_no_log "/blobs/"
# By digest: the body matches the digest asked for, the header still lies.
pull tamper-digest 1 "docker://$REG/$REPO@$MANIFEST_DIGEST"
expect_contains "$TMP/err" "digest mismatch"
expect_nothing_cached tamper-digest
# ... and behind a Bearer login as well.
start_registry tamper-bearer --auth bearer --tamper-manifest
pull tamper-bearer 1 "docker://$REG/$REPO:v1"
expect_contains "$TMP/err" "digest mismatch"
expect_log "^GET /v2/$REPO/manifests/v1 auth=bearer:ok 200$"
finish
