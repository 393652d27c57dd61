"""A CA that sends what no honest CA sends, or what another ACME server does differently: Pebble
behind ca_proxy.py (whose control keys still apply), with Pebble's answers rewritten.

The control file (JSON, read on every request) may also hold:
  "token": TEXT                every challenge of every authorization and challenge answer
                               carries this token instead of Pebble's (e.g. "../../../victim.txt")
  "extra_authz": NAME          every order lists one more authorization, for NAME: pending, with
                               an http-01 and a dns-01 challenge, served by this proxy
  "pending_when_invalid": true an invalid order is shown `pending` without its error, as
                               acme2certifier leaves it after a failed validation (RFC 8555
                               §7.5.1 has clients poll the authorizations instead); recorded as
                               {"event": "shown_pending"}
  "silent_invalid": true       challenges are shown without their error: an invalid
                               authorization with no reason given
  "plain_urls": {"in": [PLACE, …], "base": "http://HOST:PORT"}
                               the URLs of the answers named (PLACE: "directory", every entry;
                               "order", its authorizations, finalize and certificate;
                               "authorization", its challenges) point at BASE, a plain http://
                               origin, instead of this proxy: a CA (or someone on the way) that
                               hands out URLs no client may follow

Records {"event": "answer", "path": P} for every challenge answer (a POST with a payload to a
challenge URL, Pebble's or the extra authorization's): the CA was told to validate.

Run with the same arguments as ca_proxy.py.
"""

import http.client
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ca_proxy import Proxy, main  # noqa: E402

EXTRA = "/hostile/"
# A well-formed token: the extra authorization is refused for its name alone.
EXTRA_TOKEN = "hostileExtraAuthorizationToken0123456789abc"


class Hostile(Proxy):
    def forward(self, body):
        control = self.control()
        if self.command == "POST" and self.is_answer(body):
            self.record({"event": "answer", "path": self.path})
        if self.path.startswith(EXTRA) and control.get("extra_authz"):
            return self.extra(control["extra_authz"])
        status, headers, data = super().forward(body)
        try:
            obj = json.loads(data)
        except ValueError:
            return status, headers, data
        if isinstance(obj, dict) and self.rewrite(obj, control):
            data = json.dumps(obj).encode()
        return status, headers, data

    def is_answer(self, body):
        """A POST with a payload to a challenge URL: RFC 8555 §7.5.1's "ready to validate"."""
        if not (self.path.startswith("/chalZ/") or self.path.startswith(EXTRA + "chall")):
            return False
        try:
            return json.loads(body).get("payload", "") != ""
        except ValueError:
            return False

    def rewrite(self, obj, control):
        """Rewrites one of Pebble's answers in place; whether anything changed."""
        changed = self.plain(obj, control.get("plain_urls") or {})
        token = control.get("token")
        for ch in obj.get("challenges", []):
            if token is not None:
                ch["token"] = token
                changed = True
            if control.get("silent_invalid") and ch.pop("error", None) is not None:
                changed = True
        if token is not None and "token" in obj and "type" in obj:
            obj["token"] = token
            changed = True
        if "finalize" in obj:
            if control.get("extra_authz"):
                obj["authorizations"].append(f"https://{self.headers['Host']}{EXTRA}authz")
                changed = True
            if control.get("pending_when_invalid") and obj.get("status") == "invalid":
                obj["status"] = "pending"
                obj.pop("error", None)
                self.record({"event": "shown_pending", "path": self.path})
                changed = True
        return changed

    def plain(self, obj, plain):
        """Points the URLs of a directory, order or authorization named in `plain["in"]` at
        `plain["base"]`; whether anything changed."""
        if "newNonce" in obj:
            place, keys = "directory", [k for k in obj if k != "meta"]
        elif "finalize" in obj:
            place, keys = "order", ["authorizations", "finalize", "certificate"]
        elif "challenges" in obj and "identifier" in obj:
            place, keys = "authorization", []
        else:
            return False
        if place not in plain.get("in", []):
            return False
        origin = f"https://{self.headers['Host']}"

        def swap(url):
            if isinstance(url, list):
                return [swap(u) for u in url]
            if isinstance(url, str) and url.startswith(origin):
                return plain["base"] + url[len(origin):]
            return url

        for key in keys:
            if key in obj:
                obj[key] = swap(obj[key])
        for ch in obj.get("challenges", []) if place == "authorization" else []:
            ch["url"] = swap(ch["url"])
        return True

    def extra(self, name):
        """The extra authorization (or one of its challenges), with a fresh nonce from Pebble."""
        base = f"https://{self.headers['Host']}{EXTRA}"
        challenges = [
            {"type": kind, "url": f"{base}chall/{kind}", "token": EXTRA_TOKEN, "status": "pending"}
            for kind in ["http-01", "dns-01"]
        ]
        if self.path.startswith(EXTRA + "chall/"):
            kind = self.path.rsplit("/", 1)[-1]
            obj = next(c for c in challenges if c["type"] == kind)
        else:
            obj = {
                "status": "pending",
                "identifier": {"type": "dns", "value": name},
                "expires": "2099-01-01T00:00:00Z",
                "challenges": challenges,
            }
        headers = [("Content-Type", "application/json"), ("Replay-Nonce", self.nonce())]
        return 200, headers, json.dumps(obj).encode()

    def nonce(self):
        host, port = self.args.upstream.rsplit(":", 1)
        ctx = ssl.create_default_context(cafile=self.args.upstream_ca)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
        try:
            conn.request("HEAD", "/nonce-plz")
            rsp = conn.getresponse()
            rsp.read()
            return rsp.getheader("Replay-Nonce")
        finally:
            conn.close()


if __name__ == "__main__":
    main(Hostile)
