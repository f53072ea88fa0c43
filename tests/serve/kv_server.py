#!/usr/bin/env python3
"""A tiny key-value HTTP server on loopback for the outbound-store tests
(examples/compose's store with STORE_URL).

  kv_server.py PORT_FILE [SECONDS]

Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE, and
serves until SECONDS (default 300) have passed:
  GET  /PATH  -> 200 with the stored body, 404 if none
  PUT  /PATH  -> 204 and stores the body (at most 2 MiB)
Every request is logged to stderr as "METHOD PATH LENGTH"."""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            body = DATA.get(self.path)
        sys.stderr.write(f"GET {self.path} {len(body) if body is not None else -1}\n")
        sys.stderr.flush()
        if body is None:
            self._answer(404, b"no such key")
        else:
            self._answer(200, body)

    def do_PUT(self):
        length = int(self.headers.get("content-length") or 0)
        if length > 2 << 20:
            self._answer(413, b"too large")
            return
        body = self.rfile.read(length)
        with LOCK:
            DATA[self.path] = body
        sys.stderr.write(f"PUT {self.path} {len(body)}\n")
        sys.stderr.flush()
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()


def main():
    port_file = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    timer = threading.Timer(seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
