#!/usr/bin/env bash
# Instantiate + drop time for an empty module and a module with 1 MiB of data
# segments (copy-on-write image vs copied), next to memcpy of 1 MiB into
# fresh memory measured in the same run.
# usage: bench/instantiate/run.sh BUILD_DIR [ITERATIONS]
# (BUILD_DIR configured with -DCMAKE_BUILD_TYPE=Release for real figures)
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ITERATIONS]}
iterations=${2:-10000}
cmake --build "$build" --target bench_instantiate -j2 >/dev/null
bin=$build/bench_instantiate
[[ -x $bin ]] || bin=$build/bench/bench_instantiate
exec "$bin" "$iterations"
