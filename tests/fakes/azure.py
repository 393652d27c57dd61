"""A local stand-in for Azure DNS: Microsoft Entra ID's client-credentials token endpoint and the
Azure Resource Manager DNS record-set API (api-version 2018-05-01), on one host.

Token: POST /{tenant}/oauth2/v2.0/token, form grant_type=client_credentials, client_id,
client_secret, scope=https://management.azure.com/.default.
Management (Authorization: Bearer TOKEN, ?api-version=2018-05-01), under
/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones:
  GET  (list, paged by nextLink with $skipToken), GET /{zone},
  GET/PUT/DELETE /{zone}/TXT/{relative name or @} (PUT replaces the set; If-Match/If-None-Match).
Errors as ARM and Entra ID answer them: {"error": {"code", "message"}} (a missing record set
unwrapped: {"code": "NotFound", ...}), {"error", "error_description"} from the token endpoint.

Own options: --tenant --client-id --client-secret --subscription --resource-group
[--zones a,b,c] [--page-size N] [--txt FQDN=VALUE]... [--state FILE] [--throttle]
"""

import json
import os
import secrets
import threading
import uuid
from urllib.parse import parse_qs

import fakeapi
from fakeapi import Refused, log, mirror_txt

API_VERSION = "2018-05-01"
SCOPE = "https://management.azure.com/.default"


def options(p):
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--subscription", required=True)
    p.add_argument("--resource-group", required=True)
    p.add_argument("--zones", default="example.com")
    p.add_argument("--page-size", type=int, default=1)
    p.add_argument("--txt", action="append", default=[], help="FQDN=VALUE seeded at start")
    p.add_argument("--state", help="file the TXT sets are written to after each change")
    p.add_argument("--throttle", action="store_true", help="answer every management call 429")


ARGS = fakeapi.arguments(options)
ZONES = [z.strip().lower() for z in ARGS.zones.split(",") if z.strip()]
TOKENS = set()
# (zone, relative name) -> {"etag", "ttl", "records": [[str, ...], ...], "metadata"}
SETS = {}
STATE_LOCK = threading.Lock()


def trace():
    return f"\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}\r\nTimestamp: 2025-01-01 00:00:00Z"


def entra_error(status, code, number, text):
    return Refused(
        status,
        {
            "error": code,
            "error_description": f"AADSTS{number}: {text}{trace()}",
            "error_codes": [number],
            "timestamp": "2025-01-01 00:00:00Z",
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
            "error_uri": f"https://login.microsoftonline.com/error?code={number}",
        },
        f"token: {code} AADSTS{number}",
    )


def arm_error(status, code, message, reason=None):
    return Refused(status, {"error": {"code": code, "message": message}}, reason or code)


def fqdn(zone, name):
    return zone if name == "@" else f"{name}.{zone}"


def save_state():
    if not ARGS.state:
        return
    out = {fqdn(z, n): ["".join(r) for r in s["records"]] for (z, n), s in SETS.items()}
    with open(ARGS.state + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(ARGS.state + ".tmp", ARGS.state)


def publish(zone, name):
    s = SETS.get((zone, name))
    mirror_txt(ARGS, fqdn(zone, name), ["".join(r) for r in s["records"]] if s else [])
    save_state()


def new_etag():
    return str(uuid.uuid4())


def record_set(zone, name, s):
    base = zone_id(zone)
    return {
        "id": f"{base}/TXT/{name}",
        "name": name,
        "type": "Microsoft.Network/dnszones/TXT",
        "etag": s["etag"],
        "properties": {
            "metadata": s["metadata"],
            "TTL": s["ttl"],
            "fqdn": fqdn(zone, name) + ".",
            "provisioningState": "Succeeded",
            "targetResource": {},
            "TXTRecords": [{"value": r} for r in s["records"]],
        },
    }


def zone_id(zone):
    return (
        f"/subscriptions/{ARGS.subscription}/resourceGroups/{ARGS.resource_group}"
        f"/providers/Microsoft.Network/dnszones/{zone}"
    )


def zone_object(zone):
    return {
        "id": zone_id(zone),
        "name": zone,
        "type": "Microsoft.Network/dnszones",
        "etag": "00000002-0000-0000-0000-000000000000",
        "location": "global",
        "tags": {},
        "properties": {
            "maxNumberOfRecordSets": 10000,
            "maxNumberOfRecordsPerRecordSet": None,
            "nameServers": ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net."],
            "numberOfRecordSets": 2 + sum(1 for (z, _) in SETS if z == zone),
            "zoneType": "Public",
        },
    }


def seed():
    for item in ARGS.txt:
        name, value = item.split("=", 1)
        name = name.rstrip(".").lower()
        zone = next(z for z in ZONES if name == z or name.endswith("." + z))
        rel = "@" if name == zone else name[: -len(zone) - 1]
        s = SETS.setdefault((zone, rel), {"etag": new_etag(), "ttl": 3600, "records": [], "metadata": None})
        s["records"].append([value])
        publish(zone, rel)


class Azure(fakeapi.Handler):
    def route(self, method, path, query, headers, body):
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            if method != "POST":
                raise Refused(405, {"error": "invalid_request"}, "token endpoint needs POST")
            return self.token(parts[0], headers, body)
        if parts[0].lower() == "subscriptions":
            with STATE_LOCK:
                return self.management(method, parts, query, headers, body)
        raise Refused(404, {"error": {"code": "NotFound", "message": "not found"}}, "unknown path")

    def token(self, tenant, headers, body):
        if not (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            raise entra_error(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            raise entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if tenant != ARGS.tenant:
            raise entra_error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
            )
        if form.get("scope") != SCOPE:
            raise entra_error(400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope')} is not valid.")
        if form.get("client_id") != ARGS.client_id:
            raise entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the directory '{tenant}'.",
            )
        if form.get("client_secret") != ARGS.client_secret:
            raise entra_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"
                + ARGS.client_id
                + "'.",
            )
        token = secrets.token_urlsafe(32)
        TOKENS.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def management(self, method, parts, query, headers, body):
        auth = headers.get("Authorization") or ""
        if not auth:
            raise arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        if not auth.startswith("Bearer ") or auth[7:] not in TOKENS:
            raise arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if query.get("api-version") != [API_VERSION]:
            raise arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{query.get('api-version')}' is invalid. The supported versions are '{API_VERSION}'.",
            )
        if ARGS.throttle:
            kind = "read" if method == "GET" else "write"
            log("throttled")
            return 429, throttled(kind), {"Retry-After": "17"}
        scope = "/" + "/".join(parts)
        if len(parts) < 7 or [p.lower() for p in (parts[2], parts[4], parts[5], parts[6])] != [
            "resourcegroups",
            "providers",
            "microsoft.network",
            "dnszones",
        ]:
            raise arm_error(404, "NotFound", "The requested resource was not found.", f"unexpected path {scope}")
        if parts[1] != ARGS.subscription:
            action = "Microsoft.Network/dnsZones/read" if method == "GET" else "Microsoft.Network/dnsZones/TXT/write"
            raise arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{ARGS.client_id}' with object id '{ARGS.client_id}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            )
        if parts[3].lower() != ARGS.resource_group.lower():
            raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found.")
        rest = parts[7:]
        if not rest:
            if method != "GET":
                raise arm_error(405, "MethodNotAllowed", "The requested method is not allowed.")
            return self.list_zones(query, headers)
        zone = rest[0].lower()
        if len(rest) == 1:
            if method != "GET":
                raise arm_error(405, "MethodNotAllowed", "certdesk never changes zones", "zone write")
            if zone not in ZONES:
                raise arm_error(
                    404,
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.Network/dnszones/{zone}' under resource group '{ARGS.resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                )
            return 200, zone_object(zone)
        if len(rest) != 3 or rest[1] != "TXT":
            raise arm_error(400, "BadRequest", "Only TXT record sets are served here.", f"unexpected path {scope}")
        if zone not in ZONES:
            op = {"GET": "read", "PUT": "write", "DELETE": "delete"}.get(method, method)
            raise arm_error(
                404,
                "ParentResourceNotFound",
                f"Failed to perform '{op}' on resource(s) of type 'dnszones/TXT', because the parent resource '{zone_id(zone)}' could not be found.",
            )
        name = rest[2].lower()
        if name.endswith("." + zone):
            raise arm_error(400, "BadRequest", "relative name holds the zone", f"relative name {name} ends with the zone")
        current = SETS.get((zone, name))
        if method == "GET":
            if current is None:
                return 404, {
                    "code": "NotFound",
                    "message": f"The resource record '{name}' does not exist in resource group '{ARGS.resource_group}' of subscription '{ARGS.subscription}'.",
                }
            return 200, record_set(zone, name, current)
        self.precondition(headers, current, name)
        if method == "DELETE":
            if current is None:
                return 204, ""
            del SETS[(zone, name)]
            publish(zone, name)
            return 200, ""
        if method != "PUT":
            raise arm_error(405, "MethodNotAllowed", "The requested method is not allowed.")
        props = self.put_body(headers, body)
        SETS[(zone, name)] = {
            "etag": new_etag(),
            "ttl": props["TTL"],
            "records": [r["value"] for r in props["TXTRecords"]],
            "metadata": props.get("metadata"),
        }
        publish(zone, name)
        return (201 if current is None else 200), record_set(zone, name, SETS[(zone, name)])

    def precondition(self, headers, current, name):
        if_match = headers.get("If-Match")
        if_none = headers.get("If-None-Match")
        stale = arm_error(
            412,
            "PreconditionFailed",
            f"The Record set {name} has been modified (etag mismatch).",
        )
        if if_match is not None and (current is None or if_match not in ("*", current["etag"])):
            raise stale
        if if_none == "*" and current is not None:
            raise stale

    def put_body(self, headers, body):
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            raise arm_error(415, "UnsupportedMediaType", "The content media type is not supported. Content-Type must be 'application/json'.")
        try:
            doc = json.loads(body)
        except ValueError:
            raise arm_error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        bad = arm_error(400, "BadRequest", "The request body is not a TXT record set.", f"bad PUT body {body!r}")
        if not isinstance(doc, dict) or set(doc) - {"properties", "etag"} or not isinstance(doc.get("properties"), dict):
            raise bad
        props = doc["properties"]
        if set(props) - {"TTL", "TXTRecords", "metadata"} or not isinstance(props.get("TTL"), int):
            raise bad
        records = props.get("TXTRecords")
        if not isinstance(records, list) or not records:
            raise arm_error(400, "BadRequest", "The record set must contain at least one record.", "empty TXTRecords")
        for r in records:
            if not isinstance(r, dict) or set(r) != {"value"} or not isinstance(r["value"], list) or not r["value"]:
                raise bad
            for s in r["value"]:
                if not isinstance(s, str) or len(s) > 255:
                    raise arm_error(400, "BadRequest", "A TXT string must be at most 255 characters long.", "long TXT string")
        return props

    def list_zones(self, query, headers):
        start = int((query.get("$skipToken") or ["0"])[0])
        page = ZONES[start : start + ARGS.page_size]
        out = {"value": [zone_object(z) for z in page]}
        if start + ARGS.page_size < len(ZONES):
            host = headers.get("Host")
            out["nextLink"] = (
                f"https://{host}/subscriptions/{ARGS.subscription}/resourceGroups/{ARGS.resource_group}"
                f"/providers/Microsoft.Network/dnszones?api-version={API_VERSION}&$skipToken={start + ARGS.page_size}"
            )
        return 200, out


def throttled(kind):
    return {
        "error": {
            "code": "SubscriptionRequestsThrottled",
            "message": f"Number of '{kind}' requests for subscription '{ARGS.subscription}' actor '{ARGS.client_id}' exceeded. Please try again after '17' seconds after additional tasks are completed.",
        }
    }


if __name__ == "__main__":
    seed()
    save_state()
    fakeapi.serve(Azure, ARGS)
