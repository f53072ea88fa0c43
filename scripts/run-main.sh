#!/usr/bin/env bash
# The main job: serve the sample app examples/uppercase with weft's defaults
# (http://127.0.0.1:3000). Stop it with Ctrl-C.
set -euo pipefail
build_dir=${1:-build}
cd "$(dirname "$0")/.."
echo "weft: serving examples/uppercase on http://127.0.0.1:3000"
echo "      try: curl -d 'hello weft' http://127.0.0.1:3000/"
exec "$build_dir/weft" up examples/uppercase
