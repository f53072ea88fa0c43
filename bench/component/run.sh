#!/usr/bin/env bash
# The cost of crossing a component boundary (host→component and
# component→component, 1 KiB string / list<u8>), each next to a core-wasm
# reference measured in the same run; instantiation of the hello command
# component against its core module; and `weft run` of both (hyperfine,
# interleaved).
# usage: bench/component/run.sh BUILD_DIR [ITERATIONS]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ITERATIONS]}
iterations=${2:-100000}
cmake --build "$build" --target bench_component -j2 >/dev/null
bin=$build/bench_component
[[ -x $bin ]] || bin=$build/bench/bench_component
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/scripts/wasm-cc" clang --target=wasm32-wasi -O2 "$root/tests/component/guests/hello.c" -o "$work/hello.core.wasm"
"$root/scripts/make-component" --command "$root/tests/component/guests/hello.c" "$work/hello.component.wasm" >/dev/null
uptime
"$bin" "$iterations" all "$work/hello.core.wasm" "$work/hello.component.wasm"
cmake --build "$build" --target weft -j2 >/dev/null
hyperfine -N --warmup 20 --runs 200 \
  "$build/weft run $work/hello.core.wasm" "$build/weft run $work/hello.component.wasm" 2>&1 | grep -v '^ *$'
uptime
