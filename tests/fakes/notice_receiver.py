#!/usr/bin/env python3
"""An HTTPS receiver of certdesk's notice channels for the e2e tests (tests/e2e/notify.rs).

Each path plays one service and accepts only the payload that service documents:
  POST /webhook       certdesk's generic webhook: application/json with event, subject, text and
                      certificates, signed in X-Certdesk-Signature (sha256=HMAC-SHA256 of the body
                      under --secret); 401 for a bad signature.
  POST /slack/...     Slack's incoming webhook: application/json {"text": non-empty}; answers
                      "ok" like Slack, 400 "invalid_payload" / "no_text" otherwise.
  POST /teams/...     Teams (Workflows or incoming webhook): application/json
                      {"type": "message", "attachments": [{"contentType":
                      "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard",
                      "version", "body": [...]}}]}; answers 202 like Workflows.
  POST /ntfy/TOPIC    ntfy's publish: Authorization: Bearer --token, a text body, Title and a
                      valid Priority; answers the message as JSON like ntfy, 401 otherwise.
  POST /fail          always 500.
  POST /moved         always 302 to /webhook.
Every request is written to --dir as accepted-N.json or rejected-N.json (method, path, headers,
body, why) for the test to read.
"""

import argparse
import hashlib
import hmac
import itertools
import json
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NTFY_PRIORITIES = {"1", "2", "3", "4", "5", "min", "low", "default", "high", "max", "urgent"}

args = None
counter = itertools.count(1)
lock = threading.Lock()


class Refused(Exception):
    def __init__(self, status, body):
        super().__init__(body)
        self.status = status
        self.body = body


def json_body(headers, body):
    ctype = headers.get("Content-Type", "")
    if ctype.split(";")[0].strip() != "application/json":
        raise Refused(400, "invalid_payload: content type %r is not application/json" % ctype)
    try:
        value = json.loads(body)
    except ValueError as e:
        raise Refused(400, "invalid_payload: not JSON (%s)" % e)
    if not isinstance(value, dict):
        raise Refused(400, "invalid_payload: not a JSON object")
    return value


def webhook(headers, body):
    given = headers.get("X-Certdesk-Signature", "")
    expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise Refused(401, "bad signature: X-Certdesk-Signature does not match the body")
    value = json_body(headers, body)
    for key, kind in (("event", str), ("subject", str), ("text", str), ("certificates", list)):
        if not isinstance(value.get(key), kind):
            raise Refused(400, "missing or wrong field %r" % key)
    for cert in value["certificates"]:
        if not isinstance(cert.get("id"), str) or not isinstance(cert.get("names"), list):
            raise Refused(400, "a certificate without id and names")
    if headers.get("X-Certdesk-Event") != value["event"]:
        raise Refused(400, "X-Certdesk-Event is not the body's event")
    return 200, "application/json", '{"received": true}'


def slack(headers, body):
    value = json_body(headers, body)
    if not isinstance(value.get("text"), str) or not value["text"].strip():
        raise Refused(400, "no_text")
    return 200, "text/plain", "ok"


def teams(headers, body):
    value = json_body(headers, body)
    if value.get("type") != "message":
        raise Refused(400, 'the payload\'s "type" must be "message"')
    attachments = value.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        raise Refused(400, "the message has no attachments")
    for a in attachments:
        if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
            raise Refused(400, "an attachment that is not an Adaptive Card")
        card = a.get("content") or {}
        if card.get("type") != "AdaptiveCard" or not isinstance(card.get("version"), str):
            raise Refused(400, "content is not an AdaptiveCard with a version")
        blocks = card.get("body")
        if not isinstance(blocks, list) or not blocks:
            raise Refused(400, "the card has no body")
        for b in blocks:
            if b.get("type") == "TextBlock" and not isinstance(b.get("text"), str):
                raise Refused(400, "a TextBlock without text")
    return 202, "text/plain", ""


def ntfy(path, headers, body):
    if headers.get("Authorization", "") != "Bearer " + args.token:
        raise Refused(401, '{"code":40101,"http":401,"error":"unauthorized"}')
    topic = path.split("/", 2)[2]
    if not topic or "/" in topic:
        raise Refused(404, '{"code":40401,"http":404,"error":"page not found"}')
    if not headers.get("Title"):
        raise Refused(400, "no Title")
    if headers.get("Priority", "default") not in NTFY_PRIORITIES:
        raise Refused(400, '{"code":40007,"http":400,"error":"invalid priority"}')
    if not headers.get("Content-Type", "").startswith("text/plain") or not body.strip():
        raise Refused(400, "not a text message")
    answer = {"id": "t%d" % os.getpid(), "event": "message", "topic": topic,
              "title": headers["Title"], "message": body.decode()}
    return 200, "application/json", json.dumps(answer)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        print(fmt % a, flush=True)

    def answer(self, status, ctype, text, extra=()):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, kind, body, why):
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                 "body": body.decode("utf-8", "replace"), "why": why}
        with lock:
            n = next(counter)
        name = "%s-%d.json" % (kind, n)
        tmp = os.path.join(args.dir, "." + name)
        with open(tmp, "w") as f:
            json.dump(entry, f)
        os.rename(tmp, os.path.join(args.dir, name))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        path = self.path
        try:
            if path == "/fail":
                raise Refused(500, "receiver broke: on purpose")
            if path == "/moved":
                self.record("rejected", body, "moved")
                return self.answer(302, "text/plain", "", [("Location", "/webhook")])
            if path == "/webhook":
                status, ctype, text = webhook(self.headers, body)
            elif path.startswith("/slack/"):
                status, ctype, text = slack(self.headers, body)
            elif path.startswith("/teams/"):
                status, ctype, text = teams(self.headers, body)
            elif path.startswith("/ntfy/"):
                status, ctype, text = ntfy(path, self.headers, body)
            else:
                raise Refused(404, "no such hook")
        except Refused as r:
            self.record("rejected", body, r.body)
            return self.answer(r.status, "text/plain", r.body)
        self.record("accepted", body, "")
        self.answer(status, ctype, text)

    def do_GET(self):
        self.answer(405, "text/plain", "POST only")


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--token", required=True)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
