#!/usr/bin/env python3
"""Regenerates fuzz/corpus/component: seeds for fuzz_component, and the real
components the component binary decoder's unit tests decode.

Takes the `(component ...)` forms of the Component Model reference tests
(every .wast outside async/), both top-level ones and the ones inside
assertions, turns each into a binary with `scripts/jco parse` (wasm-tools'
parser, which checks syntax but does not validate), skips the forms it
rejects, and writes the distinct binaries. File names say where a binary
came from and whether the script expects it to decode:

  <folder>_<script>_<n>.wasm              a component definition
  <folder>_<script>_<n>_invalid.wasm      from assert_invalid (well-formed)
  <folder>_<script>_<n>_unlinkable.wasm   ... and so on for other assertions
  <folder>_<script>_<n>_malformed.wasm    from assert_malformed: must not decode

Text-format forms (`component quote`) and instance forms are skipped.
Deterministic. Keeps the corpus small: binaries over MAX_SIZE are dropped,
and duplicates (by content) are written once.

usage: fuzz/make_component_corpus.py [COMPONENT_TESTS_DIR]
"""
import concurrent.futures
import hashlib
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "corpus" / "component"
TESTS = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else REPO / ".." / "shared" / "component-model-tests")
JCO = REPO / "scripts" / "jco"
MAX_SIZE = 16 * 1024
MAX_TOTAL = 400 * 1024


def top_level_forms(text):
    """Yields the text of each top-level parenthesized form, skipping
    `;;` line comments, `(; ... ;)` block comments (nested) and strings."""
    i, n, depth, start = 0, len(text), 0, None
    while i < n:
        c = text[i]
        if c == ";" and text.startswith(";;", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "(" and text.startswith("(;", i):
            level, i = 1, i + 2
            while i < n and level:
                if text.startswith("(;", i):
                    level, i = level + 1, i + 2
                elif text.startswith(";)", i):
                    level, i = level - 1, i + 2
                else:
                    i += 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "(":
            if depth == 0:
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and start is not None:
                yield text[start : i + 1]
                start = None
        i += 1


def head_words(form, count):
    return re.findall(r"[^\s()]+", form[1:200])[:count]


def component_form(form):
    """The form as a standalone component, or None if it is not one jco can
    parse on its own (quote forms, instances)."""
    words = head_words(form, 3)
    if not words or words[0] != "component":
        return None
    rest = words[1:]
    if rest and rest[0].startswith("$"):
        rest = rest[1:]
    if rest and rest[0] in ("instance", "quote"):
        return None
    if rest and rest[0] == "definition":
        # `(component definition $id ...)` is a wast command; the component is the rest.
        form = form.replace("definition", "", 1)
    return form


def nested_component(form):
    """The first `(component ...)` form directly inside an assertion."""
    body = form[1:-1]
    for child in top_level_forms(body):
        if child.startswith("(component"):
            return child
    return None


def collect():
    """(name, wat text) for every candidate form, in a stable order."""
    out = []
    for wast in sorted(TESTS.rglob("*.wast")):
        rel = wast.relative_to(TESTS)
        if rel.parts[0] == "async":
            continue
        prefix = "_".join(rel.with_suffix("").parts).replace("-", "_")
        for index, form in enumerate(top_level_forms(wast.read_text())):
            words = head_words(form, 1)
            if not words:
                continue
            if words[0] == "component":
                wat = component_form(form)
                label = ""
            elif words[0].startswith("assert_"):
                inner = nested_component(form)
                wat = component_form(inner) if inner else None
                label = "_" + words[0].removeprefix("assert_")
            else:
                continue
            if wat is not None:
                out.append((f"{prefix}_{index}{label}", wat))
    return out


def parse(item, tmp):
    name, wat = item
    src = tmp / f"{name}.wat"
    dst = tmp / f"{name}.wasm"
    src.write_text(wat)
    result = subprocess.run([str(JCO), "parse", str(src), "-o", str(dst)], capture_output=True,
                            timeout=120)
    if result.returncode != 0 or not dst.exists():
        return name, None
    return name, dst.read_bytes()


def main():
    items = collect()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda item: parse(item, tmp), items))
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    seen = set()
    total = skipped = 0
    for name, data in results:
        if data is None:
            skipped += 1
            continue
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen or len(data) > MAX_SIZE or total + len(data) > MAX_TOTAL:
            continue
        seen.add(digest)
        total += len(data)
        (OUT / f"{name}.wasm").write_bytes(data)
    print(f"{len(seen)} files, {total} bytes in {OUT} ({len(items)} forms, {skipped} rejected by jco)")


if __name__ == "__main__":
    main()
