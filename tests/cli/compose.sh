#!/usr/bin/env bash
# `weft compose`: C components built at test time (wit/compose-*, the
# canonical ABI by hand) plugged together; the composition runs on weft
# and is accepted by jco 1.35 (print, transpile). Both parts write to
# stderr, so both import WASI (through the preview1 adapter): their
# imports merge into one set. Errors: a plug that satisfies nothing,
# conflicting plugs, a missing function, malformed input.
source "$(dirname "$0")/common.bash"

ROOT=$SOURCE_DIR
GUESTS="$ROOT/tests/component/guests"
B="$TMP/build"
mkdir -p "$B"
for part in provider consumer; do
  timeout 300 "$ROOT/scripts/make-component" --reactor --wit "$GUESTS/wit/compose-$part" --world $part \
    "$GUESTS/compose_$part.c" "$B/$part.wasm" > "$TMP/build.log" 2>&1 ||
    { echo "cannot build compose_$part.c: $(head -c 2000 "$TMP/build.log")" >&2; exit 2; }
done

expect_status 0 "$WEFT" compose "$B/consumer.wasm" --plug "$B/provider.wasm" -o "$B/composed.wasm"
expect_status 0 "$WEFT" validate "$B/composed.wasm"
# The plugged interface is gone from the imports; WASI stays, once.
expect_status 0 "$WEFT" inspect "$B/composed.wasm"
grep -q "import example:text/shout" "$TMP/out" && fail "the plugged interface is still imported"
[ "$(grep -c 'import wasi:io/streams@' "$TMP/out")" = 1 ] || fail "wasi:io/streams not imported once: $(cat "$TMP/out")"
expect_contains "$TMP/out" "export run: func(s: string) -> string;"

# Strings both ways and a resource made, stepped and dropped across the link.
expect_status 0 timeout 60 "$WEFT" run --invoke 'run("hello")' "$B/composed.wasm"
expect_output '"HELLO 42"'
expect_contains "$TMP/err" "consumer: counter at 42"
expect_contains "$TMP/err" "provider: counter dropped at 42"

# jco reads it: prints it and transpiles it.
expect_status 0 timeout 120 "$ROOT/scripts/jco" print "$B/composed.wasm"
expect_contains "$TMP/out" "(instance"
expect_status 0 timeout 300 "$ROOT/scripts/jco" transpile "$B/composed.wasm" -o "$TMP/js"
[ -f "$TMP/js/composed.js" ] || fail "jco transpile wrote no composed.js"

# Errors name what is wrong, exit 1.
expect_status 1 "$WEFT" compose "$B/provider.wasm" --plug "$B/consumer.wasm" -o "$TMP/x.wasm"
expect_contains "$TMP/err" "plug $B/consumer.wasm satisfies no import of $B/provider.wasm"
expect_status 1 "$WEFT" compose "$B/consumer.wasm" --plug "$B/provider.wasm" --plug "$B/provider.wasm" -o "$TMP/x.wasm"
expect_contains "$TMP/err" "both export \"example:text/shout@0.1.0\""
cat > "$TMP/partial.wat" <<'WAT'
(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (type $counter (resource (rep i32)))
  (func $twice (param "x" u32) (result u32) (canon lift (core func $i "f")))
  (instance $api (export "counter" (type $counter)) (export "twice" (func $twice)))
  (export "example:text/shout@0.1.0" (instance $api)))
WAT
expect_status 0 "$ROOT/scripts/jco" parse "$TMP/partial.wat" -o "$TMP/partial.wasm"
expect_status 1 "$WEFT" compose "$B/consumer.wasm" --plug "$TMP/partial.wasm" -o "$TMP/x.wasm"
expect_contains "$TMP/err" "import \"example:text/shout@0.1.0\": $TMP/partial.wasm exports no function \"[constructor]counter\""
[ -e "$TMP/x.wasm" ] && fail "a failed composition wrote its output"

# Malformed input: an error, never a crash.
head -c 4000 "$B/provider.wasm" > "$TMP/truncated.wasm"
expect_status 1 "$WEFT" compose "$B/consumer.wasm" --plug "$TMP/truncated.wasm" -o "$TMP/x.wasm"
expect_contains "$TMP/err" "truncated.wasm"
printf 'not wasm' > "$TMP/junk.wasm"
expect_status 1 "$WEFT" compose "$TMP/junk.wasm" --plug "$B/provider.wasm" -o "$TMP/x.wasm"
expect_status 2 "$WEFT" compose "$B/consumer.wasm" -o "$TMP/x.wasm"

[ "$FAILURES" = 0 ] || { echo "$FAILURES failure(s)" >&2; exit 1; }
echo "compose: ok"
