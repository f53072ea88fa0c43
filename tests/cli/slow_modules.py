#!/usr/bin/env python3
"""Writes modules built to be slow to compile, for tests/cli/tier_caps.sh.

usage: slow_modules.py KIND N OUT.wasm

Every function is (param i32) (result i32); function 0 is exported as "run".
  long N    x + N, as N pairs of (i32.const 1, i32.add): 3 bytes a pair
  nest N    N nested blocks around x + 1
  locals N  N i32 locals, x + 1 through the last of them
  many N    function 0 sums calls of functions 1..N, each x + 1200 as in `long`
"""
import sys


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def vec(items):
    return leb(len(items)) + b"".join(items)


def module(bodies):
    types = section(1, vec([b"\x60\x01\x7f\x01\x7f"]))
    funcs = section(3, vec([leb(0)] * len(bodies)))
    exports = section(7, vec([leb(3) + b"run" + b"\x00" + leb(0)]))
    code = section(10, vec([leb(len(b)) + b for b in bodies]))
    return b"\0asm\1\0\0\0" + types + funcs + exports + code


def long_body(n):
    return b"\x00" + b"\x20\x00" + b"\x41\x01\x6a" * n + b"\x0b"


def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "long":
        bodies = [long_body(n)]
    elif kind == "nest":
        bodies = [b"\x00" + b"\x02\x40" * n + b"\x0b" * n + b"\x20\x00\x41\x01\x6a\x0b"]
    elif kind == "locals":
        bodies = [leb(1) + leb(n) + b"\x7f" + b"\x20\x00\x41\x01\x6a\x21" + leb(n) +
                  b"\x20" + leb(n) + b"\x0b"]
    elif kind == "many":
        calls = b"".join(b"\x20\x00\x10" + leb(i) + (b"\x6a" if i > 1 else b"")
                         for i in range(1, n + 1))
        bodies = [b"\x00" + calls + b"\x0b"] + [long_body(1200)] * n
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(module(bodies))


main()
