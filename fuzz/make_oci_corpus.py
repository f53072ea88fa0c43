#!/usr/bin/env python3
"""Regenerates fuzz/corpus/oci: seeds for fuzz_oci.

Each seed is one byte naming the parser (see fuzz_oci.cpp) and its input:
index, manifest and config documents as registries and buildah write them,
image references, layer tars (plain, gzip; with links, whiteouts and the
hostile entries the unpacker must refuse) and runtime bundles' config.json.
Deterministic (fixed mtimes, no gzip timestamps).

usage: fuzz/make_oci_corpus.py
"""
import base64
import gzip
import io
import json
import pathlib
import shutil
import tarfile

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "corpus" / "oci"
D = "sha256:" + "ab" * 32
E = "sha256:" + "0123456789abcdef" * 4

INDEX, MANIFEST, CONFIG, KIND, REF, LAYER, BUNDLE = range(7)


def doc(obj):
    return json.dumps(obj, sort_keys=True).encode()


def tar(entries, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.mode = 0o644
            data = b""
            if kind == "file":
                data = payload
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = payload
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif kind == "chardev":
                info.type = tarfile.CHRTYPE
            t.addfile(info, io.BytesIO(data) if data else None)
    raw = buf.getvalue()
    if compress:
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
            g.write(raw)
        return out.getvalue()
    return raw


layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 10}
seeds = {
    "index_oci": (INDEX, doc({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                              "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                             "digest": D, "size": 500,
                                             "platform": {"os": "wasi", "architecture": "wasm"},
                                             "annotations": {"org.opencontainers.image.ref.name": "v1"}}]})),
    "index_docker": (INDEX, doc({"schemaVersion": 2,
                                 "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                                 "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                                "digest": E, "size": 1,
                                                "platform": {"os": "linux", "architecture": "amd64"}}]})),
    "manifest_container": (MANIFEST, doc({"schemaVersion": 2,
                                          "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                                     "digest": E, "size": 300},
                                          "layers": [layer_desc]})),
    "manifest_wasm": (MANIFEST, doc({"schemaVersion": 2, "artifactType": "application/vnd.wasm.config.v0+json",
                                     "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                                                "digest": E, "size": 2},
                                     "layers": [{"mediaType": "application/wasm", "digest": D, "size": 8,
                                                 "annotations": {"org.opencontainers.image.title": "app.wasm"}}]})),
    "manifest_bad_digest": (MANIFEST, doc({"schemaVersion": 2, "config": {"mediaType": "x", "digest": "sha256:XY",
                                                                        "size": -1}, "layers": [{}]})),
    "config_full": (CONFIG, doc({"os": "wasi", "architecture": "wasm",
                                 "config": {"Entrypoint": ["/service.wasm"], "Cmd": ["--flag"],
                                            "Env": ["A=1", "PATH=/"], "WorkingDir": "/srv"}})),
    "config_nulls": (CONFIG, b'{"config":{"Entrypoint":null,"Env":[1,2],"WorkingDir":7}}'),
    "kind_index": (KIND, doc({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []})),
    "kind_nested": (KIND, b"[" * 2000),
    "json_deep": (MANIFEST, b'{"layers":' + b"[" * 5000 + b"]" * 5000 + b"}"),
    "ref_registry": (REF, b"docker://127.0.0.1:5000/apps/hello:1.0"),
    "ref_digest": (REF, ("docker://registry.example.com/a/b@" + D).encode()),
    "ref_layout": (REF, b"oci:/tmp/layout:v1"),
    "ref_bad": (REF, b"docker://[::1/x:y@sha256:"),
    "layer_plain": (LAYER, tar([("srv", "dir", None), ("srv/service.wasm", "file", b"\0asm\1\0\0\0"),
                                ("srv/link", "symlink", "service.wasm"),
                                ("srv/hard", "hardlink", "srv/service.wasm")])),
    "layer_gzip": (LAYER, tar([("a.txt", "file", b"hello" * 100), ("d", "dir", None),
                               ("d/.wh.gone", "file", b""), ("d/.wh..wh..opq", "file", b"")], compress=True)),
    "layer_escape": (LAYER, tar([("../escape", "file", b"x"), ("/abs", "file", b"y"),
                                 ("out", "symlink", "/etc"), ("out/passwd", "file", b"z"),
                                 ("up", "symlink", "../.."), ("up/x", "file", b"w")])),
    "layer_devices": (LAYER, tar([("fifo", "fifo", None), ("tty", "chardev", None),
                                  ("h", "hardlink", "../../etc/passwd")])),
    "layer_bomb": (LAYER, tar([("big", "file", b"\0" * (2 << 20))], compress=True)),
    "layer_truncated": (LAYER, tar([("f", "file", b"data" * 300)], compress=True)[:200]),
    "bundle_wasm": (BUNDLE, doc({"ociVersion": "1.0.2",
                                 "process": {"args": ["/app.wasm", "x"], "env": ["A=1"], "cwd": "/"},
                                 "root": {"path": "rootfs"},
                                 "mounts": [{"destination": "/data", "type": "bind", "source": "/tmp",
                                             "options": ["rbind", "ro"]}],
                                 "linux": {"namespaces": [{"type": "network", "path": "/proc/1/ns/net"}],
                                           "resources": {"memory": {"limit": 67108864}}}})),
    # Found by fuzz_oci: a gzip stream whose failure leaves libarchive without
    # an error message (archive_error_string null, once a crash).
    "layer_no_message": (LAYER, base64.b64decode("H4sIAAAAAAAC/+3USwrCMBCA4TlKT5Ammsd5Ci12UYyPiB7fEETEIrhJFfp/kMyQLLKYzHQq3ZLUpTNvbYnZe9TBP+8e5z5snTRaFnA5p+6Un5R1Godpimyr2l7r37f1/zmn7pSflHUah2mKbKvaXuvft/X/WOlx5z72/zz3JmhpHP1fXd+q66h2cT/8bv7P8+A2lvm/XP3Liofjn9QDcpfpUQAoAAA=")),
    "bundle_odd": (BUNDLE, b'{"process":{"args":[],"rlimits":[{"type":"RLIMIT_X","hard":-1}]},"root":{"path":"../.."}}'),
}

if OUT.exists():
    shutil.rmtree(OUT)
OUT.mkdir(parents=True)
for name, (mode, body) in sorted(seeds.items()):
    (OUT / name).write_bytes(bytes([mode]) + body)
print(f"{len(seeds)} seeds in {OUT}")
