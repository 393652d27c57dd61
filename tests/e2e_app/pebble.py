"""Pebble 2.10.1 and pebble-challtestsrv on free loopback ports, as tests/e2e/common/pebble.rs
starts them, from target/pebble-2.10.1 (where .ci/setup puts them). The window test and the
benchmarks use it.

challtestsrv answers every name with 127.0.0.1 (no AAAA) and, unless told not to, serves http-01
on Pebble's validation port, fed through its management API as an administrator would publish a
token.
"""

import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    """A port free for TCP and UDP on 127.0.0.1, below Linux's ephemeral range."""
    for _ in range(2000):
        port = random.randint(20000, 31999)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind(("127.0.0.1", port))
            udp.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
    raise RuntimeError("no free port in 20000-31999")


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


OPENSSL_CNF = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = certdesk test CA
[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# Traffic stays on loopback: no proxy for anything started here.
CLEAN_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PEBBLE_")}
CLEAN_ENV.update({"NO_PROXY": "*", "no_proxy": "*"})


BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "pebble-2.10.1")


def binary(name):
    """`name` from target/pebble-2.10.1; Debian's pebble (2.4) has no ARI and no profiles."""
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing: run .ci/setup, which builds Pebble 2.10.1 there")
    return path


class Pebble:
    """`serve_http01`: challtestsrv answers http-01 (fed by add_http01); without it the port is
    left to the client under test (its built-in responder, lego's, certbot's). `dns`: the
    `HOST:PORT` challtestsrv's DNS answers on (default a free port of 127.0.0.1), e.g. port 53 of
    the address a test's resolv.conf names, to be the system resolver of what it runs."""

    def __init__(self, serve_http01=True, dns=None):
        self.dir = tempfile.mkdtemp(prefix="certdesk-e2e-pebble-")
        d = self.dir
        with open(f"{d}/openssl.cnf", "w") as f:
            f.write(OPENSSL_CNF)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        self.ca_root = f"{d}/ca.pem"
        # Pebble's HTTPS certificate (127.0.0.1, ::1, localhost), which other local HTTPS fakes
        # of the window test serve too: whatever trusts ca_root trusts them.
        self.listener_cert, self.listener_key = f"{d}/cert.pem", f"{d}/key.pem"
        _openssl("req", "-x509", "-config", f"{d}/openssl.cnf", "-extensions", "v3_ca",
                 "-subj", f"/CN=certdesk e2e CA {random.getrandbits(32):08x}", "-days", "30",
                 "-keyout", f"{d}/ca.key", "-out", self.ca_root, *ec)
        _openssl("req", "-new", "-config", f"{d}/openssl.cnf", "-subj", "/CN=localhost",
                 "-keyout", self.listener_key, "-out", f"{d}/leaf.csr", *ec)
        _openssl("x509", "-req", "-in", f"{d}/leaf.csr", "-CA", self.ca_root, "-CAkey", f"{d}/ca.key",
                 "-set_serial", f"0x{random.getrandbits(62) | 1:016x}", "-days", "30",
                 "-extfile", f"{d}/openssl.cnf", "-extensions", "v3_leaf", "-out", self.listener_cert)
        self.acme, self.mgmt, self.http, self.tls, self.cts = (free_port() for _ in range(5))
        self.dns = dns or f"127.0.0.1:{free_port()}"
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt}",
            "certificate": self.listener_cert,
            "privateKey": self.listener_key,
            "httpPort": self.http,
            "tlsPort": self.tls,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            # A common name and 90 days, as in Let's Encrypt's classic profile.
            "profiles": {"default": {
                "description": "The default profile",
                "validityPeriod": 90 * 86400,
                "promoteCommonName": True,
            }},
        }}
        with open(f"{d}/pebble.json", "w") as f:
            json.dump(config, f)
        self.procs = []
        log = open(f"{d}/challtestsrv.log", "wb")
        self.procs.append(subprocess.Popen(
            [binary("pebble-challtestsrv"), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dnsserver", self.dns, "-management", f"127.0.0.1:{self.cts}",
             "-http01", f"127.0.0.1:{self.http}" if serve_http01 else "", "-https01", "",
             "-tlsalpn01", "", "-doh", ""],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=CLEAN_ENV))
        env = dict(CLEAN_ENV, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
        log = open(f"{d}/pebble.log", "wb")
        self.procs.append(subprocess.Popen(
            [binary("pebble"), "-config", f"{d}/pebble.json", "-dnsserver", self.dns],
            cwd=d, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env))
        self._ssl = ssl.create_default_context(cafile=self.ca_root)
        deadline = time.monotonic() + 60
        while True:
            try:
                if _accepts(self.cts) and b"newOrder" in self._get(self.directory_url):
                    break
            except OSError:
                pass
            if any(p.poll() is not None for p in self.procs) or time.monotonic() > deadline:
                self.stop(keep=True)
                raise RuntimeError(f"Pebble did not start; logs in {d}")
            time.sleep(0.05)

    @property
    def directory_url(self):
        return f"https://127.0.0.1:{self.acme}/dir"

    def _get(self, url):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self._ssl))
        with opener.open(url, timeout=10) as r:
            return r.read()

    def cert_status(self, serial_hex):
        serial = serial_hex.lower().lstrip("0") or "0"
        return json.loads(self._get(f"https://127.0.0.1:{self.mgmt}/cert-status-by-serial/{serial}"))

    def issuance_root(self):
        """The PEM of the root Pebble issues under (a fresh one at every start)."""
        return self._get(f"https://127.0.0.1:{self.mgmt}/roots/0").decode()

    def add_http01(self, token, content):
        """Publishes a token as an administrator would: the file is now served on port 80."""
        self._manage("add-http01", {"token": token, "content": content})

    def add_caa(self, host, tag, value):
        """Publishes `host. CAA 0 tag "value"` in challtestsrv's DNS."""
        self._manage("add-caa", {"host": host, "policies": [{"tag": tag, "value": value}]})

    def _manage(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.cts}/{path}", data=json.dumps(body).encode(),
                                     method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            assert r.status == 200, r.status

    def stop(self, keep=False):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        self.procs = []
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
