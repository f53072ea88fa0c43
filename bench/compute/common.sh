# shellcheck shell=bash
# Shared by run.sh and check.sh: the program list and how to build them.
# Sourced, not executed.

# Each entry: "name default-size-argument small-size-argument". The benchmark
# size is each program's built-in default (native -O2 runs ~0.3-0.5 s);
# the small size is for the correctness check.
WEFT_COMPUTE_PROGRAMS=(
  "fib 41 24"
  "sha256 96 2"
  "nbody 8000000 20000"
  "matmul 600 48"
  "json 6144 64"
)
# fib with a size small enough for wabt's wasm-interp to finish quickly.
WEFT_FIB_SMALL=32

# build_compute_programs SOURCE_DIR OUT_DIR: native (clang -O2) and wasm
# (clang --target=wasm32-wasi -O2, no SIMD) builds of every program, plus
# fib_kernel.wasm (no imports, for wasm-interp).
# The wasm builds go through scripts/wasm-cc so that they do not depend on
# whether binaryen's wasm-opt is on PATH.
WEFT_WASM_CC_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/wasm-cc"
build_compute_programs() {
  local src=$1 out=$2 entry name
  mkdir -p "$out"
  for entry in "${WEFT_COMPUTE_PROGRAMS[@]}"; do
    read -r name _ <<<"$entry"
    clang -O2 -o "$out/$name" "$src/$name.c" -lm || return 1
    # mvp-ish features wasi-libc needs; -mno-simd128 keeps SIMD out explicitly.
    "$WEFT_WASM_CC_SCRIPT" clang --target=wasm32-wasi -O2 -mno-simd128 -o "$out/$name.wasm" "$src/$name.c" -lm || return 1
  done
  "$WEFT_WASM_CC_SCRIPT" clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -DFIB_N="$WEFT_FIB_SMALL" \
    -o "$out/fib_kernel.wasm" "$src/fib_kernel.c" || return 1
}
