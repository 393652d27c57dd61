"""A TLS proxy in front of Pebble 2.10 that records what the client asks and plays the faults
Pebble cannot make. ARI itself is Pebble's: its directory's `renewalInfo`, its windows (set per
certificate on its management port, `/set-renewal-info/`) and its checks of `replaces`.

What Pebble cannot do, and this proxy does:
- say which requests came (renewalInfo lookups, new orders and their `replaces`): the record file;
- be a CA without ARI or without profiles (Pebble 2.10 always lists `renewalInfo` and
  `meta.profiles`);
- answer renewalInfo with another Retry-After than Pebble's fixed 6 hours;
- be down, hold a request, refuse new orders with a problem, drip or flood an answer, or list
  other URLs in its directory.
The Host header is passed on, so Pebble writes the proxy's URLs into its answers and every later
request comes through here too.

The control file (JSON, read on every request) holds:
  "ari": false                       directory without renewalInfo (default true)
  "profiles": false                  directory without meta.profiles (default true)
  "retry_after": VALUE               Retry-After of renewalInfo answers, sent as given (default:
                                     Pebble's)
  "down": true                       close every connection unanswered, like a CA that is down
  "refuse_orders": {"status": 429, "type": "rateLimited", "detail": "...", "retry_after": S,
                    "instance": URL}
                                     answer every newOrder with this RFC 8555 problem (and a
                                     Retry-After header, an `instance` when given), as a CA's
                                     rate limit (or a paused account) does;
                                     with "replacing": true only the orders that name the
                                     certificate they replace (an alreadyReplaced refusal)
  "hold": "/path-prefix"             keep requests whose path starts with this waiting until
                                     the key changes, then drop them without passing them on
                                     (the test kills the client meanwhile)
  "drip": "/path-prefix"             answer such requests 200 with a large Content-Length, then
                                     one byte every half second, as a CA that drips its body
  "flood": "/path-prefix"            answer such requests 200 without a length, then endless
                                     bytes until the client hangs up, as a CA that floods
  "directory": {"name": "url", …}    entries that replace the directory's (e.g. an http:// URL)

Run as: python3 ca_proxy.py --port P --cert C --key K --upstream 127.0.0.1:PORT
--upstream-ca PEM --control FILE --record FILE.jsonl
"""

import argparse
import base64
import http.client
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD_LOCK = threading.Lock()
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length"}
# Where Pebble 2.10's directory puts `renewalInfo` (RFC 9773 §4.1 certIDs follow).
RENEWAL_INFO = "/draft-ietf-acme-ari-03/renewalInfo/"


def log(text):
    print(f"[ca-proxy] {text}", file=sys.stderr, flush=True)


def b64url_json(text):
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) or b"{}")


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None

    def control(self):
        try:
            with open(self.args.control) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def record(self, event):
        with RECORD_LOCK, open(self.args.record, "a") as f:
            f.write(json.dumps(event) + "\n")

    def reply(self, status, data, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def problem(self, status, kind, detail, headers=(), instance=None):
        doc = {"type": f"urn:ietf:params:acme:error:{kind}", "detail": detail, "status": status}
        if instance is not None:
            doc["instance"] = instance
        self.reply(status, json.dumps(doc).encode(), [("Content-Type", "application/problem+json"), *headers])

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        control = self.control()
        path = self.path
        if control.get("down"):
            self.record({"event": "down", "method": self.command, "path": path})
            self.close_connection = True
            return
        for mode, answer in (("drip", self.drip), ("flood", self.flood)):
            prefix = control.get(mode)
            if prefix and path.startswith(prefix):
                return answer()
        hold = control.get("hold")
        if hold and path.startswith(hold):
            self.record({"event": "held", "method": self.command, "path": path})
            while self.control().get("hold") == hold:
                time.sleep(0.05)
            self.close_connection = True
            return
        renewal_info = self.command == "GET" and path.startswith(RENEWAL_INFO)
        if renewal_info:
            self.record({"event": "renewalInfo", "certID": path[len(RENEWAL_INFO):]})
            if not control.get("ari", True):
                return self.problem(404, "malformed", "this CA has no renewal information")
        if self.command == "POST" and path == "/order-plz":
            payload = b64url_json(json.loads(body).get("payload", ""))
            replaces = payload.get("replaces")
            refuse = control.get("refuse_orders")
            if refuse and refuse.get("replacing") and not replaces:
                refuse = None
            self.record({"event": "newOrder", "replaces": replaces, "refused": bool(refuse)})
            if refuse:
                extra = []
                if "retry_after" in refuse:
                    extra.append(("Retry-After", str(refuse["retry_after"])))
                return self.problem(refuse.get("status", 429), refuse.get("type", "rateLimited"),
                                    refuse.get("detail", "too many new orders"), extra,
                                    refuse.get("instance"))
        status, headers, data = self.forward(body)
        if self.command == "GET" and path == "/dir":
            directory = json.loads(data)
            if not control.get("ari", True):
                directory.pop("renewalInfo", None)
            if not control.get("profiles", True):
                directory.get("meta", {}).pop("profiles", None)
            directory.update(control.get("directory", {}))
            data = json.dumps(directory).encode()
        if renewal_info and "retry_after" in control:
            headers = [(k, v) for k, v in headers if k.lower() != "retry-after"]
            headers.append(("Retry-After", str(control["retry_after"])))
        self.reply(status, data, headers)

    def drip(self):
        """Headers at once, then a byte every half second: the body never completes."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        sent = 0
        try:
            for _ in range(1200):
                self.wfile.write(b" ")
                self.wfile.flush()
                sent += 1
                time.sleep(0.5)
        except OSError:
            pass
        self.record({"event": "dripped", "path": self.path, "bytes": sent})
        self.close_connection = True

    def flood(self):
        """Headers at once, then bytes as fast as the client takes them, until it hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"[" * 65536
        sent = 0
        try:
            while sent < 8 << 30:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.record({"event": "flooded", "path": self.path, "bytes": sent})
        self.close_connection = True

    def forward(self, body):
        host, port = self.args.upstream.rsplit(":", 1)
        ctx = ssl.create_default_context(cafile=self.args.upstream_ca)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        try:
            conn.request(self.command, self.path, body=body if body else None, headers=headers)
            rsp = conn.getresponse()
            data = rsp.read()
            kept = [(k, v) for k, v in rsp.getheaders() if k.lower() not in HOP_HEADERS]
            return rsp.status, kept, data
        finally:
            conn.close()

    do_GET = do_POST = do_HEAD = handle_any

    def log_message(self, fmt, *a):
        log(f"{self.command} {self.path} -> " + (fmt % a))


def main(handler=Proxy):
    """Serves `handler` (this proxy, or a subclass such as hostile_ca.py's)."""
    p = argparse.ArgumentParser()
    for name in ["--cert", "--key", "--upstream", "--upstream-ca", "--control", "--record"]:
        p.add_argument(name, required=True)
    p.add_argument("--port", type=int, required=True)
    handler.args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", handler.args.port), handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(handler.args.cert, handler.args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    log(f"listening on https://127.0.0.1:{handler.args.port}, passing to {handler.args.upstream}")
    server.serve_forever()


if __name__ == "__main__":
    main()
