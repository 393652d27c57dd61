#!/usr/bin/env python3
"""Times certdesk, lego and certbot issuing the same certificates from one local Pebble.

Run it inside a keychain session (certdesk keeps its master key in the Secret Service):

    cargo build --release -p certdesk
    bash .ci/test --exec python3 bench/issue.py [--runs 5] [--count 10]

Each tool answers http-01 itself on the port Pebble's validation authority connects to
(certdesk's built-in responder, lego --http, certbot --standalone) and gets P-256 certificates.
Two figures per tool, process start included: one certificate, and --count certificates
(certdesk in one run with concurrent orders; lego and certbot, which have no batch mode, one run
per certificate). Medians over --runs after a warm-up, and ratios against certdesk.
Everything listens on 127.0.0.1 only; Pebble resolves every name through pebble-challtestsrv.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e_app"))
from pebble import Pebble  # noqa: E402  (the window test's Pebble 2.10.1, from target/)


def run(cmd, env=None, cwd=None):
    result = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def timed(fn, runs):
    fn(0)  # warm-up
    samples = []
    for i in range(1, runs + 1):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples), max(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--certdesk", default=os.path.join(ROOT, "target", "release", "certdesk"))
    parser.add_argument("--only", choices=["certdesk", "lego", "certbot"], action="append")
    args = parser.parse_args()
    tools = args.only or ["certdesk", "lego", "certbot"]
    work = tempfile.mkdtemp(prefix="certdesk-bench-")
    # The tools answer http-01 themselves on Pebble's validation port.
    pebble = Pebble(serve_http01=False)
    listen = f"127.0.0.1:{pebble.http}"
    results = {}
    seq = iter(range(10**6))
    try:
        if "certdesk" in tools:
            data = os.path.join(work, "certdesk")
            cd = [args.certdesk, "--data-dir", data]
            run(cd + ["account", "register", "--name", "bench", "--email", "bench@example.com", "--agree-tos",
                      "--directory", pebble.directory_url, "--ca-root", pebble.ca_root])
            common = ["--key", "p256", "--keystore", "pem", "--challenge", "http-01", "--http-listen", listen, "--save"]
            one = lambda i: run(cd + ["request", "create", "--domain", f"c{next(seq)}.example.com"] + common)

            def many(i):
                domains = []
                for _ in range(args.count):
                    domains += ["--domain", f"c{next(seq)}.example.com"]
                run(cd + ["request", "create", "--each"] + domains + common)
            results["certdesk"] = (timed(one, args.runs), timed(many, args.runs))
        if "lego" in tools and shutil.which("lego"):
            env = {**os.environ, "LEGO_CA_CERTIFICATES": pebble.ca_root}
            path = os.path.join(work, "lego")
            lego = lambda d: run(["lego", "--server", pebble.directory_url, "--accept-tos", "--email", "bench@example.com",
                                  "--path", path, "--key-type", "ec256", "--http", "--http.port", listen,
                                  "--domains", d, "run"], env=env)
            one = lambda i: lego(f"l{next(seq)}.example.com")
            many = lambda i: [lego(f"l{next(seq)}.example.com") for _ in range(args.count)]
            results["lego"] = (timed(one, args.runs), timed(many, args.runs))
        if "certbot" in tools and shutil.which("certbot"):
            env = {**os.environ, "REQUESTS_CA_BUNDLE": pebble.ca_root}
            dirs = []
            for d in ("config", "work", "logs"):
                dirs += [f"--{d}-dir", os.path.join(work, "certbot", d)]
            base = ["certbot", "--server", pebble.directory_url, "-n", "--agree-tos", "-m", "bench@example.com"] + dirs
            run(base + ["register"], env=env)
            certbot = lambda d: run(base + ["certonly", "--standalone", "--http-01-address", "127.0.0.1",
                                            "--http-01-port", str(pebble.http), "--key-type", "ecdsa",
                                            "--elliptic-curve", "secp256r1", "-d", d], env=env)
            one = lambda i: certbot(f"b{next(seq)}.example.com")
            many = lambda i: [certbot(f"b{next(seq)}.example.com") for _ in range(args.count)]
            results["certbot"] = (timed(one, args.runs), timed(many, args.runs))
    finally:
        pebble.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nIssuing P-256 certificates from a local Pebble, process start included "
          f"(median of {args.runs} runs, min-max):")
    print(f"{'tool':10} {'1 certificate':>26} {str(args.count) + ' certificates':>26}")
    for tool, ((m1, lo1, hi1), (mn, lon, hin)) in results.items():
        print(f"{tool:10} {m1:9.3f} s ({lo1:.3f}-{hi1:.3f}) {mn:9.3f} s ({lon:.3f}-{hin:.3f})")
    if "certdesk" in results:
        base1, basen = results["certdesk"][0][0], results["certdesk"][1][0]
        for tool, ((m1, _, _), (mn, _, _)) in results.items():
            if tool != "certdesk":
                print(f"{tool} / certdesk: {m1 / base1:.1f}x for one, {mn / basen:.1f}x for {args.count}")


if __name__ == "__main__":
    main()
