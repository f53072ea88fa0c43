#!/usr/bin/env python3
"""A read-only registry (distribution API v2) serving an OCI image layout,
with the auth handshakes registries use, for tests/oci/auth.sh. Standard
library only.

  fake_registry.py LAYOUT [--port N] [--port-file FILE] [--log FILE]
                   [--auth none|bearer|basic] [--user USER:PASS]
                   [--token-key token|access_token] [--tamper-manifest]

Serves every tag of LAYOUT/index.json (org.opencontainers.image.ref.name)
and every blob of LAYOUT/blobs/sha256, under any repository name:
  GET /v2/
  GET|HEAD /v2/REPO/manifests/TAG-OR-DIGEST   (Content-Type: the mediaType,
                                               Docker-Content-Digest)
  GET|HEAD /v2/REPO/blobs/DIGEST

--auth bearer: a /v2/ request without "Authorization: Bearer T", T a token
  granted for REPO, gets 401 with
  WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="fake",
  scope="repository:REPO:pull"; GET /token?service=fake&scope=... answers
  {"token": T} (or {"access_token": T} with --token-key access_token), and
  with --user only to matching HTTP Basic credentials (else 401).
--auth basic --user U:P: 401 with WWW-Authenticate: Basic realm="fake" unless
  the request carries the Basic credentials U:P.
--tamper-manifest: manifests go out with a wrong Docker-Content-Digest.

Listens on 127.0.0.1:N (N=0, the default: a free port). Once listening it
prints the port on stdout and, with --port-file, writes it there (atomically:
the file appears complete or not at all). --log appends one line per
request: METHOD PATH auth=none|basic:USER|basic:?|bearer:ok|bearer:bad STATUS.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO_RE = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
PATH_RE = re.compile(r"^/v2/(?P<repo>" + REPO_RE + r")/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
DIGEST_RE = re.compile(r"^sha256:([a-f0-9]{64})$")
SCOPE_RE = re.compile(r"^repository:(?P<repo>" + REPO_RE + r"):(?P<actions>[a-z,*]+)$")


class Layout:
    def __init__(self, root):
        self.root = root

    def blob_path(self, digest):
        m = DIGEST_RE.match(digest)
        if not m:
            return None
        p = os.path.join(self.root, "blobs", "sha256", m.group(1))
        return p if os.path.isfile(p) else None

    def read_blob(self, digest):
        p = self.blob_path(digest)
        if p is None:
            return None
        with open(p, "rb") as f:
            return f.read()

    def manifest(self, reference):
        """(bytes, media type, digest) of a tag or digest, or None."""
        with open(os.path.join(self.root, "index.json")) as f:
            index = json.load(f)
        for d in index.get("manifests", []):
            tag = d.get("annotations", {}).get("org.opencontainers.image.ref.name")
            if reference in (tag, d.get("digest")):
                data = self.read_blob(d["digest"])
                if data is not None:
                    return data, d.get("mediaType"), d["digest"]
        if DIGEST_RE.match(reference):
            data = self.read_blob(reference)
            if data is not None:
                try:
                    media = json.loads(data).get("mediaType")
                except (ValueError, AttributeError):
                    media = None
                if media:  # a manifest or index the layout holds, not a layer
                    return data, media, reference
        return None


def make_handler(opts, layout, state):
    class Handler(BaseHTTPRequestHandler):
        server_version = "fake-registry/1"

        def log_message(self, fmt, *args):  # quiet stderr; --log has the lines
            pass

        # --- answers -------------------------------------------------------
        def answer(self, status, body=b"", headers=None, send_body=True):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and self.command != "HEAD":
                self.wfile.write(body)
            self.log_line(status)

        def error(self, status, code, message, headers=None):
            body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
            h = {"Content-Type": "application/json"}
            h.update(headers or {})
            self.answer(status, body, h)

        def log_line(self, status):
            if opts.log:
                with state["lock"], open(opts.log, "a") as f:
                    f.write("%s %s auth=%s %d\n" % (self.command, self.path, self.auth_summary(), status))

        # --- credentials ---------------------------------------------------
        def basic_user(self):
            """(user, password) of a Basic Authorization header, or None."""
            h = self.headers.get("Authorization", "")
            if not h.lower().startswith("basic "):
                return None
            try:
                user, _, password = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return ("?", None)
            return user, password

        def bearer_token(self):
            h = self.headers.get("Authorization", "")
            return h[7:].strip() if h.lower().startswith("bearer ") else None

        def auth_summary(self):
            h = self.headers.get("Authorization")
            if not h:
                return "none"
            b = self.basic_user()
            if b is not None:
                return "basic:" + b[0]
            t = self.bearer_token()
            if t is not None:
                return "bearer:" + ("ok" if t in state["tokens"] else "bad")
            return "other"

        def credentials_match(self):
            b = self.basic_user()
            return b is not None and opts.user is not None and "%s:%s" % b == opts.user

        def authorized(self, repo):
            """True, or a 401 has been sent."""
            if opts.auth == "none":
                return True
            if opts.auth == "basic":
                if self.credentials_match():
                    return True
                self.error(401, "UNAUTHORIZED", "authentication required",
                           {"WWW-Authenticate": 'Basic realm="fake"'})
                return False
            token = self.bearer_token()
            granted = state["tokens"].get(token) if token is not None else None
            if granted is not None and (repo is None or repo in granted):
                return True
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="fake"' % state["port"]
            if repo is not None:
                challenge += ',scope="repository:%s:pull"' % repo
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": challenge})
            return False

        # --- the token endpoint ----------------------------------------------
        def token(self, query):
            q = urllib.parse.parse_qs(query)
            if q.get("service") != ["fake"]:
                return self.error(400, "DENIED", "unknown service %r" % q.get("service"))
            scopes = []
            for s in q.get("scope", []):
                scopes += s.split(" ")
            repos = set()
            for s in scopes:
                m = SCOPE_RE.match(s)
                if not m:
                    return self.error(400, "DENIED", "malformed scope %r" % s)
                if "pull" in m.group("actions").split(","):
                    repos.add(m.group("repo"))
            if not repos:
                return self.error(400, "DENIED", "no pull scope in the token request")
            if opts.user is not None and not self.credentials_match():
                return self.error(401, "UNAUTHORIZED", "bad or missing credentials",
                                  {"WWW-Authenticate": 'Basic realm="fake-token"'})
            t = "fake-" + secrets.token_hex(16)
            with state["lock"]:
                state["tokens"][t] = repos
            body = json.dumps({opts.token_key: t, "expires_in": 300}).encode()
            self.answer(200, body, {"Content-Type": "application/json"})

        # --- the API ---------------------------------------------------------
        def do_GET(self):
            self.serve()

        def do_HEAD(self):
            self.serve()

        def serve(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/token" and opts.auth == "bearer" and self.command == "GET":
                return self.token(url.query)
            if url.path == "/v2/":
                if self.authorized(None):
                    self.answer(200, b"{}", {"Content-Type": "application/json",
                                             "Docker-Distribution-API-Version": "registry/2.0"})
                return
            m = PATH_RE.match(url.path)
            if not m:
                return self.error(404, "NOT_FOUND", "no such endpoint")
            repo, kind, ref = m.group("repo"), m.group("kind"), m.group("ref")
            if not self.authorized(repo):
                return
            if kind == "manifests":
                found = layout.manifest(ref)
                if found is None:
                    return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                data, media, digest = found
                if opts.tamper_manifest:
                    digest = "sha256:" + hashlib.sha256(data + b"tampered").hexdigest()
                return self.answer(200, data, {"Content-Type": media or "application/octet-stream",
                                               "Docker-Content-Digest": digest})
            data = layout.read_blob(ref)
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            self.answer(200, data, {"Content-Type": "application/octet-stream",
                                    "Docker-Content-Digest": ref})

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("layout")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--log")
    p.add_argument("--auth", choices=["none", "bearer", "basic"], default="none")
    p.add_argument("--user", help="USER:PASS the registry (basic) or its token endpoint (bearer) wants")
    p.add_argument("--token-key", choices=["token", "access_token"], default="token")
    p.add_argument("--tamper-manifest", action="store_true")
    opts = p.parse_args()
    if opts.auth == "basic" and opts.user is None:
        p.error("--auth basic needs --user USER:PASS")
    if opts.user is not None and ":" not in opts.user:
        p.error("--user wants USER:PASS")
    if not os.path.isfile(os.path.join(opts.layout, "index.json")):
        p.error("%s has no index.json" % opts.layout)

    state = {"tokens": {}, "lock": threading.Lock(), "port": 0}
    server = ThreadingHTTPServer(("127.0.0.1", opts.port), make_handler(opts, Layout(opts.layout), state))
    server.daemon_threads = True
    state["port"] = server.server_address[1]  # bound and listening from here on
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % state["port"])
        os.replace(tmp, opts.port_file)
    print(state["port"], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
