#!/usr/bin/env bash
# make-wit.sh OUT_DIR : writes the WIT directory that hello-http.js is built
# against: wit/world.wit plus deps/ for wasi:http@0.2.10, wasi:io@0.2.10 and
# wasi:clocks@0.2.10.
#
# Why derived: componentize-js 0.22 exports wasi:http/incoming-handler@0.2.10
# (its engine's version), but jco 1.35 ships wasi:http only as 0.2.12. jco's
# 0.2.10 set (io, clocks, sockets: the packages it feeds componentize-js 0.22
# itself) is used as is; wasi:http@0.2.10 is jco's 0.2.12 text with the
# version changed and its worlds dropped (they would pull in wasi:cli and
# wasi:random, which the handler does not use). jco's snapshot drops the
# @since annotations, so this trusts that 0.2.11 and 0.2.12 added nothing to
# these three interfaces that the handler reaches; the fixture script builds
# the result and checks it under `jco serve`, which is the evidence.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: make-wit.sh OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../../.." && pwd)"
builtin="$root/tools/jco/node_modules/@bytecodealliance/jco/lib/wit/builtin"
[ -d "$builtin/0.2.10" ] && [ -f "$builtin/0.2.12/wasi-http/package.wit" ] ||
  { echo "make-wit.sh: jco's WIT is missing under $builtin; run scripts/setup.sh" >&2; exit 127; }
out=$1
rm -rf "$out"
mkdir -p "$out/deps/wasi-http"
cp "$here/wit/world.wit" "$out/world.wit"
cp -R "$builtin/0.2.10/wasi-io" "$builtin/0.2.10/wasi-clocks" "$out/deps/"
# Top-level `world NAME {` ... `}` blocks go; interfaces stay.
awk '/^world /{skip=1} !skip{print} skip&&/^}/{skip=0}' "$builtin/0.2.12/wasi-http/package.wit" |
  sed 's/@0\.2\.12\([^0-9]\)/@0.2.10\1/g' > "$out/deps/wasi-http/package.wit"
if grep -q '0\.2\.12' "$out/deps/wasi-http/package.wit"; then
  echo "make-wit.sh: a 0.2.12 reference survived in wasi-http" >&2
  exit 1
fi
