#!/usr/bin/env bash
# make-wit.sh VERSION OUT_DIR WIT_FILE... [--dep FILE...] : writes a WIT
# directory for a C component built on sdk/c: OUT_DIR/ holds the given world
# files (one package), OUT_DIR/deps/ the WASI 0.2 packages (http, io, clocks,
# cli, random, filesystem, sockets) at VERSION, and each --dep FILE (another
# package, e.g. an interface two components share) as deps/NAME/FILE.
#
# Keep one world in OUT_DIR: jco 1.35's `embed --world-name` does not reach
# wasm-tools (its CLI passes opts.worldName, the embed function reads
# opts.world), so a package with several worlds fails to embed.
#
# Why derived, not checked in: the WASI WIT is not this project's; jco 1.35
# (tools/jco, installed by scripts/setup.sh) ships it at 0.2.12, and other
# 0.2.x versions are that text with the version changed, as
# tests/component/guests/js/hello-http/make-wit.sh does for 0.2.10. The
# interfaces a handler uses have not changed in their types since 0.2.0
# (later releases added functions and @since gates, which jco's snapshot
# drops); the component imports only the functions the C code calls, so a
# component built at 0.2.0 is one that a 0.2.0 host can link.
#
# The world files are written against @0.2.12 and get the same replacement
# (only "@0.2.12" is touched, so example:store/kv@0.1.0 stays).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: make-wit.sh VERSION OUT_DIR WIT_FILE..." >&2; exit 2; }
version=$1 out=$2
shift 2
[[ $version =~ ^0\.2\.[0-9]+$ ]] || { echo "make-wit.sh: not a 0.2.x version: $version" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
builtin="$root/tools/jco/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12"
[ -f "$builtin/wasi-http/package.wit" ] ||
  { echo "make-wit.sh: jco's WIT is missing under $builtin; run scripts/setup.sh" >&2; exit 127; }
subst() { sed "s/@0\.2\.12\([^0-9]\)/@$version\1/g; s/@0\.2\.12\$/@$version/"; }
rm -rf "$out"
mkdir -p "$out/deps"
dep=0
for f in "$@"; do
  if [ "$f" = --dep ]; then dep=1; continue; fi
  [ -f "$f" ] || { echo "make-wit.sh: no such WIT file: $f" >&2; exit 2; }
  if [ "$dep" = 1 ]; then
    name=$(basename "$f" .wit)
    mkdir -p "$out/deps/$name"
    subst < "$f" > "$out/deps/$name/$(basename "$f")"
  else
    subst < "$f" > "$out/$(basename "$f")"
  fi
done
for pkg in "$builtin"/*/; do
  name=$(basename "$pkg")
  mkdir -p "$out/deps/$name"
  for f in "$pkg"*.wit; do subst < "$f" > "$out/deps/$name/$(basename "$f")"; done
done
if [ "$version" != 0.2.12 ] && grep -rq '@0\.2\.12' "$out"; then
  echo "make-wit.sh: a 0.2.12 reference survived" >&2
  exit 1
fi
