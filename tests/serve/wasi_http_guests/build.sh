#!/usr/bin/env bash
# build.sh OUT_DIR : builds every guest here into OUT_DIR/NAME.wasm, each a
# wasi:http 0.2.12 component on sdk/c (world.wit: the handler export only;
# the guests that print to stderr also get the preview1 adapter's wasi:cli).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: build.sh OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out=$1
mkdir -p "$out"
wit=$(mktemp -d)
trap 'rm -rf "$wit"' EXIT
"$root/sdk/c/make-wit.sh" 0.2.12 "$wit/wit" "$here/world.wit"
for src in "$here"/*.c; do
  name=$(basename "$src" .c)
  "$root/scripts/make-component" --reactor --wit "$wit/wit" --world guest "$src" "$out/$name.wasm" \
    -I"$root/sdk/c" "$root/sdk/c/wasi_http.c"
done
