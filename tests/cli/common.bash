# Shared helpers for the tests/cli/*.sh scripts (sourced, not run by ctest).
# Each script is run as `script WEFT SOURCE_DIR`.
set -uo pipefail
WEFT=$1
SOURCE_DIR=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The optimizing tier's code cache: this test's own, gone with it.
export WEFT_CACHE="$TMP/cache"
FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# wat NAME <<< 'text' : writes $TMP/NAME.wasm from WAT on stdin.
wat() {
  cat > "$TMP/$1.wat"
  wat2wasm --no-check "$TMP/$1.wat" -o "$TMP/$1.wasm" || { echo "wat2wasm failed for $1" >&2; exit 2; }
}

# expect_run WANT_STATUS CMD... : runs CMD, stdout→$TMP/out, stderr→$TMP/err.
expect_status() {
  local want=$1
  shift
  "$@" > "$TMP/out" 2> "$TMP/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "'$*' exited $got, expected $want; stdout: $(head -c 500 "$TMP/out") stderr: $(head -c 500 "$TMP/err")"
  fi
}

# expect_contains FILE TEXT
expect_contains() {
  if ! grep -qF -- "$2" "$1"; then
    fail "$(basename "$1") lacks '$2'; it has: $(head -c 800 "$1")"
  fi
}

# expect_output TEXT : stdout equals TEXT exactly.
expect_output() {
  local got
  got=$(cat "$TMP/out")
  if [ "$got" != "$1" ]; then
    fail "stdout was '$got', expected '$1'"
  fi
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
