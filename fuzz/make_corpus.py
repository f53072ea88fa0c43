#!/usr/bin/env python3
"""Regenerates fuzz/corpus/module: a small seed corpus for fuzz_module.

Converts a few spec scripts with wast2json and keeps, per script, the first
few valid modules plus a few invalid/malformed/uninstantiable ones, then adds
truncated and bit-flipped copies of some valid modules (malformed seeds) and
the compute benchmark's fib kernel. Deterministic; total well under 2 MB.

usage: fuzz/make_corpus.py [TESTSUITE_DIR]
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "corpus" / "module"
TESTSUITE = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else HERE / ".." / ".." / "shared" / "wasm-testsuite")
# (script, valid modules kept, invalid/malformed kept)
SCRIPTS = [
    ("i32", 2, 2), ("i64", 1, 1), ("call", 1, 3), ("call_indirect", 2, 3), ("memory", 4, 3),
    ("memory_grow", 3, 1), ("br_table", 1, 2), ("table_copy", 2, 1), ("table_init", 2, 2),
    ("bulk", 4, 1), ("elem", 4, 4), ("data", 3, 3), ("global", 2, 4), ("imports", 3, 3),
    ("exports", 2, 2), ("start", 3, 2), ("binary", 4, 12), ("binary-leb128", 2, 6),
    ("loop", 1, 2), ("if", 1, 2), ("func", 2, 3), ("select", 1, 2), ("ref_func", 2, 2),
    ("conversions", 1, 1), ("f64", 1, 1), ("traps", 2, 0), ("unreachable", 1, 0),
    ("local_tee", 1, 2), ("memory_fill", 1, 1), ("memory_copy", 1, 1), ("fac", 1, 0),
    ("stack", 1, 0), ("br_if", 1, 1),
]
BAD_TYPES = {"assert_invalid", "assert_malformed", "assert_uninstantiable", "assert_unlinkable"}
MAX_SIZE = 64 * 1024  # the fuzzer's -max_len


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    seen = set()
    valid_samples = []

    def keep(name, data):
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen or len(data) > MAX_SIZE:
            return False
        seen.add(digest)
        (OUT / f"{name}.wasm").write_bytes(data)
        return True

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for script, n_valid, n_bad in SCRIPTS:
            wast = TESTSUITE / f"{script}.wast"
            if not wast.exists():
                continue
            out_json = tmp / f"{script}.json"
            result = subprocess.run(["wast2json", "--enable-extended-const", str(wast), "-o",
                                     str(out_json)], capture_output=True)
            if result.returncode != 0:
                print(f"skipping {script}: wast2json failed", file=sys.stderr)
                continue
            commands = json.loads(out_json.read_text())["commands"]
            kept_valid = kept_bad = 0
            for index, command in enumerate(commands):
                filename = command.get("filename", "")
                if not filename.endswith(".wasm"):
                    continue
                data = (tmp / filename).read_bytes()
                kind = command["type"]
                if kind == "module" and kept_valid < n_valid:
                    if keep(f"{script}_{index}", data):
                        kept_valid += 1
                        valid_samples.append((f"{script}_{index}", data))
                elif kind in BAD_TYPES and kept_bad < n_bad:
                    label = kind.removeprefix("assert_")
                    if keep(f"{script}_{index}_{label}", data):
                        kept_bad += 1

    # Malformed seeds derived from valid ones: truncations and a byte flip.
    for name, data in valid_samples[::3]:
        if len(data) > 16:
            keep(f"{name}_truncated", data[: len(data) * 2 // 3])
            flipped = bytearray(data)
            flipped[len(data) // 2] ^= 0x5A
            keep(f"{name}_flipped", bytes(flipped))

    kernel = HERE.parent / "bench" / "compute" / "fib_kernel.c"
    with tempfile.TemporaryDirectory() as tmp:
        wasm = pathlib.Path(tmp) / "fib_kernel.wasm"
        wasm_cc = str(HERE.parent / "scripts" / "wasm-cc")  # no wasm-opt, whatever PATH has
        if subprocess.run([wasm_cc, "clang", "--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry",
                           "-DFIB_N=20", "-o", str(wasm), str(kernel)]).returncode == 0:
            keep("bench_fib_kernel", wasm.read_bytes())

    files = sorted(OUT.iterdir())
    total = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
