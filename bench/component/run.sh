#!/usr/bin/env bash
# The cost of crossing a component boundary (host→component and
# component→component, 1 KiB string / list<u8>), each next to a core-wasm
# reference measured in the same run.
# usage: bench/component/run.sh BUILD_DIR [ITERATIONS]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ITERATIONS]}
iterations=${2:-100000}
cmake --build "$build" --target bench_component -j2 >/dev/null
bin=$build/bench_component
[[ -x $bin ]] || bin=$build/bench/bench_component
uptime
exec "$bin" "$iterations"
