#!/usr/bin/env bash
# A real Rust program in both tiers: bench/rust (logscan: regex, serde_json
# and sha2 from Debian's packaged crates) built for wasm32-wasi and for this
# machine with the same crates, run side by side:
#   native            the x86-64 build
#   interp            `weft run --tier interp` (at a tenth of the lines: it
#                     is slow; its time is scaled up by ten)
#   optimized         `weft run app.cwasm` after `weft compile` (machine code
#                     from the first call, no compile in the timing)
#   auto cold / warm  `weft run` with an empty code cache, then again
# Prints each time and its ratio to native, and the compile time of `weft
# compile` in ms per MB of the module and of its code section.
#
# usage: bench/rust/run.sh BUILD_DIR
# env:   WEFT_BENCH_LINES=100000  WEFT_BENCH_RUNS=3 (best of)
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(realpath "$1")
weft=$build_dir/weft
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lines=${WEFT_BENCH_LINES:-100000}
runs=${WEFT_BENCH_RUNS:-3}
[[ -x $weft ]] || { echo "error: $weft not built" >&2; exit 2; }
for tool in /usr/bin/cargo /usr/bin/rustc; do
  [[ -x $tool ]] || { echo "error: $tool missing (scripts/setup.sh installs it)" >&2; exit 2; }
done

# Built in the build directory (cargo's own cache makes a second run quick).
work=$build_dir/bench-rust
mkdir -p "$work/src" "$work/.cargo"
cp "$src/Cargo.toml" "$work/"
cp "$src/src/main.rs" "$work/src/"
cp "$src/.cargo/config.toml" "$work/.cargo/"
rm -f "$work/Cargo.lock"
export CARGO_HOME=$work/cargo-home RUSTC=/usr/bin/rustc
(cd "$work" && /usr/bin/cargo build --offline --release --quiet --target wasm32-wasi \
  --target-dir "$work/target" && /usr/bin/cargo build --offline --release --quiet \
  --target-dir "$work/target")
wasm=$work/target/wasm32-wasi/release/logscan.wasm
native=$work/target/release/logscan

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export WEFT_CACHE=$tmp/cache

seconds() {  # seconds CMD... : wall time of one run, output checked by the caller
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$tmp/out" 2>"$tmp/err" || { echo "error: $* failed: $(head -c 400 "$tmp/err")" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
min() { printf '%s\n' "$@" | sort -g | head -1; }

want=$("$native" "$lines")
small=$((lines / 10))
want_small=$("$native" "$small")

compile_s=$(seconds "$weft" compile "$wasm" -o "$tmp/logscan.cwasm")
native_t=() interp_t=() opt_t=() cold_t=() warm_t=()
for _ in $(seq 1 "$runs"); do
  # Interleaved, so that a change in the machine's load touches every row.
  native_t+=("$(seconds "$native" "$lines")")
  interp_t+=("$(echo "$(seconds "$weft" run --tier interp "$wasm" "$small") * 10" | bc -l)")
  [[ $(cat "$tmp/out") == "$want_small" ]] || { echo "error: interp answered differently" >&2; exit 1; }
  opt_t+=("$(seconds "$weft" run "$tmp/logscan.cwasm" "$lines")")
  [[ $(cat "$tmp/out") == "$want" ]] || { echo "error: optimized answered differently" >&2; exit 1; }
  rm -rf "$WEFT_CACHE"
  cold_t+=("$(seconds "$weft" run --tier auto "$wasm" "$lines")")
  [[ $(cat "$tmp/out") == "$want" ]] || { echo "error: auto answered differently" >&2; exit 1; }
  warm_t+=("$(seconds "$weft" run --tier auto "$wasm" "$lines")")
done
n=$(min "${native_t[@]}")
module_mb=$(echo "$(stat -c %s "$wasm") / 1000000" | bc -l)
code_mb=$(echo "$("$weft" inspect "$wasm" | awk '$1 == "code" {print $7}') / 1000000" | bc -l)
echo "logscan ($lines lines): module $(printf %.2f "$module_mb") MB, code section $(printf %.2f "$code_mb") MB; $(nproc) cores; $(uptime)"
printf '%-22s %10s %10s\n' "run (best of $runs)" seconds "x native"
row() { printf '%-22s %10.3f %10.2f\n' "$1" "$2" "$(echo "$2 / $n" | bc -l)"; }
row native "$n"
row "interp (x10 of 1/10)" "$(min "${interp_t[@]}")"
row "optimized (.cwasm)" "$(min "${opt_t[@]}")"
row "auto, cold cache" "$(min "${cold_t[@]}")"
row "auto, warm cache" "$(min "${warm_t[@]}")"
printf 'weft compile: %.1f s on %s threads: %.0f ms per MB of module, %.0f ms per MB of code\n' \
  "$compile_s" "$(( $(nproc) < 4 ? $(nproc) : 4 ))" \
  "$(echo "$compile_s * 1000 / $module_mb" | bc -l)" "$(echo "$compile_s * 1000 / $code_mb" | bc -l)"
