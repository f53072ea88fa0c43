#!/bin/sh
# Runs in the installer DaemonSet (deploy/kubernetes/installer.yaml) with the
# node's root at /host: installs weft under /opt/weft, links weft-oci, adds
# the containerd snippet once, restarts containerd, labels the node.
set -eu
HOST=/host
mkdir -p "$HOST/opt/weft/bin" "$HOST/opt/weft/lib"
cp /usr/local/bin/weft "$HOST/opt/weft/bin/weft.new" && mv "$HOST/opt/weft/bin/weft.new" "$HOST/opt/weft/bin/weft"
# The shared libraries weft needs, except glibc's own (the node's, >= 2.36).
ldd /usr/local/bin/weft | awk '/=> \// {print $3}' | while read -r lib; do
  case $(basename "$lib") in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$HOST/opt/weft/lib/" ;;
  esac
done
ln -sf weft "$HOST/opt/weft/bin/weft-oci"  # weft acts as the runtime under this name
cat > "$HOST/usr/local/bin/weft-oci.new" <<'SH'
#!/bin/sh
LD_LIBRARY_PATH=/opt/weft/lib exec /opt/weft/bin/weft-oci "$@"
SH
chmod 755 "$HOST/usr/local/bin/weft-oci.new"
mv "$HOST/usr/local/bin/weft-oci.new" "$HOST/usr/local/bin/weft-oci"
config=$HOST/etc/containerd/config.toml
if ! grep -q 'runtimes.weft\]' "$config" 2>/dev/null; then
  mkdir -p "$(dirname "$config")"
  { echo; cat /etc/weft/containerd-weft.toml; } >> "$config"
  nsenter -t 1 -m -u -i -n -p -- systemctl restart containerd
fi
# weft.dev/runtime=true: the RuntimeClass's nodeSelector.
TOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)
curl -sSf --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/merge-patch+json" \
  -X PATCH "https://kubernetes.default.svc/api/v1/nodes/$NODE_NAME" \
  -d '{"metadata":{"labels":{"weft.dev/runtime":"true"}}}' >/dev/null
echo "weft installed on $NODE_NAME"
exec sleep infinity
