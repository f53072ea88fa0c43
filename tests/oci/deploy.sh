#!/usr/bin/env bash
# deploy/: the Kubernetes files render (kubectl kustomize, no cluster) and
# hold together (the RuntimeClass's handler is the containerd runtime the
# snippet defines, selectors match their templates, the example runs under
# the RuntimeClass); containerd reads the snippet and maps the handler to
# the runc shim with weft-oci as its binary; the installer's copy of the
# snippet is the same; the node script parses.
# usage: deploy.sh WEFT SOURCE_DIR
WEFT=$1
SRC=$2
source "$SRC/tests/cli/common.bash"
DEPLOY=$SRC/deploy
command -v kubectl >/dev/null || { echo "FAIL: kubectl missing (kubernetes-client)"; exit 1; }
kubectl kustomize "$DEPLOY/kubernetes" > "$TMP/all.yaml" 2> "$TMP/kustomize.err" ||
  fail "kubectl kustomize: $(cat "$TMP/kustomize.err")"
/usr/bin/python3 - "$TMP/all.yaml" "$DEPLOY/kubernetes/containerd-weft.toml" > "$TMP/check.out" 2>&1 <<'PY' ||
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
problems = []
def need(cond, what):
    if not cond: problems.append(what)
for d in docs:
    need("apiVersion" in d and "kind" in d and d.get("metadata", {}).get("name"), f"{d.get('kind')}: apiVersion/kind/name")
rc = by.get(("RuntimeClass", "weft"))
need(rc is not None, "no RuntimeClass weft")
snippet = open(sys.argv[2]).read()
if rc:
    need(f'runtimes.{rc["handler"]}]' in snippet, f"handler {rc['handler']} not in the containerd snippet")
for kind in ("DaemonSet", "Deployment"):
    for (k, name), d in by.items():
        if k != kind: continue
        sel = d["spec"]["selector"]["matchLabels"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        need(all(labels.get(k2) == v for k2, v in sel.items()), f"{kind} {name}: selector does not match its template")
        for c in d["spec"]["template"]["spec"]["containers"]:
            need(c.get("image"), f"{kind} {name}: container {c.get('name')} has no image")
dep = by.get(("Deployment", "uppercase"))
need(dep and dep["spec"]["template"]["spec"].get("runtimeClassName") == "weft", "uppercase does not use the weft RuntimeClass")
svc = by.get(("Service", "uppercase"))
if svc and dep:
    labels = dep["spec"]["template"]["metadata"]["labels"]
    need(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service uppercase selects no uppercase pod")
    ports = {p.get("name") for c in dep["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
    need(all(p["targetPort"] in ports for p in svc["spec"]["ports"]), "Service targetPort names no container port")
ds = by.get(("DaemonSet", "weft-installer"))
cm = by.get(("ConfigMap", "weft-containerd"))
need(ds and cm, "installer DaemonSet or its ConfigMap missing")
if cm:
    need(cm["data"]["containerd-weft.toml"].strip() == "\n".join(
        l for l in snippet.splitlines() if not l.lstrip().startswith("#")).strip(),
        "the installer's ConfigMap differs from containerd-weft.toml")
if rc and ds:
    need(rc["scheduling"]["nodeSelector"].get("weft.dev/runtime") == "true", "RuntimeClass nodeSelector")
print("\n".join(problems) if problems else "consistent")
sys.exit(1 if problems else 0)
PY
  fail "$(cat "$TMP/check.out")"
# containerd reads the snippet: the handler is the runc shim running weft-oci.
if command -v containerd >/dev/null; then
  { echo 'version = 2'; cat "$DEPLOY/kubernetes/containerd-weft.toml"; } > "$TMP/config.toml"
  containerd --config "$TMP/config.toml" config dump > "$TMP/dump.toml" 2> "$TMP/dump.err" ||
    fail "containerd config dump: $(head -c 500 "$TMP/dump.err")"
  grep -A14 'runtimes.weft\]' "$TMP/dump.toml" > "$TMP/weft.toml"
  expect_contains "$TMP/weft.toml" 'runtime_type = "io.containerd.runc.v2"'
  grep -A12 'runtimes.weft.options\]' "$TMP/dump.toml" > "$TMP/options.toml"
  expect_contains "$TMP/options.toml" 'BinaryName = "/usr/local/bin/weft-oci"'
else
  fail "containerd missing (scripts/setup.sh)"
fi
sh -n "$DEPLOY/install-node.sh" || fail "install-node.sh does not parse"
for f in deploy/install-node.sh; do [[ -f $SRC/$f ]] || fail "$f (copied by deploy/Dockerfile) missing"; done
grep -q 'COPY deploy/install-node.sh' "$DEPLOY/Dockerfile" || fail "Dockerfile does not install the node script"
finish
