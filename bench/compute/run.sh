#!/usr/bin/env bash
# Compute benchmarks: each program natively (clang -O2), on `weft run`, and
# fib also on wabt's wasm-interp. Prints wall times (best of N runs), the
# weft/native ratio per program and their geometric mean, for the interpreter
# (--tier interp), for the optimizing tier (--tier optimized, its compile
# time included, no cache), and for the default tier, auto, with a cold
# cache (compiling in the background while the interpreter runs) and a warm
# one (native code from the first call).
#
# usage: bench/compute/run.sh BUILD_DIR        (BUILD_DIR/weft is the CLI)
# env:   WEFT_BENCH_RUNS=3     runs per measurement (the best is kept)
#        WEFT_BENCH_ONLY="fib json"   a subset of the programs
#
# Exits non-zero if weft fails or prints anything different from native.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(realpath "$1")
weft=$build_dir/weft
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=${WEFT_BENCH_RUNS:-3}
# shellcheck source=bench/compute/common.sh
source "$here/common.sh"

if [[ ! -x $weft ]]; then
  echo "error: $weft not found; build it first (cmake --build $1 --target weft)" >&2
  exit 2
fi

out=$build_dir/bench-compute
echo "building the programs into $out ..."
build_compute_programs "$here" "$out"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# best_time OUTPUT_FILE COMMAND...: runs COMMAND $runs times, keeps the last
# stdout in OUTPUT_FILE and prints the best wall time in seconds; the best
# CPU time (user+sys, less disturbed by other load on a shared machine) goes
# to OUTPUT_FILE.cpu. Fails if any run fails.
best_time() {
  local output=$1 best="" best_cpu="" i start end cpu
  shift
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s.%N)
    if ! /usr/bin/time -f "%U %S" -o "$output.time" "$@" >"$output" 2>"$output.stderr"; then
      echo "FAILED: $* (exit status $?)" >&2
      sed 's/^/  | /' "$output.stderr" | head -20 >&2
      return 1
    fi
    end=$(date +%s.%N)
    best=$(awk -v best="$best" -v start="$start" -v end="$end" \
      'BEGIN { t = end - start; if (best == "" || t < best) best = t; printf "%.4f", best }')
    cpu=$(tail -n 1 "$output.time")
    best_cpu=$(awk -v best="$best_cpu" -v cpu="$cpu" \
      'BEGIN { split(cpu, f, " "); t = f[1] + f[2]; if (best == "" || t < best) best = t;
               printf "%.2f", best }')
  done
  echo "$best_cpu" >"$output.cpu"
  echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

failed=0
ratios=()
cpu_ratios=()
opt_ratios=()
warm_ratios=()
rows=()

check_same() {  # check_same NAME EXPECTED_FILE ACTUAL_FILE ENGINE
  if ! cmp -s "$2" "$3"; then
    echo "!!!!!!!! MISMATCH: $1 on $4 differs from native !!!!!!!!" >&2
    diff "$2" "$3" | head -20 >&2 || true
    failed=1
    return 1
  fi
}

for entry in "${WEFT_COMPUTE_PROGRAMS[@]}"; do
  read -r name size _ <<<"$entry"
  if [[ -n ${WEFT_BENCH_ONLY:-} && " $WEFT_BENCH_ONLY " != *" $name "* ]]; then
    continue
  fi
  echo "running $name $size ..."
  native_s=$(best_time "$scratch/$name.native" "$out/$name" "$size")
  if ! weft_s=$(best_time "$scratch/$name.weft" "$weft" run --tier interp "$out/$name.wasm" "$size"); then
    echo "!!!!!!!! FAILED: $name on weft !!!!!!!!" >&2
    failed=1
    rows+=("$(printf '%-12s %10s %10s %10s %10s %12s %12s' "$name" "$native_s" FAIL - - - -)")
    continue
  fi
  note=""
  check_same "$name" "$scratch/$name.native" "$scratch/$name.weft" weft || note="  MISMATCH"
  # The optimizing tier, its LLVM compile included in the time; the compile
  # alone is about the time of a run at the small size.
  read -r _ _ small <<<"$entry"
  start_s=$(WEFT_CACHE=off best_time "$scratch/$name.optstart" "$weft" run --tier optimized \
    "$out/$name.wasm" "$small") || start_s=-
  # auto, cold: every run starts with an empty cache.
  cold="$scratch/cache-cold-$name"
  cold_s=$(best_time "$scratch/$name.cold" env WEFT_CACHE="$cold" bash -c \
    'rm -rf "$WEFT_CACHE"; exec "$@"' _ "$weft" run --tier auto "$out/$name.wasm" "$size") || cold_s=FAIL
  check_same "$name" "$scratch/$name.native" "$scratch/$name.cold" "weft --tier auto (cold)" ||
    note="  MISMATCH"
  # auto, warm: the cache filled by one optimized run first.
  warm="$scratch/cache-warm-$name"
  WEFT_CACHE="$warm" "$weft" run --tier optimized "$out/$name.wasm" "$small" >/dev/null 2>&1 || true
  warm_s=$(WEFT_CACHE="$warm" best_time "$scratch/$name.warm" "$weft" run --tier auto \
    "$out/$name.wasm" "$size") || warm_s=FAIL
  check_same "$name" "$scratch/$name.native" "$scratch/$name.warm" "weft --tier auto (warm)" ||
    note="  MISMATCH"
  cold_r=$(ratio "$cold_s" "$native_s")
  warm_r=$(ratio "$warm_s" "$native_s")
  warm_ratios+=("$warm_r")
  if opt_s=$(WEFT_CACHE=off best_time "$scratch/$name.opt" "$weft" run --tier optimized \
    "$out/$name.wasm" "$size"); then
    check_same "$name" "$scratch/$name.native" "$scratch/$name.opt" "weft --tier optimized" ||
      note="  MISMATCH"
    opt_r=$(ratio "$opt_s" "$native_s")
    opt_ratios+=("$opt_r")
  else
    echo "!!!!!!!! FAILED: $name on weft --tier optimized !!!!!!!!" >&2
    failed=1
    opt_s=FAIL opt_r=-
  fi
  r=$(ratio "$weft_s" "$native_s")
  ratios+=("$r")
  cpu_r=$(ratio "$(cat "$scratch/$name.weft.cpu")" "$(cat "$scratch/$name.native.cpu")")
  cpu_ratios+=("$cpu_r")
  rows+=("$(printf '%-12s %10s %10s %10s %10s %12s %12s %10s %10s %10s %10s %10s %10s %10s%s' \
    "$name" "$native_s" "$weft_s" "$r" "$cpu_r" - - "$opt_s" "$opt_r" "$start_s" \
    "$cold_s" "$cold_r" "$warm_s" "$warm_r" "$note")")
done

# fib with a small argument on all three, so wabt's interpreter finishes.
# weft and wasm-interp run the same import-free fib_kernel.wasm (its export
# `run` computes fib(WEFT_FIB_SMALL)); native runs the fib program.
if [[ -z ${WEFT_BENCH_ONLY:-} || " $WEFT_BENCH_ONLY " == *" fib "* ]]; then
  n=$WEFT_FIB_SMALL
  echo "running fib($n) (native, weft, wasm-interp) ..."
  native_s=$(best_time "$scratch/fibs.native" "$out/fib" "$n")
  expected=$(sed -n 's/^fib([0-9]*) = //p' "$scratch/fibs.native")
  note=""
  if weft_s=$(best_time "$scratch/fibs.weft" "$weft" run --tier interp --invoke run \
    "$out/fib_kernel.wasm"); then
    if ! grep -qw -- "$expected" "$scratch/fibs.weft"; then
      echo "!!!!!!!! MISMATCH: weft printed '$(cat "$scratch/fibs.weft")' for fib($n) = $expected !!!!!!!!" >&2
      failed=1
      note="  MISMATCH"
    fi
    weft_ratio=$(ratio "$weft_s" "$native_s")
  else
    echo "!!!!!!!! FAILED: fib_kernel on weft !!!!!!!!" >&2
    failed=1
    weft_s=FAIL
    weft_ratio=-
  fi
  interp_s=- interp_ratio=-
  if command -v wasm-interp >/dev/null; then
    interp_s=$(best_time "$scratch/fibs.interp" wasm-interp --run-all-exports "$out/fib_kernel.wasm")
    if [[ $(cat "$scratch/fibs.interp") != "run() => i32:$expected" ]]; then
      echo "!!!!!!!! MISMATCH: wasm-interp printed '$(cat "$scratch/fibs.interp")' !!!!!!!!" >&2
      failed=1
      note="  MISMATCH"
    fi
    interp_ratio=$(ratio "$interp_s" "$native_s")
  fi
  rows+=("$(printf '%-12s %10s %10s %10s %10s %12s %12s%s' "fib($n)" "$native_s" "$weft_s" \
    "$weft_ratio" - "$interp_s" "$interp_ratio" "$note")")
  if [[ $weft_s != FAIL && $interp_s != - ]]; then
    interp_vs_weft=$(ratio "$interp_s" "$weft_s")
  fi
fi

echo
echo "compute benchmarks: wall time, best of $runs (s); ratios are engine time / native time"
echo "(cpu/nat: the same ratio of CPU time, user+sys, steadier on a loaded machine)"
echo "(optimized: --tier optimized, LLVM's compile included; opt-start: the same at the small size,"
echo " about the compile alone; auto-cold: --tier auto, empty cache; auto-warm: --tier auto, cache"
echo " filled by an earlier run)"
printf '%-12s %10s %10s %10s %10s %12s %12s %10s %10s %10s %10s %10s %10s %10s\n' program native \
  weft weft/nat cpu/nat wasm-interp interp/nat optimized opt/nat opt-start auto-cold cold/nat \
  auto-warm warm/nat
printf '%-12s %10s %10s %10s %10s %12s %12s %10s %10s %10s %10s %10s %10s %10s\n' ------- ------ \
  ---- -------- ------- ----------- ---------- --------- ------- --------- --------- -------- \
  --------- --------
printf '%s\n' "${rows[@]}"
if ((${#ratios[@]} > 0)); then
  geomean=$(printf '%s\n' "${ratios[@]}" |
    awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
  echo
  cpu_geomean=$(printf '%s\n' "${cpu_ratios[@]}" |
    awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
  echo "geometric mean weft/native over ${#ratios[@]} programs: $geomean (wall time)," \
    "$cpu_geomean (CPU time)"
fi
if ((${#opt_ratios[@]} > 0)); then
  opt_geomean=$(printf '%s\n' "${opt_ratios[@]}" |
    awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
  echo "geometric mean weft --tier optimized/native over ${#opt_ratios[@]} programs: $opt_geomean" \
    "(wall time, LLVM compile included)"
fi
if ((${#warm_ratios[@]} > 0)); then
  warm_geomean=$(printf '%s\n' "${warm_ratios[@]}" |
    awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
  echo "geometric mean weft --tier auto, warm cache/native over ${#warm_ratios[@]} programs:" \
    "$warm_geomean (wall time)"
fi
if [[ -n ${interp_vs_weft:-} ]]; then
  echo "fib($WEFT_FIB_SMALL): weft is ${interp_vs_weft}x faster than wasm-interp"
fi
if ((failed)); then
  echo
  echo "!!!!!!!! FAILURES: see MISMATCH / FAILED above !!!!!!!!"
  exit 1
fi
