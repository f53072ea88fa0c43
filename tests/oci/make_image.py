#!/usr/bin/env python3
"""Builds OCI image layouts by hand (tar + config + manifest + index), the
way docker/buildah lay out a `FROM scratch` image, for the oci tests.

  make_image.py container LAYOUT TAG [--file SRC:DEST]... [--link DEST:TARGET]... [--entrypoint JSON]
                [--cmd JSON] [--env NAME=VALUE]... [--workdir DIR] [--plain-tar]
                [--platform OS/ARCH]
  make_image.py artifact LAYOUT TAG [--file SRC:TITLE]...
  make_image.py hostile LAYOUT TAG KIND     (absolute, dotdot, symlink-out,
                through-link, device, bomb, hardlink-out)

Each tag is added to LAYOUT/index.json (the layout is made if missing).
"""
import argparse, gzip, hashlib, io, json, os, sys, tarfile


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def add_manifest(layout, tag, manifest):
    data = json.dumps(manifest).encode()
    desc = put_blob(layout, data)
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", **desc,
            "annotations": {"org.opencontainers.image.ref.name": tag}}
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    if os.path.exists(index_path):
        index = json.load(open(index_path))
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append(desc)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(index_path, "w") as f:
        json.dump(index, f)
    return desc


def tar_bytes(add_entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        add_entries(t)
    return buf.getvalue()


def add_file(t, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    t.addfile(info, io.BytesIO(data))


def add_special(t, name, kind, target=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    t.addfile(info)


def container(layout, tag, layers, config, gz=True, platform="wasip1/wasm"):
    layer_descs, diff_ids = [], []
    for raw in layers:
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        data = gzip.compress(raw) if gz else raw
        media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
        layer_descs.append({"mediaType": media, **put_blob(layout, data)})
    os_name, arch = platform.split("/")
    cfg = {"architecture": arch, "os": os_name, "config": config,
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cfg_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
                **put_blob(layout, json.dumps(cfg).encode())}
    return add_manifest(layout, tag, {"schemaVersion": 2,
                                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                      "config": cfg_desc, "layers": layer_descs})


# Hostile images of several layers (from a review of the unpacker).
CLIMB = "b/" * 16 + "../" * 16  # lexically back at the root; really 16 levels above it
STUB = b"\0asm\1\0\0\0"


def entry_link(t, name, target):
    add_special(t, name, tarfile.SYMTYPE, target)


def wasm_layer(layout, title, data):
    return {"mediaType": "application/vnd.wasm.content.layer.v1+wasm", **put_blob(layout, data),
            "annotations": {"org.opencontainers.image.title": title}}


def layered(layout, tag, parts, config):
    """parts: tar bytes (a gzip layer) or a ready descriptor (a wasm layer)."""
    descs = [p if isinstance(p, dict) else
             {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **put_blob(layout, gzip.compress(p))}
             for p in parts]
    cfg = {"architecture": "wasm", "os": "wasip1", "config": config}
    cfg_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
                **put_blob(layout, json.dumps(cfg).encode())}
    add_manifest(layout, tag, {"schemaVersion": 2,
                               "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": cfg_desc, "layers": descs})


def link_climb(layout, tag):
    # b -> ".", then module.wasm -> b/b/../../..: a wasm layer written there
    # would land outside the cache.
    def entries(t):
        entry_link(t, "b", ".")
        entry_link(t, "module.wasm", CLIMB + "tmp/weft-escape-climb")
    layered(layout, tag, [tar_bytes(entries), wasm_layer(layout, "module.wasm", STUB)], {})


def link_over_wasm(layout, tag):
    # No Entrypoint; a later layer makes the module's name a link out.
    def entries(t):
        entry_link(t, "module.wasm", "../../../../../../../../etc/hostname")
    layered(layout, tag, [wasm_layer(layout, "module.wasm", STUB), tar_bytes(entries)], {})


def skip_bomb(layout, tag):
    # Data on entries the unpacker skips ("." and a whiteout) counts too.
    def entries(t):
        add_file(t, ".", bytes(24 << 20))
        add_file(t, ".wh.x", bytes(24 << 20))
        add_file(t, "app.wasm", STUB)
    layered(layout, tag, [tar_bytes(entries)], {"Entrypoint": ["/app.wasm"]})


def opaque_order(layout, tag):
    # An opaque whiteout empties its directory of the lower layers' files,
    # not of its own layer's.
    def lower(t):
        add_file(t, "d/lower", b"1")
        add_file(t, "app.wasm", STUB)
    def upper(t):
        add_file(t, "d/keep", b"2")
        add_file(t, "d/.wh..wh..opq", b"")
    layered(layout, tag, [tar_bytes(lower), tar_bytes(upper)], {"Entrypoint": ["/app.wasm"]})


def toml_grant(layout, tag):
    # An image's weft.toml granting a host directory.
    toml = (b'[app]\nname = "evil"\n[[route]]\npath = "/..."\nservice = "svc"\n'
            b'[service.svc]\nsource = "app.wasm"\nfiles = [{ host = "/etc", guest = "/etc" }]\n')
    def entries(t):
        add_file(t, "app.wasm", STUB)
        add_file(t, "weft.toml", toml)
    layered(layout, tag, [tar_bytes(entries)], {})


MULTI_LAYER = {"link-climb": link_climb, "link-over-wasm": link_over_wasm, "skip-bomb": skip_bomb,
               "opaque-order": opaque_order, "toml-grant": toml_grant}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind")
    p.add_argument("layout")
    p.add_argument("tag")
    p.add_argument("what", nargs="?")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--link", action="append", default=[])  # DEST:TARGET, a symbolic link
    p.add_argument("--entrypoint")
    p.add_argument("--cmd")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir")
    p.add_argument("--plain-tar", action="store_true")
    # docker build's FROM scratch image on amd64 says linux/amd64, which is
    # what containerd unpacks by default.
    p.add_argument("--platform", default="wasip1/wasm")
    a = p.parse_args()
    os.makedirs(a.layout, exist_ok=True)
    if a.kind == "container":
        def entries(t):
            for spec in a.file:
                src, dest = spec.split(":", 1)
                add_file(t, dest.lstrip("/"), open(src, "rb").read(), 0o755)
            for spec in a.link:
                dest, target = spec.split(":", 1)
                add_special(t, dest.lstrip("/"), tarfile.SYMTYPE, target)
        config = {}
        if a.entrypoint: config["Entrypoint"] = json.loads(a.entrypoint)
        if a.cmd: config["Cmd"] = json.loads(a.cmd)
        if a.env: config["Env"] = a.env
        if a.workdir: config["WorkingDir"] = a.workdir
        container(a.layout, a.tag, [tar_bytes(entries)], config, gz=not a.plain_tar,
                  platform=a.platform)
    elif a.kind == "artifact":
        layers = []
        for spec in a.file:
            src, title = spec.split(":", 1)
            media = ("application/vnd.weft.manifest.v1+toml" if title.endswith(".toml")
                     else "application/wasm")
            layers.append({"mediaType": media, **put_blob(a.layout, open(src, "rb").read()),
                           "annotations": {"org.opencontainers.image.title": title}})
        cfg = json.dumps({"architecture": "wasm", "os": "wasip1"}).encode()
        add_manifest(a.layout, a.tag, {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.wasm.config.v0+json",
            "config": {"mediaType": "application/vnd.wasm.config.v0+json", **put_blob(a.layout, cfg)},
            "layers": layers})
    elif a.kind == "hostile" and a.what in MULTI_LAYER:
        MULTI_LAYER[a.what](a.layout, a.tag)
    elif a.kind == "hostile":
        wasm = b"\0asm\1\0\0\0"
        def entries(t):
            add_file(t, "app.wasm", wasm)
            if a.what == "absolute":
                add_file(t, "/tmp/weft-escape-absolute", b"x")
            elif a.what == "dotdot":
                add_file(t, "a/../../weft-escape-dotdot", b"x")
            elif a.what == "symlink-out":
                add_special(t, "out", tarfile.SYMTYPE, "../../../../../../tmp")
            elif a.what == "absolute-symlink":
                add_special(t, "etc", tarfile.SYMTYPE, "/etc")
            elif a.what == "through-link":
                add_special(t, "d", tarfile.SYMTYPE, ".")
                add_file(t, "d/x", b"x")
            elif a.what == "device":
                info = tarfile.TarInfo("dev/null")
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = 1, 3
                t.addfile(info)
            elif a.what == "hardlink-out":
                add_special(t, "passwd", tarfile.LNKTYPE, "../../../../etc/passwd")
            elif a.what == "bomb":
                # 64 MiB of zeros: a few KiB gzipped; the test lowers the
                # unpack cap (WEFT_OCI_MAX_UNPACK_MB) below it.
                add_file(t, "zeros", bytes(64 << 20))
            else:
                sys.exit("unknown hostile kind " + str(a.what))
        container(a.layout, a.tag, [tar_bytes(entries)], {"Entrypoint": ["/app.wasm"]})
    else:
        sys.exit("unknown kind " + a.kind)


main()
