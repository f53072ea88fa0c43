#!/usr/bin/env python3
"""Compares weft's component text encoder with wasm-tools (jco parse).

Every text `(component ...)` form of the Component Model reference tests
(outside async/), and every `(component quote ...)` one, is encoded by both:
jco's wasm-tools through Node, in one process, and weft through the
wat_encode_dir tool (it encodes every .wat of a directory). jco's name and
component-name custom sections
are stripped, recursively, since weft emits none. A form matches when both give
the same bytes or both reject it. Exit status 1 on any mismatch.

usage: component_jco_compare.py --encoder PATH/wat_encode_dir [--tests DIR]
       [--jco DIR] [--work DIR]

(--tests DIR/async compares the async scripts' forms, which are outside the
default run. --mutants N adds N random mutants of each form, lists or atoms
deleted, repeated, replaced or swapped, with --seed S: both must reject a
mutant or encode it alike.)
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def tokens(src):
    """Yields (kind, start, end) for '(' ')' and atoms, skipping comments."""
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
        elif src.startswith(";;", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("(;", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("(;", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith(";)", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "()":
            yield c, i, i + 1
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            yield "atom", i, j + 1
            i = j + 1
        else:
            j = i
            while j < n and src[j] not in ' \t\r\n()";':
                j += 1
            yield "atom", i, j
            i = j


def top_forms(src):
    """Yields (assertion, start, end, heads) for each top-level list (assertion
    None) and each list directly inside an assertion; heads are the list's
    first three items, "(" standing for a list."""
    stack = []  # [start, heads]
    for kind, s, e in tokens(src):
        if kind == "(":
            if stack and len(stack[-1][1]) < 3:
                stack[-1][1].append("(")
            stack.append([s, []])
        elif kind == ")":
            if not stack:
                continue
            start, heads = stack.pop()
            if not stack:
                yield None, start, e, heads
            elif len(stack) == 1 and stack[0][1] and stack[0][1][0].startswith("assert_"):
                yield stack[0][1][0], start, e, heads
        elif stack and len(stack[-1][1]) < 3:
            stack[-1][1].append(src[s:e])


def wast_strings(text):
    """The decoded string atoms of `text` (bytes as latin-1 characters are not
    needed: the tests quote ASCII). Unknown escapes stay as written, so they
    stay malformed."""
    out = []
    for kind, s, e in tokens(text):
        if kind != "atom" or text[s] != '"':
            continue
        body, i, value = text[s + 1:e - 1], 0, ""
        while i < len(body):
            c = body[i]
            if c == "\\" and i + 1 < len(body):
                n = body[i + 1]
                if n in "nrt":
                    value += {"n": "\n", "r": "\r", "t": "\t"}[n]
                    i += 2
                    continue
                if n in "\\'\"":
                    value += n
                    i += 2
                    continue
                value += body[i:i + 2]
                i += 2
                continue
            value += c
            i += 1
        out.append(value)
    return out


def component_forms(path):
    src = open(path, encoding="utf-8").read()
    out = []
    for assertion, start, end, atoms in top_forms(src):
        if not atoms or atoms[0] != "component":
            continue
        rest = atoms[1:]
        if rest and rest[0] in ("definition", "instance"):
            if rest[0] == "instance":
                continue
            rest = rest[1:]
        if rest and rest[0].startswith("$"):
            rest = rest[1:]
        if rest and rest[0] == "binary":
            continue
        text = src[start:end]
        if rest and rest[0] == "quote":
            # The quoted text is the component's definitions.
            text = "(component " + "".join(wast_strings(text)) + ")"
        line = src.count("\n", 0, start) + 1
        out.append((line, assertion, text))
    return out


def strip_definition(text):
    # `(component definition $x ...)` is script syntax; the component itself is
    # the same text without the keyword.
    head = "(component"
    rest = text[len(head):]
    stripped = rest.lstrip()
    if stripped.startswith("definition") and stripped[10:11] in " \t\r\n":
        return head + " " + stripped[10:]
    return text


MUTANT_ATOMS = ["u8", "$x", "0", "1", '"a"', "(type 0)", "(func)", "(core func 0)", "string",
                "(instance)", '(export "z" (func 0))', "async", "$t", '(param "p" u8)',
                "(result u8)"]


def mutants(text, count, rng):
    spans, stack, atoms, siblings = [], [], [], []
    for kind, s, e in tokens(text):
        if kind == "(":
            stack.append((s, []))
        elif kind == ")" and stack:
            start, children = stack.pop()
            spans.append((start, e))
            if stack:
                stack[-1][1].append((start, e))
            if len(children) >= 2:
                siblings.append(children)
        elif kind == "atom":
            atoms.append((s, e))
    spans = spans[:-1]  # never the component itself
    if not spans:
        return []
    out = []
    for _ in range(count):
        op = rng.randrange(6)
        if op == 5 and siblings:
            # Swapped definitions make forward references.
            group = rng.choice(siblings)
            i, j = sorted(rng.sample(range(len(group)), 2))
            (a, b), (c, d) = group[i], group[j]
            out.append(text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:])
            continue
        if op == 0:
            s, e = rng.choice(spans)
            out.append(text[:s] + text[e:])
        elif op == 1:
            s, e = rng.choice(spans)
            out.append(text[:e] + " " + text[s:e] + text[e:])
        elif op == 2 and atoms:
            s, e = rng.choice(atoms)
            out.append(text[:s] + text[e:])
        elif op == 3 and atoms:
            s, e = rng.choice(atoms)
            out.append(text[:s] + rng.choice(MUTANT_ATOMS) + text[e:])
        else:
            s, e = rng.choice(spans)
            out.append(text[:e] + " " + rng.choice(MUTANT_ATOMS) + text[e:])
    return out


def leb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def enc_leb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def strip_custom(data):
    """Drops custom sections, recursing into nested modules and components."""
    if data[:4] != b"\0asm":
        return data
    is_component = data[4:8] == b"\x0d\x00\x01\x00"
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = leb(data, pos + 1)
        payload = data[body:body + size]
        pos = body + size
        if sid == 0:
            continue
        if is_component and sid in (1, 4):
            payload = strip_custom(payload)
        out.append(sid)
        out += enc_leb(len(payload))
        out += payload
    return bytes(out)


NODE_BATCH = r"""
import { parse } from %s;
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir).filter(f => f.endsWith('.wat')).sort()) {
  const src = readFileSync(dir + '/' + f, 'utf8');
  const stem = dir + '/' + f.slice(0, -4);
  try { writeFileSync(stem + '.jco.wasm', await parse(src)); }
  catch (e) { writeFileSync(stem + '.jco.err', String((e && e.message) || e)); }
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", required=True)
    ap.add_argument("--tests", default=os.path.join(ROOT, "..", "shared", "component-model-tests"))
    ap.add_argument("--jco", default=os.path.join(ROOT, "tools", "jco"))
    ap.add_argument("--work")
    ap.add_argument("--mutants", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    wasm_tools = os.path.join(args.jco, "node_modules", "@bytecodealliance", "jco-transpile",
                              "dist", "wasm-tools.js")
    if not os.path.exists(wasm_tools):
        print("jco is not installed (%s); run scripts/setup.sh" % wasm_tools)
        return 77
    work = args.work or tempfile.mkdtemp(prefix="weft-jco-")
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)

    forms = []
    for dirpath, dirnames, filenames in os.walk(args.tests):
        dirnames.sort()
        if os.path.relpath(dirpath, args.tests).split(os.sep)[0] == "async":
            continue
        for name in sorted(filenames):
            if not name.endswith(".wast"):
                continue
            path = os.path.join(dirpath, name)
            for line, _, text in component_forms(path):
                forms.append((os.path.relpath(path, args.tests), line, text))
    if args.mutants:
        rng = random.Random(args.seed)
        for path, line, text in list(forms):
            for m in mutants(strip_definition(text), args.mutants, rng):
                forms.append((path + " (mutant)", line, m))
    for i, (_, _, text) in enumerate(forms):
        with open(os.path.join(work, "%05d.wat" % i), "w", encoding="utf-8") as f:
            f.write(strip_definition(text))

    script = os.path.join(work, "batch.mjs")
    with open(script, "w") as f:
        f.write(NODE_BATCH % repr(wasm_tools))
    subprocess.run(["node", script, work], check=True)
    subprocess.run([args.encoder, work], check=True, stdout=subprocess.DEVNULL)

    counts = {"match": 0, "both reject": 0, "mismatch": 0}
    for i, (path, line, _) in enumerate(forms):
        stem = os.path.join(work, "%05d" % i)
        jco = weft = None
        if os.path.exists(stem + ".jco.wasm"):
            jco = strip_custom(open(stem + ".jco.wasm", "rb").read())
        if os.path.exists(stem + ".weft.wasm"):
            weft = open(stem + ".weft.wasm", "rb").read()
        if jco is None and weft is None:
            counts["both reject"] += 1
        elif jco is not None and jco == weft:
            counts["match"] += 1
        else:
            counts["mismatch"] += 1
            if jco is None:
                why = "jco rejects: " + open(stem + ".jco.err").read()[:300]
            elif weft is None:
                why = "weft rejects: " + open(stem + ".weft.err").read()[:300]
            else:
                why = "bytes differ"
            print("MISMATCH %s:%d (%05d.wat) %s" % (path, line, i, why))
    print("%d forms: %d match, %d rejected by both, %d mismatch" %
          (len(forms), counts["match"], counts["both reject"], counts["mismatch"]))
    if not args.work:
        shutil.rmtree(work)
    return 1 if counts["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main())
