"""A stand-in for Cloudflare's API v4 (https://developers.cloudflare.com/api/), the parts a DNS-01
client uses: token verification, the user, zones by name (paginated) and a zone's DNS records
(list with type/name filters and pagination, create, delete). Answers use Cloudflare's envelope
{success, errors:[{code, message, error_chain?}], messages, result, result_info}.

Own options: --token T, or --email E --api-key K (the credentials it accepts); --zone NAME (the
account's zones, repeatable; filler zones are added so that zone lists span pages); --txt
FQDN=VALUE (foreign TXT records present from the start, mirrored to BIND); --records-per-page N
(a smaller page maximum for record lists, to make a client page); --rate-limit (every call is
answered 429); --state FILE (the TXT records, rewritten after every change).
"""

import json
import re
import secrets

from fakeapi import Handler, Refused, arguments, log, mirror_txt, serve

TOKEN_FORMAT = re.compile(r"^[A-Za-z0-9_-]{40}$")
ZONE_PAGE = (5, 20, 50)  # min, default, max per_page of /zones
RECORD_PAGE_DEFAULT = 100


def extra(p):
    p.add_argument("--token")
    p.add_argument("--email")
    p.add_argument("--api-key")
    p.add_argument("--zone", action="append", default=[])
    p.add_argument("--txt", action="append", default=[])
    p.add_argument("--records-per-page", type=int, default=5_000_000)
    p.add_argument("--rate-limit", action="store_true")
    p.add_argument("--state")


def envelope(result, info=None):
    out = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        out["result_info"] = info
    return out


def failure(status, code, message, chain=None, reason=None):
    error = {"code": code, "message": message}
    if chain:
        error["error_chain"] = [{"code": c, "message": m} for c, m in chain]
    return Refused(status, {"success": False, "errors": [error], "messages": [], "result": None}, reason or message)


def new_id():
    return secrets.token_hex(16)


class State:
    def __init__(self, args):
        self.args = args
        # Zones: the test's own plus fillers sorting before them, so a list spans pages.
        self.zones = {}
        for i in range(60):
            self.zones[new_id()] = f"filler{i:02}.example.org"
        for name in args.zone:
            self.zones[new_id()] = name.lower()
        self.records = {}  # id -> {zone_id, type, name, content, ttl}
        for item in args.txt:
            fqdn, value = item.split("=", 1)
            zone_id = self.zone_of(fqdn)
            if zone_id is None:
                raise SystemExit(f"--txt {fqdn}: no zone of the fake holds it")
            self.records[new_id()] = {"zone_id": zone_id, "type": "TXT", "name": fqdn.lower(), "content": f'"{value}"', "ttl": 300}
            self.sync(fqdn.lower())

    def zone_of(self, fqdn):
        for zid, zone in self.zones.items():
            if fqdn.lower() == zone or fqdn.lower().endswith("." + zone):
                return zid
        return None

    def txt_values(self, fqdn):
        return [unquote(r["content"]) for r in self.records.values() if r["type"] == "TXT" and r["name"] == fqdn]

    def sync(self, fqdn):
        """Mirrors `fqdn`'s TXT set into BIND and the whole TXT state into --state."""
        mirror_txt(self.args, fqdn, self.txt_values(fqdn))
        if self.args.state:
            txt = {}
            for r in self.records.values():
                if r["type"] == "TXT":
                    txt.setdefault(r["name"], []).append(unquote(r["content"]))
            with open(self.args.state, "w") as f:
                json.dump(txt, f)


def unquote(content):
    if len(content) >= 2 and content.startswith('"') and content.endswith('"'):
        return content[1:-1].replace('" "', "")
    return content


def page_args(query, allowed, bounds):
    """page and per_page as Cloudflare validates them; other parameters must be in `allowed`."""
    for key in query:
        if key not in allowed | {"page", "per_page"}:
            raise failure(400, 1001, f"Unknown query parameter {key}", reason=f"unexpected query parameter {key}")
    try:
        page = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", [str(bounds[1])])[0])
    except ValueError:
        raise failure(400, 1001, "page and per_page must be numbers")
    if page < 1 or not bounds[0] <= per_page <= bounds[2]:
        raise failure(400, 1001, f"per_page must be from {bounds[0]} to {bounds[2]}")
    return page, per_page


def paginate(items, page, per_page):
    total_pages = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(items), "total_pages": total_pages}
    return chunk, info


class Cloudflare(Handler):
    state = None

    def authenticate(self, path, headers):
        bearer = headers.get("Authorization")
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if bearer is not None:
            if not bearer.startswith("Bearer ") or not TOKEN_FORMAT.match(bearer[7:]):
                raise failure(400, 6003, "Invalid request headers", [(6111, "Invalid format for Authorization header")])
            if bearer[7:] != self.args.token:
                if path == "/user/tokens/verify":
                    raise failure(401, 1000, "Invalid API Token")
                raise failure(403, 9109, "Invalid access token")
            return
        if email is None and key is None:
            raise failure(400, 6003, "Invalid request headers", [(6102, "Invalid format for X-Auth-Email header"), (6103, "Invalid format for X-Auth-Key header")])
        if path == "/user/tokens/verify":
            raise failure(400, 6003, "Invalid request headers", [(6111, "Invalid format for Authorization header")], reason="token verify without a token")
        if email != self.args.email or key != self.args.api_key:
            raise failure(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")

    def route(self, method, path, query, headers, body):
        if self.args.rate_limit:
            raise Refused(
                429,
                {"success": False, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}], "messages": [], "result": None},
                "rate limited (--rate-limit)",
            )
        self.authenticate(path, headers)
        st = self.state
        parts = path.strip("/").split("/")

        if method == "GET" and path == "/user/tokens/verify":
            if query:
                raise failure(400, 1001, "Unknown query parameter", reason=f"verify takes no query: {query}")
            return 200, envelope({"id": "ed17574386854bf78a67040be0a770b0", "status": "active"})
        if method == "GET" and path == "/user":
            return 200, envelope({"id": "7c5dae5552338874e5053f2534d2767a", "email": self.args.email or "token@example.com"})

        if method == "GET" and path == "/zones":
            page, per_page = page_args(query, {"name", "status", "match", "order", "direction"}, ZONE_PAGE)
            zones = sorted(st.zones.items(), key=lambda z: z[1])
            if "name" in query:
                zones = [z for z in zones if z[1] == query["name"][0].lower()]
            chunk, info = paginate(zones, page, per_page)
            return 200, envelope([{"id": zid, "name": name, "status": "active", "type": "full"} for zid, name in chunk], info)

        if len(parts) >= 3 and parts[0] == "zones" and parts[2] == "dns_records":
            zone_id = parts[1]
            if zone_id not in st.zones:
                raise failure(404, 7003, "Could not route to /zones/" + zone_id + "/dns_records, perhaps your object identifier is invalid?")
            if method == "GET" and len(parts) == 3:
                page, per_page = page_args(query, {"type", "name", "name.exact", "content", "match", "order", "direction"}, (1, RECORD_PAGE_DEFAULT, 5_000_000))
                per_page = min(per_page, self.args.records_per_page)
                items = [(rid, r) for rid, r in sorted(st.records.items()) if r["zone_id"] == zone_id]
                if "type" in query:
                    items = [i for i in items if i[1]["type"] == query["type"][0]]
                name = (query.get("name") or query.get("name.exact") or [None])[0]
                if name is not None:
                    items = [i for i in items if i[1]["name"] == name.lower()]
                chunk, info = paginate(items, page, per_page)
                return 200, envelope([record_json(rid, r, st.zones[zone_id]) for rid, r in chunk], info)
            if method == "POST" and len(parts) == 3:
                return self.create(zone_id, headers, body)
            if method == "DELETE" and len(parts) == 4:
                record = st.records.get(parts[3])
                if record is None or record["zone_id"] != zone_id:
                    raise failure(404, 81044, "Record does not exist.")
                del st.records[parts[3]]
                st.sync(record["name"])
                return 200, envelope({"id": parts[3]})
        raise failure(404, 7000, "No route for that URI", reason=f"no route {method} {path}")

    def create(self, zone_id, headers, body):
        st = self.state
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            raise failure(415, 6007, "Malformed JSON in request body", reason="Content-Type is not application/json")
        try:
            data = json.loads(body)
        except ValueError:
            raise failure(400, 6007, "Malformed JSON in request body")
        allowed = {"type", "name", "content", "ttl", "comment", "tags", "proxied", "settings"}
        if not isinstance(data, dict) or set(data) - allowed:
            raise failure(400, 9000, "DNS record has unknown fields", reason=f"body {data!r}")
        if data.get("type") != "TXT":
            raise failure(400, 9004, "This record type is not supported by this fake", reason=f"type {data.get('type')!r}")
        name, content, ttl = data.get("name"), data.get("content"), data.get("ttl", 1)
        if not isinstance(name, str) or not name or not isinstance(content, str) or not content:
            raise failure(400, 9005, "Content for TXT record is invalid.", reason=f"name/content {name!r}/{content!r}")
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            raise failure(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
        zone = st.zones[zone_id]
        name = name.lower().rstrip(".")
        if name != zone and not name.endswith("." + zone):
            # Cloudflare appends the zone to a relative name; certdesk sends full names.
            raise failure(400, 9000, "DNS name is invalid.", reason=f"{name} is outside {zone}")
        for r in st.records.values():
            if r["zone_id"] == zone_id and r["name"] == name and r["type"] == "TXT" and unquote(r["content"]) == unquote(content):
                raise failure(400, 81058, "An identical record already exists.")
        rid = new_id()
        st.records[rid] = {"zone_id": zone_id, "type": "TXT", "name": name, "content": content, "ttl": ttl}
        st.sync(name)
        log(f"created TXT {name} {content} ttl {ttl}")
        return 200, envelope(record_json(rid, st.records[rid], zone))


def record_json(rid, r, zone):
    return {
        "id": rid,
        "zone_id": r["zone_id"],
        "zone_name": zone,
        "name": r["name"],
        "type": r["type"],
        "content": r["content"],
        "proxiable": False,
        "proxied": False,
        "ttl": r["ttl"],
        "settings": {},
        "meta": {},
        "comment": None,
        "tags": [],
        "created_on": "2024-01-01T00:00:00.000000Z",
        "modified_on": "2024-01-01T00:00:00.000000Z",
    }


if __name__ == "__main__":
    args = arguments(extra)
    if not args.token and not (args.email and args.api_key):
        raise SystemExit("give --token, or --email and --api-key")
    Cloudflare.state = State(args)
    serve(Cloudflare, args)
