#!/usr/bin/env python3
"""The differential oracle: random modules run in weft and in Node's V8.

Each seed picks an input size and a feature set, draws that many random
bytes, and lets binaryen's `wasm-opt -ttf` ("translate to fuzz") turn them
into a module. weft_diff_run and v8_run.mjs run it under the same protocol
(see weft_diff_run.cpp) and their traces must be identical: validation
verdict, every export's results or trap category, every logged host-call
argument, and the final memory hash. A module one engine rejects and the
other runs is a mismatch, never a pass.

usage:
  diff.py --runner build/weft_diff_run --seeds 1-200          (a fixed set: ctest)
  diff.py --runner build/weft_diff_run --seconds 180          (new seeds: CI)
  diff.py --runner build/weft_diff_run --module FILE.wasm     (one module)
  ... --tier optimized     weft runs the machine code of its optimizing tier

Mismatching modules and both traces are kept in --failures (default
build/diff-failures). Exit status: 0 when every module matched, 1 on any
mismatch, 2 when a tool is missing.
"""

import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
V8_RUNNER = os.path.join(HERE, "v8_run.mjs")

# The proposals weft implements, as wasm-opt feature flags.
CORE = ["--mvp-features", "--enable-mutable-globals", "--enable-sign-ext",
        "--enable-nontrapping-float-to-int", "--enable-bulk-memory",
        "--enable-multivalue"]
FEATURE_SETS = {
    "core": CORE,
    "reftypes": CORE + ["--enable-reference-types"],
}

# Two generators. Debian's binaryen 108 is fast (native), but it predates
# the final reference-types spec (its funcref is a subtype of its anyref,
# which it writes as externref), so most of its reference-types modules are
# invalid under 2.0: both engines must then reject them, which tests the
# validator's subtyping rules. binaryen 132 from npm (fuzz/diff/package.json,
# installed by setup) writes valid reference-types modules and uses more of
# the fuzzing-support host (call-export, call-ref, table-get/set), at about
# a second a module under node.
BINARYEN_JS = os.path.join(HERE, "node_modules", "binaryen", "bin", "wasm-opt")
GENERATORS = {
    "binaryen108": ["wasm-opt"],
    "binaryen132": ["node", BINARYEN_JS],
}
# (generator, features, share of seeds)
MIX = [("binaryen108", "core", 0.35), ("binaryen108", "reftypes", 0.15),
       ("binaryen132", "core", 0.15), ("binaryen132", "reftypes", 0.35)]

TIMEOUT_S = 30


def plan(seed):
    """The input size, generator and feature set of a seed: mostly small
    inputs, some up to ~100 KiB (the large ones are what produce more than
    64 types)."""
    rng = random.Random(seed)
    bucket = rng.random()
    if bucket < 0.5:
        size = rng.randint(64, 4096)
    elif bucket < 0.85:
        size = rng.randint(4096, 32768)
    else:
        size = rng.randint(32768, 100 * 1024)
    pick, acc = rng.random(), 0.0
    for generator, features, share in MIX:
        acc += share
        if pick < acc:
            break
    return size, f"{generator}/{features}", rng.randbytes(size)


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "timeout", "", ""
    status = "ok" if p.returncode == 0 else f"exit {p.returncode}"
    return status, p.stdout, p.stderr


def compare(runner, wasm):
    """Returns (verdict, detail): verdict is 'ran', 'rejected', 'stack', 'hung' or
    'mismatch'."""
    weft = run([*runner, wasm])
    v8 = run(["node", "--no-warnings", "--experimental-wasm-type-reflection", V8_RUNNER, wasm])
    if weft[0] == "timeout" and v8[0] == "timeout":
        # A module can spin without a host call; both engines ran it past
        # the limit, which is agreement, counted apart.
        return "hung", ""
    if v8[0] != "ok":
        # A reference that crashes or hangs tells nothing about weft; it is
        # reported, and fails the run, so it gets looked at.
        return "mismatch", f"V8 runner: {v8[0]}\n{v8[2]}"
    if weft[0] != "ok":
        return "mismatch", f"weft runner: {weft[0]}\n{weft[2]}"
    if weft[1] != v8[1]:
        wl, vl = weft[1].splitlines(), v8[1].splitlines()
        n = next((i for i in range(min(len(wl), len(vl))) if wl[i] != vl[i]), min(len(wl), len(vl)))
        # How deep a call stack may grow before it is exhausted is the
        # engine's to choose (V8's depends on frame sizes, weft's is
        # max_call_depth), so traces that agree up to one engine's stack
        # exhaustion agree as far as the spec can tell.
        if any(n < len(t) and t[n].endswith(" stack") for t in (wl, vl)):
            return "stack", ""
        context = "\n".join(wl[max(0, n - 3):n])
        return "mismatch", (f"traces differ at line {n + 1}:\n  ...{context}\n"
                            f"  weft: {wl[n] if n < len(wl) else '<end>'}\n"
                            f"  v8:   {vl[n] if n < len(vl) else '<end>'}\n"
                            f"  weft stderr: {weft[2].strip()}\n  v8 stderr: {v8[2].strip()}")
    if weft[1].startswith("module invalid"):
        return "rejected", ""
    return "ran", ""


def one_seed(runner, seed, work, failures):
    size, features, data = plan(seed)
    stem = os.path.join(work, f"seed{seed}")
    with open(stem + ".dat", "wb") as f:
        f.write(data)
    # --denan turns every NaN a float operation produces into 0 at run
    # time: the spec lets NaN payloads differ between engines, and one
    # stored to memory or reinterpreted as an integer would otherwise show
    # up as a (legal) difference in the hash or the logs.
    generator, feature_set = features.split("/")
    gen = subprocess.run([*GENERATORS[generator], "-ttf", stem + ".dat", "--denan",
                          "-o", stem + ".wasm", *FEATURE_SETS[feature_set]],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        return seed, size, features, "mismatch", f"generator failed (not a weft result): {gen.stderr.strip()}"
    verdict, detail = compare(runner, stem + ".wasm")
    if verdict == "mismatch":
        os.makedirs(failures, exist_ok=True)
        shutil.copy(stem + ".wasm",
                    os.path.join(failures, f"seed{seed}-{features.replace('/', '-')}.wasm"))
    for ext in (".dat", ".wasm"):
        os.remove(stem + ext)
    return seed, size, features, verdict, detail


def parse_seeds(text):
    lo, _, hi = text.partition("-")
    return range(int(lo), int(hi or lo) + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", required=True, help="path to weft_diff_run")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--seeds", help="a range A-B of seeds")
    g.add_argument("--seconds", type=float, help="run new seeds for this long")
    g.add_argument("--module", help="compare one module file")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--tier", choices=["interp", "optimized"], default="interp",
                    help="the weft tier that runs the modules (optimized: compiled before the "
                         "first call)")
    ap.add_argument("--failures", default=os.path.join(os.getcwd(), "build", "diff-failures"))
    args = ap.parse_args()

    for tool in ("wasm-opt", "node"):
        if shutil.which(tool) is None:
            print(f"diff: {tool} not found (setup installs binaryen and nodejs)", file=sys.stderr)
            return 2
    if not os.path.exists(BINARYEN_JS):
        print(f"diff: {BINARYEN_JS} not found (setup runs npm ci in fuzz/diff)", file=sys.stderr)
        return 2
    if not os.access(args.runner, os.X_OK):
        print(f"diff: runner {args.runner} is not executable", file=sys.stderr)
        return 2

    # The runner as a command; random modules stay out of the user's code cache.
    runner = [args.runner, "--tier", args.tier]
    os.environ["WEFT_CACHE"] = "off"
    print(f"diff: weft's {args.tier} tier")

    if args.module:
        verdict, detail = compare(runner, args.module)
        print(f"{args.module}: {verdict}\n{detail}".rstrip())
        return 1 if verdict == "mismatch" else 0

    counts = {"ran": 0, "rejected": 0, "hung": 0, "stack": 0, "mismatch": 0}
    by_features = {}
    with tempfile.TemporaryDirectory(prefix="weft-diff-") as work, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        if args.seeds:
            seeds = iter(parse_seeds(args.seeds))
            deadline = None
        else:
            # New seeds each run, printed so a failure can be replayed with --seeds.
            base = int(time.time()) * 1000
            print(f"diff: new seeds from {base}")
            seeds = iter(range(base, base + 10**9))
            deadline = time.monotonic() + args.seconds
        pending = set()

        def refill():
            while len(pending) < 2 * args.jobs:
                if deadline is not None and time.monotonic() >= deadline:
                    return
                seed = next(seeds, None)
                if seed is None:
                    return
                pending.add(pool.submit(one_seed, runner, seed, work, args.failures))

        refill()
        while pending:
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in done:
                pending.remove(fut)
                seed, size, features, verdict, detail = fut.result()
                counts[verdict] += 1
                f = by_features.setdefault(features, {"ran": 0, "rejected": 0, "hung": 0, "stack": 0,
                                                     "mismatch": 0})
                f[verdict] += 1
                if verdict == "mismatch":
                    print(f"MISMATCH seed {seed} ({features}, {size} input bytes): {detail}")
            refill()

    total = sum(counts.values())
    for features, f in sorted(by_features.items()):
        print(f"diff: {features}: {sum(f.values())} modules, {f['ran']} ran identically, "
              f"{f['rejected']} rejected by both, {f['stack']} identical up to a stack limit, "
              f"{f['hung']} past the time limit in both, {f['mismatch']} mismatched")
    agreed = total - counts["mismatch"]
    print(f"diff: {total} modules, {agreed} agreed ({counts['ran']} ran identically, "
          f"{counts['rejected']} rejected by both, {counts['stack']} identical up to a stack limit, "
          f"{counts['hung']} past the time limit in both), {counts['mismatch']} mismatched")
    if counts["mismatch"]:
        print(f"diff: mismatching modules are in {args.failures}; replay one with --module FILE")
    return 1 if counts["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main())
