#!/usr/bin/env bash
# The embedder's package: `cmake --install` into a temporary prefix, then
# examples/embed built against it twice — with find_package(weft) and with
# pkg-config — and run on its built-in module and on one from wat2wasm.
# Also: every installed header compiles on its own against the prefix alone
# (nothing from src/), and bin/weft is installed.
source "$(dirname "$0")/common.bash"

# WEFT is <build dir>/weft (CMAKE_RUNTIME_OUTPUT_DIRECTORY), so its folder is
# the build tree to install from.
build_dir=$(cd "$(dirname "$WEFT")" && pwd)
[ -f "$build_dir/cmake_install.cmake" ] || { echo "no cmake_install.cmake in $build_dir" >&2; exit 2; }
prefix="$TMP/prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log" >&2; echo "cmake --install failed" >&2; exit 1; }

for f in include/weft/weft.h include/weft/result.h include/weft/wasi.h lib/libweft.a \
  lib/cmake/weft/weftConfig.cmake lib/cmake/weft/weftConfigVersion.cmake \
  lib/cmake/weft/weftTargets.cmake lib/pkgconfig/weft.pc bin/weft; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
"$prefix/bin/weft" validate /dev/null > /dev/null 2>&1
[ $? -eq 1 ] || fail "installed bin/weft does not run"

# Self-contained headers: only the prefix's include dir on the path.
for h in "$prefix"/include/weft/*.h; do
  echo "#include <weft/$(basename "$h")>" |
    g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c++ - \
      > "$TMP/hdr.log" 2>&1 || fail "weft/$(basename "$h") does not compile alone: $(cat "$TMP/hdr.log")"
done

# A module from a file: run(x) = triple(x) + 100.
wat other <<'EOF'
(module
  (import "env" "triple" (func $triple (param i32) (result i32)))
  (func (export "run") (param i32) (result i32)
    (i32.add (call $triple (local.get 0)) (i32.const 100))))
EOF

check_embed() {  # check_embed HOW BINARY
  expect_status 0 "$2"
  expect_output "run(14) = 43"
  expect_status 0 "$2" "$TMP/other.wasm" 5
  expect_output "run(5) = 115"
  expect_status 1 "$2" "$TMP/missing.wasm"
  expect_contains "$TMP/err" "cannot read"
  [ "$FAILURES" -eq 0 ] || echo "($1 build)" >&2
}

# find_package(weft) + weft::weft.
if cmake -S "$SOURCE_DIR/examples/embed" -B "$TMP/embed-cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" > "$TMP/cmake.log" 2>&1 &&
  cmake --build "$TMP/embed-cmake" >> "$TMP/cmake.log" 2>&1; then
  check_embed cmake "$TMP/embed-cmake/embed"
else
  fail "examples/embed does not build with find_package(weft): $(tail -c 3000 "$TMP/cmake.log")"
fi

# pkg-config.
if flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs weft) &&
  g++ -std=c++20 "$SOURCE_DIR/examples/embed/main.cpp" -o "$TMP/embed-pc" $flags > "$TMP/pc.log" 2>&1; then
  check_embed pkg-config "$TMP/embed-pc"
else
  fail "examples/embed does not build with pkg-config (flags: ${flags:-none}): $(tail -c 3000 "$TMP/pc.log")"
fi

finish
