"""The installed Debian package's binaries, as an administrator meets them after `apt install`:
the `certdesk` on the PATH registers an account at a local Pebble 2.10.1, checks CAA and issues
a certificate by http-01 that openssl verifies up to Pebble's root, and hands out the agent the
package ships; the `certdesk-app` on the PATH opens its window (whose WM_CLASS the desktop entry
names, so the menu ties the window to its entry) from /usr/lib/certdesk, beside that agent, and
quits on Ctrl+Q. Run by tests/package/run.sh inside tests/e2e_app/headless-session.sh (Xvfb, a
private D-Bus session, an unlocked keyring, a fresh HOME) in a mount namespace whose
/etc/resolv.conf names RESOLVER: the system resolver of the CLI's CAA lookups is
pebble-challtestsrv there, and no lookup leaves the machine.

    python3 tests/package/test_installed.py ARTIFACTS_DIR
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e_app"))
from pebble import CLEAN_ENV, Pebble  # noqa: E402  (the window test's Pebble 2.10.1, from target/)

CLI = "/usr/bin/certdesk"
APP = "/usr/bin/certdesk-app"
LIB = "/usr/lib/certdesk"
AGENT = f"{LIB}/certdesk-agent"
DESKTOP_ENTRY = "/usr/share/applications/certdesk.desktop"
# Where run.sh's resolv.conf points (port 53): challtestsrv's DNS.
RESOLVER = "127.0.2.53"
# Pebble's issuer domain name, the caaIdentities of its directory.
PEBBLE_CAA = "pebble.letsencrypt.org"


def step(message):
    print(f"package: {message}", flush=True)


def run(argv, what, timeout=120):
    """`argv`'s output; exits the test with its output when it fails."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=CLEAN_ENV,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}): {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def certdesk(*args):
    """The installed CLI with --json; its parsed answer."""
    return json.loads(run([CLI, "--json", *args], f"certdesk {args[0]} {args[1]}"))


def cli_issues_a_certificate(pebble, work):
    certdesk("account", "register", "--name", "pebble", "--email", "admin@example.com", "--agree-tos",
             "--directory", pebble.directory_url, "--ca-root", pebble.ca_root)
    step(f"{CLI} registered an account at {pebble.directory_url}")
    # CAA from the loopback resolver: one name's records name Pebble, another's another CA.
    pebble.add_caa("installed.example.com", "issue", PEBBLE_CAA)
    pebble.add_caa("refused.example.com", "issue", "sectigo.com")
    http01 = ["--key", "p256", "--keystore", "pem", "--challenge", "http-01",
              "--http-listen", f"127.0.0.1:{pebble.http}", "--save"]
    refused = subprocess.run([CLI, "request", "create", "--domain", "refused.example.com", *http01],
                             capture_output=True, text=True, timeout=120, env=CLEAN_ENV, stdin=subprocess.DEVNULL)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "CAA forbids issuing for refused.example.com" in said, (
        f"a name whose CAA names another CA was not refused (exit {refused.returncode}): {said}")
    step(f"{CLI} refused refused.example.com by its CAA record, read through {RESOLVER}")

    started = time.monotonic()
    certdesk("request", "create", "--domain", "installed.example.com", *http01)
    took = time.monotonic() - started
    certs = certdesk("cert", "list")
    assert len(certs) == 1, f"expected one certificate in the repository, got {certs}"
    cert_id = certs[0]["id"]
    bundle = os.path.join(work, "installed.pem")
    run([CLI, "cert", "export", cert_id, "--format", "pem", "--out", bundle], "certdesk cert export")
    root = os.path.join(work, "pebble-root.pem")
    with open(root, "w") as f:
        f.write(pebble.issuance_root())
    verified = run(["openssl", "verify", "-CAfile", root, "-untrusted", bundle, bundle], "openssl verify")
    assert verified.strip().endswith(": OK"), verified
    names = run(["openssl", "x509", "-in", bundle, "-noout", "-ext", "subjectAltName"], "openssl x509")
    assert "DNS:installed.example.com" in names, f"not the name asked for: {names}"
    leaf_key = run(["openssl", "x509", "-in", bundle, "-noout", "-pubkey"], "openssl x509 -pubkey")
    key = run(["openssl", "pkey", "-in", bundle, "-pubout"], "openssl pkey")
    assert leaf_key == key, "the exported key is not the certificate's"
    step(f"{CLI} issued a certificate for installed.example.com by http-01 in {took:.2f} s; "
         "openssl verifies it up to Pebble's root")


def cli_hands_out_the_packaged_agent(work):
    version = run([AGENT, "--version"], "certdesk-agent --version").strip()
    out = os.path.join(work, "certdesk-agent.tar.gz")
    package = certdesk("agent", "package", "--out", out)
    with open(AGENT, "rb") as f:
        shipped = hashlib.sha256(f.read()).hexdigest()
    assert package["binary_sha256"] == shipped, f"the agent package holds {package}, not {AGENT} ({shipped})"
    step(f"{CLI} packaged {AGENT} ({version}; {package['size']} bytes)")


def desktop_entry(key):
    with open(DESKTOP_ENTRY) as f:
        for line in f:
            if line.startswith(f"{key}="):
                return line.rstrip("\n").split("=", 1)[1]
    sys.exit(f"{DESKTOP_ENTRY} has no {key}")


def app_opens_its_window_and_quits(artifacts):
    assert desktop_entry("Exec").split()[0] == os.path.basename(APP), "the menu entry starts something else"
    log_path = os.path.join(artifacts, "package-app.log")
    with open(log_path, "wb") as log:
        app = subprocess.Popen([APP], stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=CLEAN_ENV)
    try:
        # The app finds the agent it hands out beside the file it runs from.
        exe = os.readlink(f"/proc/{app.pid}/exe")
        assert exe == f"{LIB}/certdesk-app", f"{APP} runs {exe}"
        assert os.access(os.path.join(os.path.dirname(exe), "certdesk-agent"), os.X_OK), f"no agent beside {exe}"
        started = time.monotonic()
        deadline = started + 60
        while True:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^certdesk$"],
                                   capture_output=True, text=True)
            if found.returncode == 0 and found.stdout.split():
                break
            if app.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors="replace") as f:
                    sys.exit(f"{APP}'s window did not appear (exit {app.poll()}):\n{f.read()[-4000:]}")
            time.sleep(0.2)
        window = found.stdout.split()[0]
        step(f"{APP}'s window (running {exe}, beside the agent) appeared after "
             f"{time.monotonic() - started:.1f} s")
        wm_class = run(["xprop", "-id", window, "WM_CLASS"], "xprop")
        wanted = desktop_entry("StartupWMClass")
        assert f'"{wanted}"' in wm_class, f"the window's {wm_class.strip()} is not the entry's {wanted}"
        # A moment to paint before the screenshot.
        time.sleep(2)
        shot = os.path.join(artifacts, "package-window.png")
        run(["import", "-window", window, shot], "import")
        # The page painted: a blank (or one-colour) window has no spread of grey at all.
        spread = float(run(["convert", shot, "-colorspace", "Gray", "-format", "%[fx:standard_deviation]",
                            "info:"], "convert"))
        assert spread > 0.02, f"the window shows no page (grey spread {spread:.3f}; {shot})"
        run(["xdotool", "windowfocus", "--sync", window], "xdotool windowfocus")
        run(["xdotool", "key", "--clearmodifiers", "ctrl+q"], "xdotool key")
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sys.exit(f"Ctrl+Q did not end {APP} within 15 s")
        assert app.returncode == 0, f"{APP} ended with {app.returncode} (log {log_path})"
        step(f"{APP} ({wm_class.split('=')[1].strip()}) painted its page "
             f"(grey spread {spread:.2f}, package-window.png) and quit on Ctrl+Q")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    artifacts = sys.argv[1]
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="certdesk-package-")
    # The CLI answers http-01 itself (--http-listen), on the port Pebble's VA connects to.
    pebble = Pebble(serve_http01=False, dns=f"{RESOLVER}:53")
    try:
        cli_issues_a_certificate(pebble, work)
        cli_hands_out_the_packaged_agent(work)
        # The app opens the data folder the CLI just filled (the same fresh HOME).
        app_opens_its_window_and_quits(artifacts)
    finally:
        pebble.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
