"""A stand-in for GoDaddy's Domains API v1 (https://developer.godaddy.com/doc/endpoint/domains),
the parts a DNS-01 client uses: list domains, get a domain, and the records of one type and
name (GET, PUT replacing the whole set, DELETE). Errors are GoDaddy's {code, message, fields?}
(429 adds retryAfterSec).

Own options: --api-key K --api-secret S (the credentials it accepts); --domain NAME (the account's
domains, repeatable); --txt FQDN=VALUE (foreign TXT records present from the start, mirrored to
BIND); --rate-limit (every call is answered 429); --access-denied (every call is answered 403
ACCESS_DENIED, as GoDaddy answers accounts it keeps out of the API); --state FILE (the TXT
records, rewritten after every change).
"""

import json
import re
import threading

from fakeapi import Handler, Refused, arguments, log, mirror_txt, serve

MIN_TTL = 600
RECORD_FIELDS = {"data", "port", "priority", "protocol", "service", "ttl", "weight"}
SSO_KEY = re.compile(r"^sso-key ([^:\s]+):(\S+)$")


def extra(p):
    p.add_argument("--api-key", required=True)
    p.add_argument("--api-secret", required=True)
    p.add_argument("--domain", action="append", default=[])
    p.add_argument("--txt", action="append", default=[])
    p.add_argument("--rate-limit", action="store_true")
    p.add_argument("--access-denied", action="store_true")
    p.add_argument("--state")


def error(status, code, message, fields=None, reason=None, **more):
    body = {"code": code, "message": message, **more}
    if fields:
        body["fields"] = fields
    return Refused(status, body, reason or f"{code}: {message}")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.domains = [d.lower() for d in args.domain]
        self.txt = {}  # (domain, relative name) -> [{"data", "ttl"}]
        for item in args.txt:
            fqdn, value = item.split("=", 1)
            fqdn = fqdn.lower()
            domain = next((d for d in self.domains if fqdn == d or fqdn.endswith("." + d)), None)
            if domain is None:
                raise SystemExit(f"--txt {fqdn}: no domain of the fake holds it")
            name = "@" if fqdn == domain else fqdn[: -len(domain) - 1]
            self.txt.setdefault((domain, name), []).append({"data": value, "ttl": 3600})
            self.sync(domain, name)

    def sync(self, domain, name):
        """Mirrors the name's TXT set into BIND and the whole TXT state into --state."""
        fqdn = domain if name == "@" else f"{name}.{domain}"
        mirror_txt(self.args, fqdn, [r["data"] for r in self.txt.get((domain, name), [])])
        if self.args.state:
            out = {}
            for (d, n), records in self.txt.items():
                if records:
                    out[d if n == "@" else f"{n}.{d}"] = [r["data"] for r in records]
            with open(self.args.state, "w") as f:
                json.dump(out, f)


def domain_json(name, i):
    return {
        "domain": name,
        "domainId": 1000 + i,
        "status": "ACTIVE",
        "expires": "2030-01-01T00:00:00.000Z",
        "renewAuto": True,
        "locked": True,
        "privacy": False,
        "nameServers": ["ns01.domaincontrol.com", "ns02.domaincontrol.com"],
    }


class GoDaddy(Handler):
    state = None

    def authenticate(self, headers):
        auth = headers.get("Authorization")
        if auth is None:
            raise error(401, "MISSING_CREDENTIALS", "Unauthorized : Credentials must be specified")
        m = SSO_KEY.match(auth)
        if not m:
            raise error(401, "MALFORMED_CREDENTIALS", "Unauthorized : Could not authenticate API key/secret", reason=f"malformed Authorization header")
        if (m.group(1), m.group(2)) != (self.args.api_key, self.args.api_secret):
            raise error(401, "UNABLE_TO_AUTHENTICATE", "Unauthorized : Could not authenticate API key/secret")

    def route(self, method, path, query, headers, body):
        if self.args.rate_limit:
            raise error(429, "TOO_MANY_REQUESTS", "Too many requests received within interval", retryAfterSec=30)
        self.authenticate(headers)
        if self.args.access_denied:
            raise error(403, "ACCESS_DENIED", "Authenticated user is not allowed access")
        st = self.state
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", "domains"]:
            raise error(404, "NOT_FOUND", "The requested resource was not found", reason=f"no route {path}")

        if method == "GET" and len(parts) == 2:
            for key in query:
                if key not in {"statuses", "statusGroups", "limit", "marker", "includes", "modifiedDate"}:
                    raise error(422, "INVALID_QUERY", f"Unknown query parameter {key}")
            limit = int(query.get("limit", ["1000"])[0])
            return 200, [domain_json(d, i) for i, d in enumerate(sorted(st.domains))][:limit]

        if len(parts) < 3:
            raise error(404, "NOT_FOUND", "The requested resource was not found", reason=f"no route {path}")
        domain = parts[2].lower()
        if method == "GET" and len(parts) == 3:
            if domain not in st.domains:
                raise error(404, "NOT_FOUND", f"Domain {domain} not found")
            return 200, domain_json(domain, st.domains.index(domain))

        if len(parts) != 6 or parts[3] != "records":
            raise error(404, "NOT_FOUND", "The requested resource was not found", reason=f"no route {method} {path}")
        if domain not in st.domains:
            raise error(404, "UNKNOWN_DOMAIN", "The given domain is not registered, or does not have a zone file")
        rtype, name = parts[4], parts[5].lower()
        if rtype != "TXT":
            raise error(422, "INVALID_TYPE", f"This fake only holds TXT records, not {rtype}")
        key = (domain, name)

        with st.lock:
            if method == "GET":
                for q in query:
                    if q not in {"offset", "limit"}:
                        raise error(422, "INVALID_QUERY", f"Unknown query parameter {q}")
                return 200, [{"data": r["data"], "name": name, "ttl": r["ttl"], "type": "TXT"} for r in st.txt.get(key, [])]
            if method == "PUT":
                records = self.parse_records(headers, body)
                st.txt[key] = records
                st.sync(domain, name)
                log(f"replaced TXT {name}.{domain} with {[r['data'] for r in records]}")
                return 200, ""
            if method == "DELETE":
                if not st.txt.get(key):
                    raise error(404, "NOT_FOUND", f"No TXT records named {name} in {domain}")
                st.txt[key] = []
                st.sync(domain, name)
                log(f"deleted TXT {name}.{domain}")
                return 204, ""
        raise error(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here")

    def parse_records(self, headers, body):
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            raise error(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
        try:
            records = json.loads(body)
        except ValueError:
            raise error(422, "INVALID_BODY", "Request body is not JSON")
        if not isinstance(records, list) or not records:
            raise error(422, "INVALID_BODY", "Request body doesn't fulfill schema, see details in `fields`",
                        [{"code": "UNEXPECTED_TYPE", "message": "must be a non-empty array", "path": "records"}])
        out = []
        for i, r in enumerate(records):
            if not isinstance(r, dict) or set(r) - RECORD_FIELDS:
                raise error(422, "INVALID_BODY", "Request body doesn't fulfill schema, see details in `fields`",
                            [{"code": "UNEXPECTED_PROPERTY", "message": f"unexpected fields {sorted(set(r) - RECORD_FIELDS) if isinstance(r, dict) else r}", "path": f"records[{i}]"}])
            data, ttl = r.get("data"), r.get("ttl", 3600)
            if not isinstance(data, str) or not data or len(data) > 512:
                raise error(422, "INVALID_BODY", "Request body doesn't fulfill schema, see details in `fields`",
                            [{"code": "MISMATCH_FORMAT", "message": "data must be a non-empty string", "path": f"records[{i}].data"}])
            if not isinstance(ttl, int) or ttl < MIN_TTL:
                raise error(422, "INVALID_BODY", "Request body doesn't fulfill schema, see details in `fields`",
                            [{"code": "MISMATCH_FORMAT", "message": f"ttl must be at least {MIN_TTL}", "path": f"records[{i}].ttl"}])
            out.append({"data": data, "ttl": ttl})
        return out


if __name__ == "__main__":
    args = arguments(extra)
    GoDaddy.state = State(args)
    serve(GoDaddy, args)
