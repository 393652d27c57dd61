#!/usr/bin/env python3
"""The renewal scheduler's benchmark: renewing --count due certificates against one local Pebble
(certificates per second and peak memory of `certdesk renew --due`), and the scheduler's check
over a repository of --check saved certificates (goal: under 100 ms).

Run it through bench/renewal.sh (release builds, then this script inside a keychain session).
The renewals are made due by running the pass at a later time (`--now`, the hidden option the
tests use): a day before the first expiry, so no waiting is involved.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from issue import Pebble  # noqa: E402  (the same Pebble as the issuance benchmark)

CLEAN_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("CERTDESK_")}


def cli(binary, data, *args):
    out = subprocess.run([binary, "--data-dir", data, "--json", *args], env=CLEAN_ENV, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"certdesk {' '.join(args)} failed ({out.returncode}):\n{out.stderr}\n{out.stdout[-2000:]}")
    return json.loads(out.stdout) if out.stdout.strip() else None


def saved_certificates(binary, data, pebble, names):
    """Registers, sets the built-in responder and issues one saved certificate per name."""
    cli(binary, data, "account", "register", "--name", "bench", "--email", "bench@example.com", "--agree-tos",
        "--directory", pebble.directory_url, "--ca-root", pebble.ca_root)
    listen = f"127.0.0.1:{pebble.http}"
    cli(binary, data, "settings", "set", "http01.listen", listen)
    # Ten at a time: a hundred concurrent orders overwhelm one Pebble on a small machine.
    for start in range(0, len(names), 10):
        args = ["request", "create", "--each"]
        for name in names[start:start + 10]:
            args += ["--domain", name]
        args += ["--key", "p256", "--keystore", "pem", "--challenge", "http-01", "--save", "--http-listen", listen]
        cli(binary, data, *args)


def renewal(binary, pebble, work, count):
    data = os.path.join(work, "renewal")
    print(f"issuing {count} certificates to renew…", file=sys.stderr, flush=True)
    saved_certificates(binary, data, pebble, [f"r{i}.bench.example.com" for i in range(count)])
    certs = cli(binary, data, "cert", "list")
    # The day before the first expiry: every certificate is inside the lifetime rule's window.
    now = min(c["not_after"] for c in certs)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.mktime(time.strptime(now, "%Y-%m-%dT%H:%M:%SZ")) - 86400))
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "--data-dir", data, "--json", "renew", "--due",
                          "--now", now], env=CLEAN_ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"renew --due failed ({out.returncode}):\n{out.stderr[-3000:]}")
    report = json.loads(out.stdout)
    renewed = sum(1 for o in report["outcomes"] if o["action"] == "renewed")
    peak_kib = int(out.stderr.strip().splitlines()[-1])
    return {"certificates": count, "renewed": renewed, "seconds": round(seconds, 2),
            "per_second": round(renewed / seconds, 1), "peak_rss_mib": round(peak_kib / 1024, 1)}


def check(binary, seeder, checker, pebble, work, count):
    data = os.path.join(work, "check")
    print(f"seeding a repository of {count} certificates…", file=sys.stderr, flush=True)
    saved_certificates(binary, data, pebble, ["template.bench.example.com"])
    subprocess.run([seeder, data, str(count - 1), "--with-requests"], check=True, env=CLEAN_ENV,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([checker, data, "9"], check=True, env=CLEAN_ENV, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("certdesk")
    p.add_argument("seed_repository")
    p.add_argument("renewal_check")
    p.add_argument("--count", type=int, default=1000, help="certificates renewed in one pass")
    p.add_argument("--check", type=int, default=10000, help="certificates in the checked repository")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="certdesk-bench-renewal-") as work:
        pebble = Pebble(serve_http01=False)
        try:
            checked = check(args.certdesk, args.seed_repository, args.renewal_check, pebble, work, args.check)
            print(f"check of {checked['certificates']} saved certificates: median {checked['median_ms']} ms, "
                  f"worst {checked['max_ms']} ms (goal < 100 ms)")
            renewed = renewal(args.certdesk, pebble, work, args.count)
            print(f"renewal of {renewed['renewed']}/{renewed['certificates']} due certificates in one pass: "
                  f"{renewed['seconds']} s, {renewed['per_second']} certificates/s, "
                  f"peak memory {renewed['peak_rss_mib']} MiB")
            print(json.dumps({"check": checked, "renewal": renewed}))
        finally:
            pebble.stop()


if __name__ == "__main__":
    main()
