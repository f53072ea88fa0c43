#!/usr/bin/env bash
# weft as containerd's runtime: Debian's containerd (started here, in a mount
# namespace of its own with private root, state, sockets and a tmpfs on
# /run/containerd, so nothing on the machine is touched) drives
# build/weft-oci through its io.containerd.runc.v2 shim, as `ctr run
# --runc-binary` does. Images are built here and `ctr image import`ed: a Wasm
# container (stdout, exit status, Env, a bind mount, the memory limit), a
# native one (handed to runc), and a weft.toml app served over HTTP, in the
# host's network and in a network namespace the bundle names; `ctr task
# kill` stops it; seccomp profiles apply to weft and so to the guest; a
# bundle weft cannot honour (a seccomp agent) fails create.
# usage: containerd.sh WEFT SOURCE_DIR   (as root)
WEFT=$1
SRC=$2
source "$SRC/tests/serve/up_common.bash"
source "$SRC/tests/cli/common.bash"
RUNTIME=$(realpath "$(dirname "$WEFT")")/weft-oci
CTD_PID=""
NS_PID=""
cleanup() {
  [[ -n $NS_PID ]] && kill "$NS_PID" 2>/dev/null
  if [[ -n $CTD_PID ]]; then
    # Containers first (their shims), then containerd.
    for id in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.5
    for id in $(ctr_ task ls -q 2>/dev/null); do ctr_ task delete -f "$id" >/dev/null 2>&1; done
    kill "$CTD_PID" 2>/dev/null
    wait "$CTD_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
[[ $(id -u) == 0 ]] || { echo "FAIL: containerd tests need root"; exit 1; }
for tool in containerd ctr runc containerd-shim-runc-v2 gcc; do
  command -v $tool >/dev/null || { echo "FAIL: $tool missing (scripts/setup.sh)"; exit 1; }
done
[[ -x $RUNTIME ]] || { echo "FAIL: $RUNTIME missing (the build makes it)"; exit 1; }

CTD=$TMP/containerd
mkdir -p "$CTD"
cat > "$CTD/config.toml" <<TOML
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD/containerd.sock"
[ttrpc]
  address = "$CTD/containerd.sock.ttrpc"
[debug]
  address = "$CTD/debug.sock"
TOML
CTR=(ctr --address "$CTD/containerd.sock")
ctr_() { "${CTR[@]}" "$@"; }
# The shim keeps its sockets under /run/containerd/s: a private tmpfs there.
unshare --mount --propagation private -- bash -c \
  "mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd && exec containerd --config '$CTD/config.toml'" \
  > "$CTD/log" 2>&1 &
CTD_PID=$!
for _ in $(seq 1 100); do
  ctr_ version >/dev/null 2>&1 && break
  kill -0 "$CTD_PID" 2>/dev/null || break
  sleep 0.1
done
ctr_ version >/dev/null 2>&1 || { tail -20 "$CTD/log"; echo "FAIL: containerd did not start"; exit 1; }
RUN=(run --rm --snapshotter native --fifo-dir "$CTD/fifo" --runc-binary "$RUNTIME" --runc-root "$CTD/runc")

# --- images -------------------------------------------------------------------
cat > "$TMP/guest.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
int main(int argc, char** argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  fflush(stdout);
  if (getenv("SLEEP")) sleep((unsigned)atoi(getenv("SLEEP")));
  printf("GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
  const char* path = getenv("READ");
  if (path) {
    FILE* f = fopen(path, "r");
    char buf[128];
    if (f && fgets(buf, sizeof buf, f)) printf("read=%s", buf); else printf("read=(none)\n");
  }
  if (getenv("MKDIR")) {
    if (mkdir(getenv("MKDIR"), 0755) == 0) printf("mkdir=ok\n");
    else printf("mkdir=failed: %s\n", strerror(errno));
  }
  if (getenv("ALLOC_MB")) {
    void* volatile block = malloc((size_t)atoi(getenv("ALLOC_MB")) << 20);  /* kept: volatile */
    printf("alloc=%s\n", block ? "ok" : "failed");
  }
  return 3;
}
C
"$SRC/scripts/wasm-cc" clang --target=wasm32-wasi -O2 -o "$TMP/guest.wasm" "$TMP/guest.c" || { echo "FAIL: guest"; exit 1; }
printf '#include <stdio.h>\nint main(int c, char** v) { printf("native %%s\\n", c > 1 ? v[1] : "-"); return 7; }\n' > "$TMP/native.c"
gcc -static -O2 -o "$TMP/native" "$TMP/native.c" || { echo "FAIL: static native program"; exit 1; }
MAKE="python3 $SRC/tests/oci/make_image.py"
L=$TMP/layout
$MAKE container "$L" wasm --platform linux/amd64 --file "$TMP/guest.wasm:/bin/guest.wasm" \
  --entrypoint '["/bin/guest.wasm","fixed"]' --env GREETING=hi
# The entrypoint an absolute symbolic link, as images often have: it names
# the module inside the root file system, not this machine's /bin.
$MAKE container "$L" linked --platform linux/amd64 --file "$TMP/guest.wasm:/bin/guest.wasm" \
  --link "/service.wasm:/bin/guest.wasm" --entrypoint '["/service.wasm"]'
$MAKE container "$L" native --platform linux/amd64 --file "$TMP/native:/native" --entrypoint '["/native","x"]'
$MAKE container "$L" app --platform linux/amd64 --file "$SRC/examples/hello/weft.toml:/app/weft.toml" \
  --file "$SRC/examples/hello/hello.wasm:/app/hello.wasm" --entrypoint '["/app/weft.toml"]'
(cd "$L" && tar -cf "$TMP/images.tar" oci-layout index.json blobs)
ctr_ image import "$TMP/images.tar" > "$TMP/import.log" 2>&1 ||
  { cat "$TMP/import.log"; fail "ctr image import"; }
img() { ctr_ images ls -q | grep ":$1\$" | head -1; }
for t in wasm linked native app; do [[ -n $(img $t) ]] || fail "image $t not imported"; done

# --- a Wasm container -----------------------------------------------------------
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" "$(img wasm)" w1
expect_output "argv[0]=/bin/guest.wasm
argv[1]=fixed
GREETING=hi"
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" "$(img linked)" l1
expect_contains "$TMP/out" "argv[0]=/service.wasm"
# Arguments, env, a read-only bind mount as a preopen, the memory limit as the guest's cap.
mkdir -p "$TMP/share" && echo "from the host" > "$TMP/share/note.txt"
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" --env READ=/data/note.txt --env ALLOC_MB=48 \
  --memory-limit 33554432 --mount "type=bind,src=$TMP/share,dst=/data,options=rbind:ro" \
  "$(img wasm)" w2 /bin/guest.wasm given
expect_contains "$TMP/out" "argv[1]=given"
expect_contains "$TMP/out" "read=from the host"
expect_contains "$TMP/out" "alloc=failed"
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" --env ALLOC_MB=48 "$(img wasm)" w3
expect_contains "$TMP/out" "alloc=ok"
# The kubelet's binds of single files (/etc/hosts...) are no preopens, not errors;
echo "127.0.0.1 localhost" > "$TMP/hosts"
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" \
  --mount "type=bind,src=$TMP/hosts,dst=/etc/hosts,options=rbind:ro" "$(img wasm)" w4
expect_contains "$TMP/out" "GREETING=hi"
# A guest stops on SIGTERM (pid 1 of its namespace needs a handler for that).
ctr_ run -d --snapshotter native --fifo-dir "$CTD/fifo" --runc-binary "$RUNTIME" --runc-root "$CTD/runc" \
  --env SLEEP=300 "$(img wasm)" w5 > /dev/null 2>&1 || fail "ctr run -d a sleeping guest"
for _ in $(seq 1 50); do ctr_ task ls | grep -q "w5.*RUNNING" && break; sleep 0.1; done
ctr_ task kill w5 || fail "ctr task kill w5"
for _ in $(seq 1 100); do ctr_ task ls | grep -q "w5.*STOPPED" && break; sleep 0.1; done
ctr_ task ls | grep -q "w5.*STOPPED" || fail "a guest did not stop on SIGTERM: $(ctr_ task ls)"
ctr_ task delete w5 > "$TMP/w5.status" 2>&1
ctr_ container delete w5 >/dev/null 2>&1

# --- a native container: runc runs it --------------------------------------------
expect_status 7 timeout 60 "${CTR[@]}" "${RUN[@]}" "$(img native)" n1
expect_output "native x"

# --- a weft.toml app: served, stopped by ctr task kill -------------------------
PORT=$(up_pick_port)
ctr_ run -d --snapshotter native --fifo-dir "$CTD/fifo" --runc-binary "$RUNTIME" --runc-root "$CTD/runc" \
  --net-host "$(img app)" a1 /app/weft.toml --listen "127.0.0.1:$PORT" > "$TMP/a1.log" 2>&1 || fail "ctr run -d app"
body=""
for _ in $(seq 1 100); do
  body=$(curl -sS --max-time 2 "http://127.0.0.1:$PORT/from/containerd" 2>/dev/null) && break
  sleep 0.1
done
[[ $body == "Hello from weft! (path: /from/containerd)" ]] || fail "app in a container answered '$body'"
"$RUNTIME" --root "$CTD/runc/default" state a1 > "$TMP/state.json" || fail "weft-oci state"
expect_contains "$TMP/state.json" '"status": "running"'
ctr_ task ls > "$TMP/tasks" && expect_contains "$TMP/tasks" "RUNNING"
ctr_ task kill a1 || fail "ctr task kill"
for _ in $(seq 1 100); do ctr_ task ls | grep -q "a1.*STOPPED" && break; sleep 0.1; done
ctr_ task ls | grep -q "a1.*STOPPED" || fail "the app did not stop on SIGTERM: $(ctr_ task ls)"
ctr_ task delete a1 >/dev/null || fail "ctr task delete"
ctr_ container delete a1 >/dev/null 2>&1
[[ ! -e $CTD/runc/default/a1 ]] || fail "weft-oci delete left its state"

# --- the pod's network: a namespace the bundle names -------------------------
unshare --net sleep 600 &
NS_PID=$!
sleep 0.2
nsenter --net="/proc/$NS_PID/ns/net" ip link set lo up || fail "lo up in the test's namespace"
PORT=$(up_pick_port)
ctr_ run -d --snapshotter native --fifo-dir "$CTD/fifo" --runc-binary "$RUNTIME" --runc-root "$CTD/runc" \
  --with-ns "network:/proc/$NS_PID/ns/net" "$(img app)" a2 /app/weft.toml --listen "127.0.0.1:$PORT" \
  > "$TMP/a2.log" 2>&1 || fail "ctr run -d app in a namespace"
body=""
for _ in $(seq 1 100); do
  body=$(nsenter --net="/proc/$NS_PID/ns/net" curl -sS --max-time 2 "http://127.0.0.1:$PORT/pod" 2>/dev/null) && break
  sleep 0.1
done
[[ $body == "Hello from weft! (path: /pod)" ]] || fail "app in the pod's namespace answered '$body'"
curl -s --max-time 2 "http://127.0.0.1:$PORT/pod" >/dev/null && fail "the app listens outside its namespace"
ctr_ task kill -s SIGKILL a2 >/dev/null
for _ in $(seq 1 100); do ctr_ task ls | grep -q "a2.*STOPPED" && break; sleep 0.1; done
ctr_ task delete a2 >/dev/null 2>&1; ctr_ container delete a2 >/dev/null 2>&1

# --- seccomp: containerd's default profile, and one that filters -------------
# weft runs under the profile (loaded before it starts, as runc loads it
# before the container's process), so the guest's WASI calls do too.
mkdir -p "$TMP/rw"
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" --seccomp --env MKDIR=/rw/made \
  --mount "type=bind,src=$TMP/rw,dst=/rw,options=rbind:rw" "$(img wasm)" s1
expect_contains "$TMP/out" "GREETING=hi"
expect_contains "$TMP/out" "mkdir=ok"
[[ -d $TMP/rw/made ]] || fail "the guest's mkdir under the default profile made nothing"
cat > "$TMP/no-mkdir.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW",
 "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
J
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" --seccomp --seccomp-profile "$TMP/no-mkdir.json" \
  --env MKDIR=/rw/denied --mount "type=bind,src=$TMP/rw,dst=/rw,options=rbind:rw" "$(img wasm)" s2
expect_contains "$TMP/out" "mkdir=failed: Operation not permitted"
[[ -e $TMP/rw/denied ]] && fail "mkdir went through a profile that denies it"
# Without no_new_privs (Kubernetes' default, allowPrivilegeEscalation) the
# profile is loaded before the init gives up root's capabilities.
expect_status 3 timeout 60 "${CTR[@]}" "${RUN[@]}" --allow-new-privs --seccomp \
  --seccomp-profile "$TMP/no-mkdir.json" --env MKDIR=/rw/denied2 \
  --mount "type=bind,src=$TMP/rw,dst=/rw,options=rbind:rw" "$(img wasm)" s4
expect_contains "$TMP/out" "mkdir=failed: Operation not permitted"
[[ -e $TMP/rw/denied2 ]] && fail "mkdir went through a profile that denies it (new privileges allowed)"
# What weft cannot honour fails create, with the reason: an agent's profile.
sed 's/"SCMP_ACT_ALLOW"/"SCMP_ACT_NOTIFY"/' "$TMP/no-mkdir.json" > "$TMP/notify.json"
expect_status 1 timeout 60 "${CTR[@]}" "${RUN[@]}" --seccomp --seccomp-profile "$TMP/notify.json" \
  "$(img wasm)" s3
expect_contains "$TMP/err" "SCMP_ACT_NOTIFY needs a seccomp agent"
ctr_ container delete s3 >/dev/null 2>&1
finish
