#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and fuzzes each for
# DURATION seconds over a copy of its seed corpus (fuzz/corpus/NAME for
# target fuzz_NAME). Exits non-zero on any crash, sanitizer report, leak,
# timeout or out-of-memory; the reproducer is left in
# build-fuzz/fuzz-artifacts/ (replay: build-fuzz/fuzz_module FILE).
#
# usage: fuzz/run.sh [DURATION_SECONDS [TARGET...]]
#        (default 60 seconds each for fuzz_module, fuzz_component, fuzz_tiers and fuzz_oci)
# env:   WEFT_FUZZ_BUILD_DIR    (default: <repo>/build-fuzz)
#        WEFT_FUZZ_CMAKE_ARGS   extra configure arguments (word-split)
set -euo pipefail

duration=${1:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${WEFT_FUZZ_BUILD_DIR:-$repo/build-fuzz}

mkdir -p "$build_dir"
# Line tables only (-g1): crash reports keep file:line; the build is faster.
# shellcheck disable=SC2086  # WEFT_FUZZ_CMAKE_ARGS is split into words on purpose
CC=clang CXX=clang++ cmake -S "$repo" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DWEFT_FUZZ=ON ${WEFT_FUZZ_CMAKE_ARGS:-} >"$build_dir/fuzz-configure.log" 2>&1 || {
  cat "$build_dir/fuzz-configure.log"
  exit 1
}
targets=("${@:2}")
((${#targets[@]})) || targets=(fuzz_module fuzz_component fuzz_tiers fuzz_oci)
cmake --build "$build_dir" --target "${targets[@]}" -j2

artifacts=$build_dir/fuzz-artifacts
mkdir -p "$artifacts"
for target in "${targets[@]}"; do
  work=$(mktemp -d "$build_dir/fuzz-corpus.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  corpus=${target#fuzz_}
  [[ $corpus == tiers ]] && corpus=module  # the two tiers share the module seeds
  cp "$here/corpus/$corpus"/* "$work"/

  echo "fuzzing $target for ${duration}s over $(find "$work" -type f | wc -l) seeds ..."
  status=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build_dir/$target" "$work" \
    -max_total_time="$duration" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" || status=$?
  rm -rf "$work"

  if ((status != 0)); then
    echo "!!!!!!!! $target FAILED (exit status $status); reproducers in $artifacts:" >&2
    ls -la "$artifacts" >&2
    exit 1
  fi
  echo "$target: no crashes in ${duration}s"
done
