#!/usr/bin/env bash
# Decode + validate throughput on a large real module: StarlingMonkey (the
# SpiderMonkey-based JS runtime that componentize-js embeds), a ~10 MB core
# module with 12.5k functions (features: bulk-memory, reference-types,
# multi-value, sign-ext, nontrapping-fptoint, extended-const; no SIMD).
# Times `weft validate` and wabt's `wasm-validate` (best of N) and prints
# MB/s for each and their ratio.
#
# usage: bench/validate/run.sh BUILD_DIR [MODULE.wasm]
# env:   WEFT_BENCH_RUNS=3
#        WEFT_BENCH_CACHE_DIR where the module is kept between runs (default
#                             BUILD_DIR/bench-validate)
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [MODULE.wasm]" >&2
  exit 2
fi
build_dir=$(realpath "$1")
weft=$build_dir/weft
runs=${WEFT_BENCH_RUNS:-3}
# Pinned so the numbers compare across runs.
package=@bytecodealliance/componentize-js@0.23.0

if [[ ! -x $weft ]]; then
  echo "error: $weft not found; build it first (cmake --build $1 --target weft)" >&2
  exit 2
fi

if [[ $# -ge 2 ]]; then
  module=$(realpath "$2")
else
  # `npm pack` fetches just the package tarball (~12 MB, no dependencies);
  # only the core module is kept, cached in the build directory.
  cache_dir=${WEFT_BENCH_CACHE_DIR:-$build_dir/bench-validate}
  module=$cache_dir/starlingmonkey_embedding.wasm
  if [[ ! -f $module ]]; then
    echo "fetching $package into $cache_dir ..."
    mkdir -p "$cache_dir"
    pack_dir=$(mktemp -d)
    (cd "$pack_dir" && npm pack --silent "$package" >/dev/null &&
      tar xzf ./*.tgz package/lib/starlingmonkey_embedding.wasm) || {
      rm -rf "$pack_dir"
      echo "error: could not fetch $package with npm" >&2
      exit 1
    }
    mv "$pack_dir/package/lib/starlingmonkey_embedding.wasm" "$module"
    rm -rf "$pack_dir"
  fi
fi

bytes=$(stat -c %s "$module")
echo "module: $module ($bytes bytes)"

# best_time NAME COMMAND...: best wall time in seconds over $runs runs; the
# best CPU time (user+sys, steadier on a loaded machine) goes to
# $scratch/NAME.cpu. Fails if any run fails.
best_time() {
  local name=$1 best="" best_cpu="" i start end cpu
  shift
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s.%N)
    if ! /usr/bin/time -f "%U %S" -o "$scratch/time" "$@" >/dev/null 2>"$scratch/stderr"; then
      echo "FAILED: $*" >&2
      head -20 "$scratch/stderr" >&2
      return 1
    fi
    end=$(date +%s.%N)
    best=$(awk -v best="$best" -v start="$start" -v end="$end" \
      'BEGIN { t = end - start; if (best == "" || t < best) best = t; printf "%.4f", best }')
    cpu=$(tail -n 1 "$scratch/time")
    best_cpu=$(awk -v best="$best_cpu" -v cpu="$cpu" \
      'BEGIN { split(cpu, f, " "); t = f[1] + f[2]; if (best == "" || t < best) best = t;
               printf "%.2f", best }')
  done
  echo "$best_cpu" >"$scratch/$name.cpu"
  echo "$best"
}
mb_per_s() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1e6 / t }'; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

status=0
weft_s=$(best_time weft "$weft" validate "$module") || { weft_s=FAIL; status=1; }
wabt_s=$(best_time wabt wasm-validate --enable-extended-const "$module") || {
  wabt_s=FAIL
  status=1
}

echo
echo "decode+validate, best of $runs (wall time includes process start and file read)"
printf '%-16s %10s %10s %10s %10s\n' tool wall-s MB/s cpu-s cpu-MB/s
for tool in weft wasm-validate; do
  if [[ $tool == weft ]]; then t=$weft_s key=weft; else t=$wabt_s key=wabt; fi
  if [[ $t == FAIL ]]; then
    printf '%-16s %10s %10s %10s %10s\n' "$tool" FAIL - - -
  else
    cpu=$(cat "$scratch/$key.cpu")
    printf '%-16s %10s %10s %10s %10s\n' "$tool" "$t" "$(mb_per_s "$t")" "$cpu" "$(mb_per_s "$cpu")"
  fi
done
if [[ $weft_s != FAIL && $wabt_s != FAIL ]]; then
  echo
  echo "weft validates $(awk -v a="$wabt_s" -v b="$weft_s" 'BEGIN { printf "%.2f", a / b }')x" \
    "as fast as wasm-validate (wall time)," \
    "$(awk -v a="$(cat "$scratch/wabt.cpu")" -v b="$(cat "$scratch/weft.cpu")" \
      'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')x (CPU time)"
fi
exit "$status"
