"""A TLS front for moto's Route 53 (moto in server mode, plain HTTP) that checks what moto lets
pass and mirrors TXT changes into the test's BIND.

Each request must be one of the Route 53 API (2013-04-01) calls certdesk makes, signed with AWS
Signature Version 4 by the one access key this front knows (checked with botocore's own signer:
moto checks no signatures). It is then forwarded unchanged (headers, Authorization included,
and body) to moto, whose answer comes back unchanged except:

- a change's ID is made unique and its status PENDING, and the first `--pending N` GetChange
  calls for it answer PENDING before INSYNC (moto is always INSYNC), so that waiting is tested;
- a DELETE must carry exactly the current values and TTL (Route 53's rule; moto is lenient);
- `--inject CODE [--inject-on OPERATION]` answers every (matching) signed call with Route 53's
  documented error CODE instead of forwarding it.

After a successful ChangeResourceRecordSets the changed TXT sets are copied into BIND.

Run as: python3 route53_mirror.py <fakeapi args> --moto http://127.0.0.1:PORT --access-key AK
--secret-key SK [--pending N] [--inject CODE] [--inject-on OPERATION]
"""

import datetime
import hmac
import http.client
import itertools
import re
import secrets
import threading
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fakeapi import Handler, Refused, arguments, log, mirror_txt, serve

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
ACCOUNT = "123456789012"

# Route 53's documented errors the front can answer with: status, type, message.
ERRORS = {
    "InvalidClientTokenId": (403, "Sender", "The security token included in the request is invalid."),
    "SignatureDoesNotMatch": (
        403,
        "Sender",
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
    "AccessDenied": (403, "Sender", None),  # message names the user, action and resource
    "Throttling": (400, "Sender", "Rate exceeded"),
    "PriorRequestNotComplete": (
        400,
        "Sender",
        "The request was rejected because Route 53 was still processing a prior request.",
    ),
    "NoSuchHostedZone": (404, "Sender", None),  # message names the zone ID
}


def extra(p):
    p.add_argument("--moto", required=True, help="moto's http://127.0.0.1:PORT")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--pending", type=int, default=1, help="GetChange polls answered PENDING")
    p.add_argument("--inject", choices=sorted(ERRORS), help="answer every signed call with this error")
    p.add_argument("--inject-on", help="only this operation, e.g. ChangeResourceRecordSets")


def error(code, message=None, status=None):
    """Route 53's error document (ErrorResponse/Error/Type, Code, Message; RequestId)."""
    default_status, kind, default_message = ERRORS.get(code, (400, "Sender", ""))
    body = (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{NS}"><Error><Type>{kind}</Type>'
        f"<Code>{code}</Code><Message>{escape(message or default_message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status or default_status, body


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def children(node, name):
    return [c for c in node if local(c.tag) == name]


def child_text(node, name):
    found = children(node, name)
    return found[0].text or "" if found else None


ROUTES = [
    ("GET", r"/2013-04-01/hostedzonesbyname", "ListHostedZonesByName", {"dnsname", "hostedzoneid", "maxitems"}),
    ("GET", r"/2013-04-01/hostedzone/(?P<zone>[A-Z0-9]+)", "GetHostedZone", set()),
    ("GET", r"/2013-04-01/hostedzone/(?P<zone>[A-Z0-9]+)/rrset", "ListResourceRecordSets", {"name", "type", "identifier", "maxitems"}),
    ("POST", r"/2013-04-01/hostedzone/(?P<zone>[A-Z0-9]+)/rrset", "ChangeResourceRecordSets", set()),
    ("GET", r"/2013-04-01/change/(?P<change>[A-Z0-9]+)", "GetChange", set()),
]

# Changes this front handed out: ID -> GetChange polls so far.
CHANGES = {}
CHANGES_LOCK = threading.Lock()
TXT_QUOTED = re.compile(r'^(\s*"([^"\\]|\\.)*")+\s*$')


class Route53Front(Handler):
    def route(self, method, path, query, headers, body):
        """Refusals are Route 53's XML error documents: answered here with their content type."""
        try:
            out = self.answer(method, path, query, headers, body)
            return out if len(out) > 2 else (*out, {"Content-Type": "text/xml"})
        except Refused as r:
            log(f"refused {method} {path}: {r.reason}")
            return r.status, r.body, {"Content-Type": "text/xml"}

    def answer(self, method, path, query, headers, body):
        for m, pattern, operation, params in ROUTES:
            match = re.fullmatch(pattern, path)
            if match and m == method:
                break
        else:
            raise Refused(*error("UnknownOperation", f"no {method} {path}", 404), "not a Route 53 call certdesk makes")
        unknown = set(query) - params
        if unknown:
            raise Refused(*error("InvalidInput", f"unknown parameters {sorted(unknown)}"), f"unknown query {sorted(unknown)}")
        if operation == "ListResourceRecordSets" and "type" in query and "name" not in query:
            raise Refused(*error("InvalidInput", "The input is not valid"), "type without name")
        self.check_signature(method, headers, body)

        args = self.args
        if args.inject and args.inject_on in (None, operation):
            zone = match.groupdict().get("zone") or "Z0000000000000000000"
            message = {
                "AccessDenied": f"User: arn:aws:iam::{ACCOUNT}:user/certdesk is not authorized to perform: "
                f"route53:{operation} on resource: arn:aws:route53:::hostedzone/{zone} because no "
                f"identity-based policy allows the route53:{operation} action",
                "NoSuchHostedZone": f"No hosted zone found with ID: {zone}",
            }.get(args.inject)
            log(f"injecting {args.inject} into {operation}")
            return error(args.inject, message)

        if operation == "GetChange" and match["change"] not in CHANGES:
            return error("NoSuchChange", f"Could not find resource with ID: {match['change']}", 404)
        if operation == "ChangeResourceRecordSets":
            changes = self.check_change_batch(match["zone"], body)

        status, answer, ctype = forward(args.moto, method, self.path, headers, body)
        if not 200 <= status < 300:
            log(f"moto refused {operation}: {answer[:300]}")
            return status, answer, {"Content-Type": ctype}

        if operation == "ChangeResourceRecordSets":
            for fqdn, values in changes:
                mirror_txt(args, fqdn, values)
                log(f"mirrored TXT {fqdn} = {values}")
            change_id = "C" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(13))
            with CHANGES_LOCK:
                CHANGES[change_id] = 0
            answer = re.sub(r"<Id>/change/[^<]*</Id>", f"<Id>/change/{change_id}</Id>", answer)
            if args.pending > 0:
                answer = answer.replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>")
            log(f"change {change_id} submitted")
        elif operation == "GetChange":
            change_id = match["change"]
            with CHANGES_LOCK:
                CHANGES[change_id] += 1
                polls = CHANGES[change_id]
            state = "PENDING" if polls <= args.pending else "INSYNC"
            answer = re.sub(r"<Id>/change/[^<]*</Id>", f"<Id>/change/{change_id}</Id>", answer)
            answer = answer.replace("<Status>INSYNC</Status>", f"<Status>{state}</Status>")
            log(f"change {change_id} poll {polls}: {state}")
        return status, answer, {"Content-Type": ctype}

    def check_signature(self, method, headers, body):
        """SigV4 as AWS checks it: this front's key, scope .../REGION/route53/aws4_request, a
        fresh X-Amz-Date, and the signature botocore computes over the signed headers."""
        args = self.args
        auth = headers.get("Authorization") or ""
        m = re.fullmatch(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?"
            r"SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})",
            auth,
        )
        if not m:
            raise Refused(*error("MissingAuthenticationToken", "Missing Authentication Token", 403), "no SigV4 Authorization")
        key, day, region, service, signed, signature = m.groups()
        if key != args.access_key:
            raise Refused(*error("InvalidClientTokenId"), f"unknown access key {key}")
        if service != "route53" or region != args.region:
            raise Refused(
                *error("SignatureDoesNotMatch", f"Credential should be scoped to a valid region and service 'route53', not '{region}/{service}'"),
                f"scope {region}/{service}",
            )
        amz_date = headers.get("X-Amz-Date") or ""
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise Refused(*error("IncompleteSignature", "X-Amz-Date is missing or malformed"), "bad X-Amz-Date")
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300 or amz_date[:8] != day:
            raise Refused(*error("SignatureDoesNotMatch", "Signature expired"), "stale X-Amz-Date")
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names:
            raise Refused(*error("SignatureDoesNotMatch"), f"host or x-amz-date not signed: {signed}")
        request = AWSRequest(
            method=method,
            url=f"https://{headers['Host']}{self.path}",
            data=body,
            headers={n: headers.get(n, "") for n in names},
        )
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(args.access_key, args.secret_key), "route53", region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, signature):
            raise Refused(*error("SignatureDoesNotMatch"), "signature mismatch")

    def check_change_batch(self, zone_id, body):
        """The batch's TXT changes as (fqdn, values after the change); refuses what Route 53 does."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            raise Refused(*error("MalformedInput", f"Invalid XML ; {e}"), "body is not XML")
        if root.tag != f"{{{NS}}}ChangeResourceRecordSetsRequest":
            raise Refused(*error("InvalidInput", f"Invalid XML ; unexpected root {root.tag}"), f"root {root.tag}")
        batch = children(root, "ChangeBatch")
        changes = children(batch[0], "Changes") if batch else []
        changes = [c for node in changes for c in children(node, "Change")]
        if not changes:
            raise Refused(*error("InvalidInput", "Invalid request: no changes"), "empty change batch")
        out = []
        for change in changes:
            action = child_text(change, "Action")
            rrset = children(change, "ResourceRecordSet")
            if action not in ("CREATE", "UPSERT", "DELETE") or not rrset:
                raise Refused(*error("InvalidInput", f"Invalid XML ; bad Action {action!r}"), f"action {action}")
            rrset = rrset[0]
            name, kind, ttl = child_text(rrset, "Name"), child_text(rrset, "Type"), child_text(rrset, "TTL")
            values = [child_text(r, "Value") for rr in children(rrset, "ResourceRecords") for r in children(rr, "ResourceRecord")]
            if kind != "TXT":
                continue
            if not name or ttl is None or not values:
                raise Refused(
                    *error("InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId]"),
                    "TXT change without TTL or values",
                )
            for v in values:
                if not TXT_QUOTED.match(v or ""):
                    raise Refused(
                        *error("InvalidChangeBatch", f"[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '{v}'']"),
                        f"unquoted TXT value {v!r}",
                    )
            fqdn = name.rstrip(".") + "."
            if action == "DELETE":
                current = moto_txt(self.args.moto, zone_id, fqdn)
                if current is None:
                    raise Refused(*error("InvalidChangeBatch", f"[Tried to delete resource record set [name='{fqdn}', type='TXT'] but it was not found]"), "DELETE of a missing set")
                if current != (int(ttl), sorted(values)):
                    raise Refused(
                        *error("InvalidChangeBatch", f"[Tried to delete resource record set [name='{fqdn}', type='TXT'] but the values provided do not match the current values]"),
                        f"DELETE of {sorted(values)} TTL {ttl}, current {current}",
                    )
                out.append((fqdn, []))
            else:
                out.append((fqdn, [v.strip()[1:-1] for v in values]))
        return out


def forward(base, method, path, headers, body):
    """The request as it came, to moto; its (status, body text, content type)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read().decode(), response.getheader("Content-Type", "text/xml")
    finally:
        conn.close()


def moto_txt(base, zone_id, fqdn):
    """(TTL, sorted values) of the TXT set at `fqdn` in moto, or None. moto checks no signature:
    the Authorization header only tells it which service is asked."""
    query = urlencode({"name": fqdn, "type": "TXT", "maxitems": "1"})
    headers = {
        "Host": urlsplit(base).netloc,
        "Authorization": "AWS4-HMAC-SHA256 Credential=front/20240101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0",
    }
    status, text, _ = forward(base, "GET", f"/2013-04-01/hostedzone/{zone_id}/rrset?{query}", headers, b"")
    if status != 200:
        raise Refused(*error("InternalFailure", f"moto answered {status}", 500), f"moto: {text[:200]}")
    for rrset in itertools.chain.from_iterable(
        children(s, "ResourceRecordSet") for s in children(ET.fromstring(text), "ResourceRecordSets")
    ):
        if child_text(rrset, "Type") == "TXT" and (child_text(rrset, "Name") or "").lower() == fqdn.lower():
            values = [child_text(r, "Value") for rr in children(rrset, "ResourceRecords") for r in children(rr, "ResourceRecord")]
            return int(child_text(rrset, "TTL") or 0), sorted(values)
    return None


if __name__ == "__main__":
    serve(Route53Front, arguments(extra))
