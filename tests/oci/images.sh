#!/usr/bin/env bash
# weft run / weft up / weft push with OCI images: layouts made by hand (tar +
# config + manifest + index, tests/oci/make_image.py), a real registry
# (Debian's docker-registry on loopback, private storage) filled by skopeo
# and by weft push; tampered blobs, missing tags, an unreachable registry,
# images without a module and hostile layers each fail with a clear error.
# usage: images.sh WEFT SOURCE_DIR
WEFT=$1
SRC=$2
# up_common's helpers for the server; common.bash's checks (its
# expect_contains FILE TEXT wins over up_common's).
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/cli/common.bash"
MAKE="python3 $SRC/tests/oci/make_image.py"
REGISTRY_PID=""
cleanup() {
  up_cleanup
  [[ -n $REGISTRY_PID ]] && kill "$REGISTRY_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
command -v docker-registry >/dev/null || { echo "docker-registry missing (scripts/setup.sh)"; exit 1; }
command -v skopeo >/dev/null || { echo "skopeo missing (scripts/setup.sh)"; exit 1; }

# The guest: prints its argv, one variable and a file of its image, tries to
# write into the image, exits 3.
cat > "$TMP/guest.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char* g = getenv("GREETING");
  printf("GREETING=%s\n", g ? g : "(unset)");
  FILE* f = fopen("/etc/motd.txt", "r");
  char buf[128];
  if (f && fgets(buf, sizeof buf, f)) printf("motd=%s", buf); else printf("motd=(none)\n");
  if (f) fclose(f);
  printf("write=%s\n", fopen("/etc/new.txt", "w") ? "allowed" : "refused");
  return 3;
}
C
"$SRC/scripts/wasm-cc" clang --target=wasm32-wasi -O2 -o "$TMP/guest.wasm" "$TMP/guest.c" ||
  { echo "cannot build the guest"; exit 1; }
echo "hello from the image" > "$TMP/motd.txt"
LAYOUT=$TMP/layout
$MAKE container "$LAYOUT" v1 --file "$TMP/guest.wasm:/bin/guest.wasm" \
  --file "$TMP/motd.txt:/etc/motd.txt" --entrypoint '["/bin/guest.wasm","fixed"]' \
  --cmd '["default"]' --env GREETING=hi

# --- an OCI layout ---------------------------------------------------------
expect_status 3 "$WEFT" run "oci:$LAYOUT:v1"
expect_output "argv[0]=/bin/guest.wasm
argv[1]=fixed
argv[2]=default
GREETING=hi
motd=hello from the image
write=refused"
# Arguments replace Cmd, --env overrides the image's Env.
expect_status 3 "$WEFT" run --env GREETING=yo "oci:$LAYOUT:v1" a b
expect_contains "$TMP/out" "argv[1]=fixed"
expect_contains "$TMP/out" "argv[2]=a"
expect_contains "$TMP/out" "argv[3]=b"
expect_contains "$TMP/out" "GREETING=yo"
# The only image of a one-image layout needs no tag.
$MAKE container "$TMP/single" only --file "$TMP/guest.wasm:/g.wasm" --entrypoint '["/g.wasm"]' --plain-tar
expect_status 3 "$WEFT" run "oci:$TMP/single"
expect_contains "$TMP/out" "argv[0]=/g.wasm"
# A relative entrypoint resolves against WorkingDir.
$MAKE container "$LAYOUT" wd --file "$TMP/guest.wasm:/app/guest.wasm" --entrypoint '["guest.wasm"]' --workdir /app
expect_status 3 "$WEFT" run "oci:$LAYOUT:wd"
expect_status 1 "$WEFT" run "oci:$LAYOUT:nope"
expect_contains "$TMP/err" 'no image tagged "nope"'
expect_contains "$TMP/err" "tags: v1"
expect_status 1 "$WEFT" run "oci:$TMP/missing-dir:v1"
expect_contains "$TMP/err" "no such directory"
expect_status 1 "$WEFT" run "docker://localhost:5000/Upper/case"
expect_contains "$TMP/err" "invalid repository name"
expect_status 1 "$WEFT" run "docker://localhost:99999999/x"
expect_contains "$TMP/err" "invalid registry host"

# A tampered blob in a layout: refused before use.
cp -r "$LAYOUT" "$TMP/tampered"
layer=$(python3 -c "
import json,sys
idx=json.load(open('$TMP/tampered/index.json'))
d=[m for m in idx['manifests'] if m['annotations']['org.opencontainers.image.ref.name']=='v1'][0]['digest'].split(':')[1]
print(json.load(open('$TMP/tampered/blobs/sha256/'+d))['layers'][0]['digest'].split(':')[1])")
printf 'X' | dd of="$TMP/tampered/blobs/sha256/$layer" bs=1 seek=100 conv=notrunc 2>/dev/null
WEFT_CACHE=$TMP/cache-tampered expect_status 1 "$WEFT" run "oci:$TMP/tampered:v1"
expect_contains "$TMP/err" "digest mismatch"

# --- images without a module ----------------------------------------------
printf '#!/bin/sh\necho hi\n' > "$TMP/sh"
$MAKE container "$LAYOUT" shell --file "$TMP/sh:/bin/sh" --entrypoint '["/bin/sh"]'
expect_status 1 "$WEFT" run "oci:$LAYOUT:shell"
expect_contains "$TMP/err" '"/bin/sh" is not a WebAssembly module'
$MAKE container "$LAYOUT" empty --file "$TMP/motd.txt:/etc/motd.txt"
expect_status 1 "$WEFT" run "oci:$LAYOUT:empty"
expect_contains "$TMP/err" "no Entrypoint or Cmd names a .wasm module"
$MAKE artifact "$LAYOUT" notes --file "$TMP/motd.txt:weft.toml"
expect_status 1 "$WEFT" run "oci:$LAYOUT:notes"
expect_contains "$TMP/err" "no application/wasm layer"

# --- hostile layers: refused, nothing written outside the cache -------------
rm -f /tmp/weft-escape-absolute /tmp/weft-escape-dotdot
for kind in absolute dotdot symlink-out absolute-symlink through-link device hardlink-out bomb; do
  $MAKE hostile "$TMP/hostile" "$kind" "$kind"
  WEFT_OCI_MAX_UNPACK_MB=16 expect_status 1 "$WEFT" run "oci:$TMP/hostile:$kind"
  case $kind in
    absolute) expect_contains "$TMP/err" "an absolute path" ;;
    dotdot) expect_contains "$TMP/err" 'a path with ".."' ;;
    symlink-out | absolute-symlink) expect_contains "$TMP/err" "outside the image" ;;
    through-link) expect_contains "$TMP/err" 'written through the symbolic link "d"' ;;
    device) expect_contains "$TMP/err" "a device, FIFO or socket" ;;
    hardlink-out) expect_contains "$TMP/err" "a hard link to" ;;
    bomb) expect_contains "$TMP/err" "larger than 16 MiB unpacked" ;;
  esac
done
rm -f /tmp/weft-escape-climb
for kind in link-climb skip-bomb link-over-wasm; do
  $MAKE hostile "$TMP/hostile" "$kind" "$kind"
  WEFT_OCI_MAX_UNPACK_MB=16 expect_status 1 "$WEFT" run "oci:$TMP/hostile:$kind"
  case $kind in
    link-climb) expect_contains "$TMP/err" '"module.wasm": a symbolic link to' ;;
    skip-bomb) expect_contains "$TMP/err" "larger than 16 MiB unpacked" ;;
    link-over-wasm) expect_contains "$TMP/err" "outside the image" ;;
  esac
done
[[ ! -e /tmp/weft-escape-absolute && ! -e /tmp/weft-escape-dotdot && ! -e /tmp/weft-escape-climb ]] ||
  fail "a layer wrote outside the cache"
# Whiteouts apply to lower layers only.
$MAKE hostile "$TMP/hostile" opaque-order opaque-order
WEFT_CACHE=$TMP/cache-opaque "$WEFT" run "oci:$TMP/hostile:opaque-order" >/dev/null 2>&1
tree=$(echo "$TMP"/cache-opaque/oci/images/*/rootfs)
[[ -f $tree/d/keep && ! -e $tree/d/lower ]] || fail "opaque whiteout: $(ls -R "$tree/d" 2>&1)"
# An image's weft.toml may not grant the host's directories.
$MAKE hostile "$TMP/hostile" toml-grant toml-grant
expect_status 1 "$WEFT" up "oci:$TMP/hostile:toml-grant"
expect_contains "$TMP/err" "is outside the image"
leftovers=$(find "$WEFT_CACHE/oci/images" -mindepth 1 -maxdepth 1 -name '.tmp-*' 2>/dev/null | wc -l)
[[ $leftovers == 0 ]] || fail "$leftovers half-unpacked image(s) left in the cache"

# --- a registry -------------------------------------------------------------
mkdir -p "$TMP/registry"
for _attempt in 1 2 3; do
  PORT=$(up_pick_port) || fail "no free port"
  cat > "$TMP/registry/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $TMP/registry/data
http:
  addr: 127.0.0.1:$PORT
log:
  level: error
  accesslog:
    disabled: true
YML
  docker-registry serve "$TMP/registry/config.yml" > "$TMP/registry/log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break 2
    kill -0 "$REGISTRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$REGISTRY_PID" 2>/dev/null; REGISTRY_PID=""
done
[[ -n $REGISTRY_PID ]] || { cat "$TMP/registry/log"; echo "FAIL: docker-registry did not start"; exit 1; }
REG=127.0.0.1:$PORT
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$REG/team/guest:v1" ||
  fail "skopeo copy to the registry"

export WEFT_CACHE=$TMP/cache-registry
expect_status 3 "$WEFT" run "docker://$REG/team/guest:v1" x
expect_contains "$TMP/out" "argv[2]=x"
expect_contains "$TMP/out" "motd=hello from the image"
expect_contains "$TMP/err" "weft: pulling"
digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/team/guest:v1")
expect_status 3 "$WEFT" run "docker://$REG/team/guest@$digest"
expect_status 1 "$WEFT" run "docker://$REG/team/guest:missing"
expect_contains "$TMP/err" 'no manifest "missing"'
expect_status 1 "$WEFT" run "docker://$REG/team/nothing:v1"
expect_contains "$TMP/err" "no manifest"

# weft push: a module, then an app that weft up serves from the registry.
expect_status 0 "$WEFT" push "$TMP/guest.wasm" "docker://$REG/solo/guest:v2"
expect_contains "$TMP/out" "docker://$REG/solo/guest@sha256:"
expect_status 3 "$WEFT" run "docker://$REG/solo/guest:v2" a
expect_contains "$TMP/out" "argv[0]=guest.wasm"
expect_contains "$TMP/out" "argv[1]=a"
[[ -f $SRC/examples/hello/hello.wasm ]] || fail "examples/hello/hello.wasm not built"
expect_status 0 "$WEFT" push "$SRC/examples/hello" "docker://$REG/apps/hello:1.0"
up_start "$WEFT" "docker://$REG/apps/hello:1.0" "$TMP/up.log"
body=$(curl -sS --max-time 10 "$(up_url /from/registry)")
[[ $body == "Hello from weft! (path: /from/registry)" ]] || fail "weft up docker://: got '$body'"
up_stop
expect_status 1 "$WEFT" up "docker://$REG/team/guest:v1"
expect_contains "$TMP/err" "holds no weft.toml"
expect_status 1 "$WEFT" push "$TMP/guest.wasm" "docker://$REG/solo/guest@$digest"
expect_contains "$TMP/err" "push to a tag"

# A blob tampered with in the registry's storage: refused by a fresh cache.
wasm_digest=$(skopeo inspect --tls-verify=false --raw "docker://$REG/solo/guest:v2" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"].split(":")[1])')
blob=$TMP/registry/data/docker/registry/v2/blobs/sha256/${wasm_digest:0:2}/$wasm_digest/data
[[ -f $blob ]] || fail "no layer blob $wasm_digest in the registry storage"
printf 'X' | dd of="$blob" bs=1 seek=50 conv=notrunc 2>/dev/null
WEFT_CACHE=$TMP/cache-fresh expect_status 1 "$WEFT" run "docker://$REG/solo/guest:v2"
expect_contains "$TMP/err" "digest mismatch"

# The registry gone: what was pulled runs from the cache, by tag and by digest.
kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null; REGISTRY_PID=""
expect_status 3 "$WEFT" run "docker://$REG/team/guest:v1"
expect_contains "$TMP/err" "using sha256:"
expect_status 3 "$WEFT" run "docker://$REG/team/guest@$digest"
WEFT_CACHE=$TMP/cache-empty expect_status 1 "$WEFT" run "docker://$REG/team/guest:v1"
expect_contains "$TMP/err" "unreachable"
finish
