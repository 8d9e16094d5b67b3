#!/usr/bin/env python3
"""An HTTP server that answers every POST with the SHA-256 of its body.

    sha256_http_server.py ADDR PORT

The reply body is "HEXDIGEST LENGTH\\n"; status 200 if the whole body
announced by Content-Length arrived, 400 if the connection ended early.
The e2e tests run it on the kernel's side to check uploads made under the
shim without storing them.  Prints "listening on ADDR:PORT" once bound.
"""
import hashlib
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    # Bounds every read and write, so a stalled client cannot hang a test.
    timeout = 30

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        digest = hashlib.sha256()
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
        body = f"{digest.hexdigest()} {length - left}\n".encode()
        self.send_response(200 if left == 0 else 400)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sha256_http_server.py ADDR PORT")
    server = HTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
    print(f"listening on {sys.argv[1]}:{sys.argv[2]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
