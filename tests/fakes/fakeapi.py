"""The base of certdesk's local stand-ins for DNS providers' HTTPS APIs.

Each provider's fake (tests/fakes/<provider>.py) subclasses `Handler`, checks every request
against the provider's published API (method, path, auth headers, body) and answers as the
provider documents, errors included. TXT records it holds are mirrored into the test's BIND
(`mirror_txt`), so that Pebble, which resolves through that BIND, sees what certdesk published.

Run as: python3 <provider>.py --port P --cert C --key K --bind 127.0.0.1:PORT --tsig NAME:SECRET
[--state FILE.json] plus the fake's own options. Requests the fake refuses are logged to stderr
with the reason, which the Rust test prints when it fails.
"""

import argparse
import json
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def arguments(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--bind", required=True, help="BIND's 127.0.0.1:PORT")
    p.add_argument("--tsig", required=True, help="NAME:BASE64SECRET (hmac-sha256)")
    if extra:
        extra(p)
    return p.parse_args()


LOCK = threading.Lock()


def mirror_txt(args, fqdn, values):
    """Makes BIND's TXT set at `fqdn` exactly `values` (the fake's own view of the name)."""
    host, port = args.bind.rsplit(":", 1)
    name, secret = args.tsig.split(":", 1)
    fqdn = fqdn.rstrip(".") + "."
    lines = [f"server {host} {port}", f"key hmac-sha256:{name} {secret}", f"update delete {fqdn} TXT"]
    for v in values:
        lines.append(f'update add {fqdn} 60 TXT "{v}"')
    lines.append("send")
    with LOCK:
        r = subprocess.run(["nsupdate"], input="\n".join(lines) + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        log(f"nsupdate failed: {r.stderr}")


def log(text):
    print(f"[fake] {text}", file=sys.stderr, flush=True)


class Refused(Exception):
    """A request that does not match the provider's API: answered with `status` and `body`."""

    def __init__(self, status, body, reason):
        super().__init__(reason)
        self.status = status
        self.body = body
        self.reason = reason


class Handler(BaseHTTPRequestHandler):
    """Dispatches to `route(method, path, query, headers, body)`, which returns
    (status, body-object-or-str[, extra headers]) or raises Refused."""

    protocol_version = "HTTP/1.1"
    args = None  # set by serve()

    def _handle(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            out = self.route(self.command, url.path, parse_qs(url.query, keep_blank_values=True), self.headers, raw)
        except Refused as r:
            log(f"refused {self.command} {url.path}: {r.reason}")
            out = (r.status, r.body)
        except Exception as e:  # a bug in the fake: say so loudly
            log(f"fake crashed on {self.command} {url.path}: {e!r}")
            out = (500, {"fake_error": repr(e)})
        status, body = out[0], out[1]
        headers = out[2] if len(out) > 2 else {}
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        data = data.encode() if isinstance(data, str) else data
        self.send_response(status)
        ctype = headers.pop("Content-Type", "application/json") if isinstance(headers, dict) else "application/json"
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, fmt, *a):
        log(f"{self.command} {self.path.split('?')[0]} -> " + (fmt % a))

    def route(self, method, path, query, headers, body):
        raise Refused(404, {"error": "not found"}, "no route")


def serve(handler_class, args):
    handler_class.args = args
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_class)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    log(f"listening on https://127.0.0.1:{args.port}")
    server.serve_forever()
