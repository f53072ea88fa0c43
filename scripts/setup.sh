#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking weft
# needs, then the pinned npm packages (fuzz/diff). Skips apt entirely when all
# of the Debian packages are already installed.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  clang lld libclang-rt-14-dev                    # fuzzing (libFuzzer) and sanitizers
  wasi-libc libclang-rt-14-dev-wasm32             # guests: clang --target=wasm32-wasi
  libc++-14-dev-wasm32 libc++abi-14-dev-wasm32    # C++ guests (examples/uppercase)
  python3                                         # tests: JWT minting, corpus tools
  rustc cargo libstd-rust-dev-wasm32              # guests: /usr/bin/rustc --target wasm32-wasi
  librust-serde-dev librust-serde-derive-dev librust-serde-json-dev  # examples/uppercase-rust
  librust-wasm-bindgen-dev                        # examples/seed-rust (wasm-bindgen 0.2.83)
  librust-regex-dev librust-aho-corasick-dev librust-memchr-dev librust-sha2-dev  # bench/rust
  wabt                                            # wast2json, wat2wasm, wasm-interp (reference)
  binaryen nodejs                                 # fuzz/diff: wasm-opt -ttf modules, V8 as the reference
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libboost-dev libfmt-dev libspdlog-dev
  libcurl4-openssl-dev                            # outbound HTTP (src/serve/outbound)
  libgoogle-perftools-dev                         # tcmalloc_minimal, the weft binary's allocator
  llvm-19-dev                                     # the optimizing tier (src/wasm/native)
  libarchive-dev libssl-dev                       # OCI images (src/oci): layers, digests
  docker-registry skopeo                          # tests/oci: a real registry, images copied into it
  libcap-dev libseccomp-dev containerd runc       # weft-oci (src/oci/runtime) and its containerd test
  python3-yaml                                    # tests/oci/deploy.sh reads the rendered Kubernetes files
  wrk nginx hyperfine                             # bench/http
)
# kubectl (tests/oci/deploy.sh renders deploy/kubernetes offline): Debian's
# kubernetes-client unless one is installed already.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  sudo=
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, pinned by their package-lock.json files: binaryen 132 for
# fuzz/diff's generator; jco 1.35.0 and componentize-js for the component
# tests (tools/jco, run through scripts/jco). `npm ci` runs only when an
# installed version differs from the locked one.
cd "$(dirname "$0")/.."
npm_version() { node -p "try { require('$1').version } catch { '' }" 2>/dev/null; }
npm_pinned() {  # DIR PACKAGE...: npm ci in DIR unless every PACKAGE is at its locked version
  local dir=$1 stale=
  shift
  for pkg in "$@"; do
    local want
    want=$(node -p "require('./$dir/package-lock.json').packages['node_modules/$pkg'].version")
    [[ "$(npm_version "./$dir/node_modules/$pkg/package.json")" == "$want" ]] || stale+=" $pkg@$want"
  done
  if [[ -n $stale ]]; then
    echo "setup: npm ci in $dir ($stale )"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "setup: npm packages present in $dir"
  fi
}
npm_pinned fuzz/diff binaryen
npm_pinned tools/jco @bytecodealliance/jco @bytecodealliance/componentize-js @bytecodealliance/preview2-shim
