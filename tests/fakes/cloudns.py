"""A local stand-in for the ClouDNS HTTP API (https://www.cloudns.net/wiki/article/41/).

Every call takes the user as `auth-id`, `sub-auth-id` or `sub-auth-user` plus `auth-password`.
ClouDNS accepts them in the query string too; this fake refuses that, since certdesk must send
them as POST form fields only (no log on the way sees a request body). Answers as ClouDNS gives
them: HTTP 200 with {"status": "Failed", "statusDescription": ...} for failures, including bad
credentials and a zone the account does not have ("Missing domain-name").

  /login/login.json                  credentials check
  /dns/get-zone-info.json            domain-name
  /dns/records.json                  domain-name [host] [type] -> {id: record} or [] when none
  /dns/add-record.json               domain-name record-type host record ttl
  /dns/delete-record.json            domain-name record-id

Own options: one of --auth-id / --sub-auth-id / --sub-auth-user, --password, [--zones a,b]
[--txt FQDN=VALUE]... [--state FILE] [--rate-limited HTTP-STATUS]
"""

import itertools
import json
import os
import threading
from urllib.parse import parse_qs

import fakeapi
from fakeapi import Refused, log, mirror_txt

TTLS = {60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000}
IDENTITIES = ("auth-id", "sub-auth-id", "sub-auth-user")


def options(p):
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--auth-id")
    who.add_argument("--sub-auth-id")
    who.add_argument("--sub-auth-user")
    p.add_argument("--password", required=True)
    p.add_argument("--zones", default="example.com")
    p.add_argument("--txt", action="append", default=[], help="FQDN=VALUE seeded at start")
    p.add_argument("--state", help="file the TXT records are written to after each change")
    p.add_argument("--rate-limited", type=int, help="answer every call as blocked, with this HTTP status")


ARGS = fakeapi.arguments(options)
ZONES = [z.strip().lower() for z in ARGS.zones.split(",") if z.strip()]
USER = next((k, v) for k, v in zip(IDENTITIES, (ARGS.auth_id, ARGS.sub_auth_id, ARGS.sub_auth_user)) if v)
# zone -> {id: {"host", "record", "ttl"}}
RECORDS = {z: {} for z in ZONES}
IDS = itertools.count(1000)
LOCK = threading.Lock()


def failed(text):
    return {"status": "Failed", "statusDescription": text}


def fqdn(zone, host):
    return f"{host}.{zone}" if host else zone


def publish(zone, host):
    values = [r["record"] for r in RECORDS[zone].values() if r["host"] == host]
    mirror_txt(ARGS, fqdn(zone, host), values)
    save_state()


def save_state():
    if not ARGS.state:
        return
    out = {}
    for zone, records in RECORDS.items():
        for r in records.values():
            out.setdefault(fqdn(zone, r["host"]), []).append(r["record"])
    with open(ARGS.state + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(ARGS.state + ".tmp", ARGS.state)


def seed():
    for item in ARGS.txt:
        name, value = item.split("=", 1)
        name = name.rstrip(".").lower()
        zone = next(z for z in ZONES if name == z or name.endswith("." + z))
        host = "" if name == zone else name[: -len(zone) - 1]
        RECORDS[zone][str(next(IDS))] = {"host": host, "record": value, "ttl": 3600}
        publish(zone, host)


class ClouDns(fakeapi.Handler):
    def route(self, method, path, query, headers, body):
        if ARGS.rate_limited:
            log("rate limited")
            return ARGS.rate_limited, failed("Request blocked. 127.0.0.1 is sending more than 20 requests per second.")
        if method != "POST":
            raise Refused(200, failed("certdesk must POST"), f"{method}: credentials would be in the URL")
        if any(k in query for k in IDENTITIES + ("auth-password",)):
            raise Refused(200, failed("Invalid request."), "credentials in the query string")
        if not (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            raise Refused(200, failed("Invalid request."), f"Content-Type {headers.get('Content-Type')}")
        form = parse_qs(body.decode(), keep_blank_values=True)
        if any(len(v) != 1 for v in form.values()):
            raise Refused(200, failed("Invalid request."), "a parameter given twice")
        form = {k: v[0] for k, v in form.items()}
        given = [k for k in IDENTITIES if k in form]
        if len(given) != 1:
            raise Refused(200, failed("Wrong or missing required parameter 'auth-id'."), f"identities {given}")
        if (given[0], form[given[0]]) != USER or form.get("auth-password") != ARGS.password:
            if given[0] == "auth-id":
                text = "Invalid authentication, incorrect auth-id or auth-password."
            else:
                text = "Invalid authentication, incorrect sub-auth-id, sub-auth-user or auth-password."
            raise Refused(200, failed(text), "bad credentials")
        with LOCK:
            return self.action(path, form)

    def action(self, path, form):
        if path in ("/login/login.json", "/dns/login.json"):
            return 200, {"status": "Success", "statusDescription": "Success login."}
        zone = form.get("domain-name", "").lower()
        if path not in ("/dns/get-zone-info.json", "/dns/records.json", "/dns/add-record.json", "/dns/delete-record.json"):
            raise Refused(200, failed("Invalid request."), f"unknown path {path}")
        if zone not in RECORDS:
            raise Refused(200, failed("Missing domain-name"), f"no zone {zone!r}")
        records = RECORDS[zone]
        if path == "/dns/get-zone-info.json":
            return 200, {"name": zone, "type": "master", "zone": "domain", "status": "1"}
        if path == "/dns/records.json":
            if form.get("type", "TXT") != "TXT":
                raise Refused(200, failed("Invalid request."), "only TXT listed here")
            host = form.get("host")
            out = {
                i: {"id": i, "type": "TXT", "host": r["host"], "record": r["record"], "dynamicurl_status": 0,
                    "failover": "0", "ttl": str(r["ttl"]), "status": 1}
                for i, r in records.items()
                if host is None or r["host"] == host.lower()
            }
            return 200, out if out else []
        if path == "/dns/add-record.json":
            for k in ("record-type", "host", "record", "ttl"):
                if k not in form:
                    raise Refused(200, failed(f"Missing {k}"), f"no {k}")
            if form["record-type"] != "TXT":
                raise Refused(200, failed("This record type is not supported."), "not TXT")
            if not form["ttl"].isdigit() or int(form["ttl"]) not in TTLS:
                raise Refused(200, failed("Invalid TTL. Choose from the list of the values we support."), f"ttl {form['ttl']}")
            host = form["host"].lower()
            if host.endswith("." + zone) or host == "@":
                raise Refused(200, failed("Invalid host."), f"host {host!r} is not relative")
            if any(r["host"] == host and r["record"] == form["record"] for r in records.values()):
                raise Refused(200, failed("The record already exists."), "duplicate")
            rid = str(next(IDS))
            records[rid] = {"host": host, "record": form["record"], "ttl": int(form["ttl"])}
            publish(zone, host)
            return 200, {"status": "Success", "statusDescription": "The record was added successfully.", "data": {"id": int(rid)}}
        rid = form.get("record-id", "")
        if rid not in records:
            raise Refused(200, failed("Invalid record-id param."), f"record-id {rid!r}")
        host = records.pop(rid)["host"]
        publish(zone, host)
        return 200, {"status": "Success", "statusDescription": "The record was deleted successfully."}


if __name__ == "__main__":
    seed()
    save_state()
    fakeapi.serve(ClouDns, ARGS)
