"""The desktop app end to end, in its real window, against a real Pebble.

An administrator registers an account, requests a certificate for two names, reads the http-01
tokens from the challenge window and publishes them (pebble-challtestsrv's /add-http01, as a web
server would serve them), verifies, saves, exports a PKCS#12 that OpenSSL 3 opens without
-legacy, and revokes it. On the way, bad input shows the engine's own messages, and every tab is
photographed into tests/artifacts/.

Run it through run.sh (Xvfb, a private D-Bus session, an unlocked keyring, tauri-driver).
Usage: test_app.py APP_BINARY ARTIFACTS_DIR
"""

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

from pebble import Pebble, free_port, CLEAN_ENV
from webdriver import Driver
from xclose import request_close
import procs

TABS = ["account", "overview", "dns", "requests", "certificates", "endpoints", "deploy", "agent", "settings", "activity"]


def step(text):
    print(f"[e2e] {text}", flush=True)


class App:
    """The window under test, with the few gestures the scenario needs."""

    def __init__(self, driver, artifacts):
        self.d = driver
        self.artifacts = artifacts

    def tab(self, name):
        self.d.find(f"#tab-{name}").click()
        self.d.wait(f"tab {name}", "return !document.getElementById(arguments[0]).hidden;", f"panel-{name}")

    def type(self, css, text, clear=True):
        el = self.d.find(css)
        if clear:
            el.clear()
        el.send_keys(text)

    def choose(self, css, value):
        ok = self.d.js(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1];"
            "s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === arguments[1];",
            css,
            value,
        )
        assert ok, f"{css} has no option {value}"

    def text(self, css):
        return self.d.js("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css)

    def wait_text(self, css, needle, timeout=60):
        return self.d.wait(
            f"{needle!r} in {css}",
            "const e = document.querySelector(arguments[0]);"
            "return e && !e.hidden && e.innerText.includes(arguments[1]) ? e.innerText : null;",
            css,
            needle,
            timeout=timeout,
        )

    def close_dialog(self):
        self.d.js("document.querySelector('dialog[open]').close(); return true;")
        self.d.wait("dialog closed", "return !document.querySelector('dialog[open]');")

    def shot(self, name):
        """The window as X shows it (WebKitWebDriver's own screenshot can hang when WebKit
        renders without compositing, as certdesk does)."""
        time.sleep(1.0)  # let WebKit paint the last change
        path = os.path.join(self.artifacts, f"{name}.png")
        subprocess.run(["import", "-window", "certdesk", path], check=True, timeout=30)
        step(f"screenshot {path}")


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def wait_file(path, needle, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            if needle.encode() in f.read():
                return
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared in {path}")


def mail_from_the_window(app, work):
    """SMTP settings, "Send test e-mail", and a certificate e-mailed as PKCS#12, received by a real
    SMTP server (tests/fakes/smtp_sink.py, aiosmtpd) that parses each message like a mail client."""
    d = app.d
    inbox = os.path.join(work, "inbox")
    os.makedirs(inbox)
    port = free_port()
    sink_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes", "smtp_sink.py")
    sink = subprocess.Popen([sys.executable, sink_script, "--port", str(port), "--dir", inbox],
                            env=CLEAN_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def received(n, needle):
        """Message n once the server has it (it writes n.json last, by rename)."""
        path = os.path.join(inbox, f"{n}.json")
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert time.monotonic() < deadline, f"message {n} never arrived"
            time.sleep(0.1)
        wait_file(path, needle)
        with open(path) as f:
            return json.load(f)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and sink.poll() is None, "the SMTP server did not start"
                time.sleep(0.1)
        step("Settings: SMTP without encryption to a local server; the test e-mail arrives")
        app.type("#set-smtp-host", "127.0.0.1")
        app.type("#set-smtp-port", str(port))
        app.choose("#set-smtp-security", "none")
        app.type("#set-smtp-from", "certdesk@example.com")
        app.type("#set-smtp-to", "admin@example.com")
        d.find("#set-submit").click()
        app.wait_text("#set-saved", "Settings saved")
        d.find("#set-test-mail").click()
        app.wait_text("#set-test-mail-sent", "Test e-mail sent to admin@example.com")
        received(1, "certdesk test mail")

        step("Certificates: E-mail… sends a PKCS#12 that openssl opens with the chosen password")
        app.tab("certificates")
        d.wait_css("[data-cert-id]").click()
        d.wait_css("[data-cert-details]")
        d.find("#cert-mail").click()
        d.wait_css("#mail-dialog")
        app.type("#mail-to", "ops@example.net")
        app.choose("#mail-format", "pkcs12")
        app.type("#mail-password", "mailpw1")
        app.type("#mail-message", "For the web servers.")
        d.find("#mail-submit").click()
        app.wait_text("#mail-done", "Sent to ops@example.net")
        app.close_dialog()
        mail = received(2, "ops@example.net")
        assert mail["text"].startswith("For the web servers."), mail
        [p12] = mail["attachments"]
        openssl("pkcs12", "-in", p12["path"], "-noout", "-passin", "pass:mailpw1")
        app.tab("settings")
    finally:
        sink.kill()
        sink.wait()


def agent_package_from_the_window(app, work):
    step("Windows Agent: download the agent package; the SHA-256 shown is the agent's inside, "
         "and the install steps show the examples it carries")
    d = app.d
    app.tab("agent")
    d.find("#agent-download").click()
    d.wait_css("#agent-package-path")
    package = os.path.join(work, "certdesk-agent.tar.gz")
    app.type("#agent-package-path", package)
    d.find("#agent-package-save").click()
    shown = app.wait_text("#agent-package-sha256", "", timeout=120).strip()
    unpacked = os.path.join(work, "agent-package")
    os.makedirs(unpacked)
    subprocess.run(["tar", "-xzf", package, "-C", unpacked], check=True)
    (folder,) = os.listdir(unpacked)
    agent = os.path.join(unpacked, folder, "certdesk-agent")
    digest = subprocess.run(["sha256sum", agent], capture_output=True, text=True, check=True).stdout.split()[0]
    assert shown == digest, (shown, digest)
    app.shot("agent-package")
    app.close_dialog()
    # The install steps show the very examples the package carries.
    d.find("#agent-install-help summary").click()
    text = app.wait_text("#agent-examples", "agent-iis.json.example")
    examples = [n for n in os.listdir(os.path.join(unpacked, folder)) if n.endswith(".json.example")]
    assert sorted(examples) == ["agent-iis.json.example", "agent.json.example"], examples
    for name in examples:
        with open(os.path.join(unpacked, folder, name)) as f:
            assert f.read().strip() in text, (name, text)


def deploy_mapping_from_the_window(app):
    step("Deploy: an SSH mapping with two certificate files in the rows editor; a relative path "
         "shows the engine's message")
    d = app.d
    app.tab("deploy")
    d.find("#deploy-add").click()
    d.wait_css("#deploy-field-host")
    app.type("#deploy-name", "web1")
    app.type("#deploy-field-host", "web1.example.com")
    app.type("#deploy-field-user", "deploy")
    app.type("#deploy-field-password", "s3cret-pass")
    app.type("#deploy-file-1-path", "etc/nginx/tls/site.pem")
    d.find("#deploy-file-add").click()
    app.type("#deploy-file-2-path", "/etc/nginx/tls/site.key")
    app.choose("#deploy-file-2-format", "key")
    app.type("#deploy-file-2-mode", "0600")
    d.find("#deploy-submit").click()
    app.wait_text("#deploy-error", "must be an absolute file path")
    app.type("#deploy-file-1-path", "/etc/nginx/tls/site.pem")
    d.find("#deploy-submit").click()
    d.wait("web1 listed", "return !document.querySelector('dialog[open]')"
           " && document.getElementById('deploy-list').innerText.includes('deploy@web1.example.com:22');")
    step("Edit shows the files as rows again, and the password only as set")
    d.js("[...document.querySelectorAll('#deploy-list button')].find(b => b.innerText === 'Edit').click();"
         " return true;")
    d.wait("the rows", "const p = document.getElementById('deploy-file-2-path');"
           " return p && p.value === '/etc/nginx/tls/site.key'"
           " && document.getElementById('deploy-file-2-format').value === 'key'"
           " && document.getElementById('deploy-file-2-mode').value === '0600';")
    assert d.js("return document.getElementById('deploy-field-password').value;") == ""
    d.js("document.getElementById('deploy-files').scrollIntoView({block: 'center'}); return true;")
    app.shot("deploy-mapping")
    app.close_dialog()


def overview_from_the_window(app):
    step("Overview: the counts, one chart mark per certificate in its state, the scheduler's pass; "
         "a mark opens the certificate's details")
    d = app.d
    app.tab("certificates")
    d.wait("the list", "return /Showing \\d+ of/.test(document.getElementById('cert-count').innerText);")
    certs = d.js("return document.querySelectorAll('#cert-list [data-cert-id]').length;")
    app.tab("overview")
    d.wait("the overview", "return document.getElementById('overview-body').dataset.marks !== undefined;")
    seen = d.js(
        "const n = (id) => Number(document.getElementById(id).dataset.count);"
        "return {marks: document.querySelectorAll('#overview-chart .tl-mark').length,"
        " revoked: document.querySelectorAll('#overview-chart .tl-mark[data-state=revoked]').length,"
        " valid: n('count-valid'), expiring: n('count-expiring'), failing: n('count-failing'),"
        " waiting: n('count-waiting'),"
        " waits: [...document.querySelectorAll('#overview-actions li[data-step]')].length,"
        " last: document.getElementById('ov-sched-last').innerText,"
        " text: document.getElementById('overview-chart-text').innerText};"
    )
    step(f"overview: {seen}")
    assert seen["marks"] == certs == 1, (seen, certs)
    assert seen["revoked"] == 1 and seen["valid"] == seen["expiring"] == 0, seen
    assert seen["waiting"] == 0 or seen["waits"] >= 1, seen
    assert "none since" not in seen["last"], seen
    fits = d.js("const m = document.querySelector('main');"
                "return {scroll: m.scrollHeight, client: m.clientHeight, width: window.innerWidth};")
    assert fits["scroll"] <= fits["client"], f"the Overview scrolls at the window's size: {fits}"
    app.shot("overview")
    # WebKitWebDriver calls an SVG link not interactable: the mark's own click, as a pointer's.
    d.js("document.querySelector('#overview-chart .tl-mark').dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));")
    d.wait("the certificate's details", "return !document.getElementById('panel-certificates').hidden"
           " && !!document.querySelector('[data-cert-details]');")
    app.tab("settings")  # where the steps after this one start


def import_and_replace_from_the_window(app, work):
    step("Certificates: Import… tracks a self-signed P-384 PEM (certificate and key in one file); its "
         "details say certdesk does not renew it, and Replace with ACME fills the request form")
    d = app.d
    key = os.path.join(work, "tracked.key")
    crt = os.path.join(work, "tracked.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
            "-keyout", key, "-out", crt, "-days", "90", "-subj", "/CN=legacy.example.org",
            "-addext", "subjectAltName=DNS:legacy.example.org,DNS:www.legacy.example.org")
    pem = os.path.join(work, "tracked.pem")
    with open(pem, "wb") as out:
        for part in (crt, key):
            with open(part, "rb") as f:
                out.write(f.read())
    app.tab("certificates")
    d.find("#cert-import").click()
    d.wait_css("#import-dialog")
    app.type("#imp-path", pem)
    # Enter in the last field submits, as from the keyboard (WebKitWebDriver calls the
    # Import button not interactable in this dialog).
    app.type("#imp-label", "Legacy web\ue007")
    d.wait("the dialog closed", "return !document.querySelector('dialog[open]');")
    app.wait_text("#cert-list", "legacy.example.org")
    origin = app.wait_text("#cert-origin", "tracked: not renewed by certdesk (Legacy web)")
    assert "without its private key" not in origin, origin
    assert "legacy.example.org" in app.text("[data-cert-details] h3"), app.text("[data-cert-details] h3")
    app.shot("certificate-tracked")
    d.find("#cert-replace").click()
    d.wait("the request form filled", "return !document.getElementById('panel-requests').hidden"
           " && document.getElementById('req-names').value !== '';")
    names = d.js("return document.getElementById('req-names').value;").split()
    assert names == ["legacy.example.org", "www.legacy.example.org"], names
    chosen = d.js("return document.getElementById('req-key').value;")
    assert chosen == "p384", chosen
    step(f"Replace with ACME proposed {names} with key {chosen}")


def endpoints_from_the_window(app, work):
    step("Endpoints: a bad address is refused beside its field; `openssl s_server` serving the "
         "self-signed tracked certificate is watched, Check now finds it self-signed, and the "
         "Overview lists it")
    d = app.d
    port, other, closed = free_port(), free_port(), free_port()
    servers = [subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{p}",
         "-cert", os.path.join(work, "tracked.crt"), "-key", os.path.join(work, "tracked.key")],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in (port, other)]
    try:
        deadline = time.monotonic() + 30
        for p in (port, other):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "openssl s_server never listened"
                    time.sleep(0.1)
        app.tab("endpoints")
        app.wait_text("#endpoints-body", "No endpoint is watched")
        app.type("#ep-address", "legacy.example.org")
        d.find("#ep-add").click()
        said = app.wait_text("#ep-address-error", "the port is missing")
        assert d.js("return document.getElementById('ep-address').getAttribute('aria-invalid');") == "true"
        assert d.js("return document.activeElement.id;") == "ep-address"
        app.type("#ep-address", f"127.0.0.1:{port}")
        app.type("#ep-sni", "legacy.example.org")
        d.find("#ep-add").click()
        row = f"#ep-table tr[data-endpoint='127.0.0.1:{port}']"
        app.wait_text(row, "not checked yet")
        assert app.text("#ep-address-error") == "", "the error stayed after the endpoint was added"
        d.find(f"{row} [data-check]").click()
        app.wait_text(f"{row} [data-kind='self_signed']", "self")
        served = app.text(row)
        assert "legacy.example.org" in served and "SNI legacy.example.org" in served, served
        app.shot("tab-endpoints-checked")
        app.tab("overview")
        glance = app.wait_text("#ov-endpoints-summary", "1 endpoint watched, 1 with findings")
        app.wait_text(f"#overview-endpoints [data-endpoint='127.0.0.1:{port}']", "self signed")
        step(f"the window said {said!r}; the Overview says {glance!r}")

        step("Endpoints: a scan of 127.0.0.1 on three ports finds the two s_servers, the watched one "
             "marked so; Watch adds the other with its check")
        app.tab("endpoints")
        app.type("#scan-hosts", "127.0.0.1")
        app.type("#scan-ports", f"{port},{other},{closed}")
        d.find("#scan-go").click()
        summary = app.wait_text("#scan-summary", "3 probes, 2 answered TLS, 0 spoke something else, 1 did not answer")
        assert d.js("return document.querySelector(`[data-watch='127.0.0.1:${arguments[0]}']`).disabled;", port)
        d.find(f"[data-watch='127.0.0.1:{other}']").click()
        app.wait_text(f"[data-watch='127.0.0.1:{other}']", "Watched")
        app.wait_text(f"#ep-table tr[data-endpoint='127.0.0.1:{other}'] [data-kind='self_signed']", "self")
        app.shot("endpoints-scan")
        step(f"the scan said {summary!r}")
    finally:
        for server in servers:
            server.kill()
            server.wait()


def empty_states_lead_on(app):
    step("Empty states: before any account the Account tab is first; the Overview says to register "
         "and the Certificates tab to create a request, each with a button that goes there")
    d = app.d
    first = d.js("return document.querySelector('#tabs [role=tab]').id;")
    assert first == "tab-account", first
    app.tab("overview")
    app.wait_text("#overview-body", "No account yet")
    d.find("#overview-empty-go").click()
    d.wait("the Account tab", "return !document.getElementById('panel-account').hidden;")
    app.tab("certificates")
    text = app.wait_text("#certs-empty", "Requests tab")
    assert "No certificates yet" in text, text
    assert d.js("return document.getElementById('cert-list').closest('.split').hidden;"), "the empty list is shown"
    app.shot("certificates-empty")
    d.find("#certs-empty-go").click()
    d.wait("the Requests tab", "return !document.getElementById('panel-requests').hidden"
           " && document.getElementById('tab-requests').getAttribute('aria-selected') === 'true';")
    text = app.wait_text("#panel-requests .empty", "Account tab")
    assert "No account yet" in text, text
    d.find("#requests-empty-go").click()
    d.wait("the Account tab", "return !document.getElementById('panel-account').hidden;")


def notice_channel_from_the_window(app, pebble, work):
    """A signed webhook channel to a local HTTPS receiver (tests/fakes/notice_receiver.py, which
    accepts only a correctly signed certdesk webhook) whose certificate Pebble's test CA issued:
    the channel trusts it through its CA certificate field. Test says in the channel's row what
    the receiver answered; a channel to a receiver that fails shows the failure there."""
    step("Settings: a webhook channel to a local HTTPS receiver; Test reaches it, signed, and the row says it was accepted")
    d = app.d
    records = os.path.join(work, "notices")
    os.makedirs(records)
    port = free_port()
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes", "notice_receiver.py")
    receiver = subprocess.Popen(
        [sys.executable, script, "--port", str(port), "--cert", pebble.listener_cert, "--key", pebble.listener_key,
         "--dir", records, "--secret", "hook-secret-1", "--token", "unused"],
        env=CLEAN_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def add_channel(name, path):
        d.find("#channels-add").click()
        d.wait_css("#channel-field-url")
        app.type("#channel-name", name)
        app.choose("#channel-kind", "webhook")
        d.wait_css("#channel-field-secret")
        app.type("#channel-field-url", f"https://127.0.0.1:{port}{path}")
        app.type("#channel-field-secret", "hook-secret-1")
        app.type("#channel-field-ca_certificate", pebble.ca_root)
        d.find("#channel-submit").click()
        d.wait(f"{name} listed", "return !document.querySelector('dialog[open]')"
               " && !!document.querySelector(`#channels-list tr[data-channel='${arguments[0]}']`);", name)

    def test_result(name, outcome):
        d.js("[...document.querySelectorAll(`#channels-list tr[data-channel='${arguments[0]}'] button`)]"
             ".find(b => b.innerText === 'Test').click(); return true;", name)
        return d.wait(f"{name}'s test {outcome}",
                      "const r = document.querySelector(`#channels-list tr[data-channel='${arguments[0]}']"
                      " [data-test-result='${arguments[1]}']`); return r && !r.hidden ? r.innerText : null;",
                      name, outcome, timeout=30)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and receiver.poll() is None, "the notice receiver did not start"
                time.sleep(0.1)
        app.tab("settings")
        add_channel("hooks", "/webhook")
        said = test_result("hooks", "ok")
        assert "Webhook at 127.0.0.1 accepted it (HTTP 200" in said, said
        app.wait_text("#channels-list tr[data-channel='hooks']", "Test passed")
        accepted = os.path.join(records, "accepted-1.json")
        wait_file(accepted, "certdesk test notice (hooks)")
        with open(accepted) as f:
            notice = json.load(f)
        assert notice["path"] == "/webhook" and json.loads(notice["body"])["event"] == "test", notice
        step(f"the receiver accepted the signed test notice; the row says: {said}")
        add_channel("broken", "/fail")
        failed = test_result("broken", "failed")
        assert "answered HTTP 500" in failed and "receiver broke" in failed, failed
        app.wait_text("#channels-list tr[data-channel='broken']", "Test failed")
        d.js("document.getElementById('channels-list').scrollIntoView({block: 'center'}); return true;")
        app.shot("notice-channels")
        step(f"a failing receiver's answer shows in its row: {failed}")
    finally:
        receiver.kill()
        receiver.wait()


def scenario(app, pebble, work, notifications):
    d = app.d
    d.wait("the window", "return document.body.dataset.ready === 'true';", timeout=60)

    step("The CSP refuses inline scripts and eval")
    csp = d.js(
        "const s = document.createElement('script'); s.textContent = 'window.__inline = 1;';"
        "document.body.append(s); s.remove();"
        "let evalBlocked = false; try { window.eval('1'); } catch (e) { evalBlocked = true; }"
        "return {inline: window.__inline === 1, evalBlocked};"
    )
    assert csp == {"inline": False, "evalBlocked": True}, csp

    empty_states_lead_on(app)

    step("Account: a bad e-mail shows the engine's message beside the field, on screen and focused; then a good registration")
    app.tab("account")
    app.type("#reg-name", "pebble")
    app.type("#reg-email", "admin-at-example.com")
    app.choose("#reg-ca", "directory")
    app.type("#reg-url", pebble.directory_url)
    app.type("#reg-ca-root", pebble.ca_root)
    d.find("#reg-fetch-terms").click()
    app.wait_text("#reg-terms", "Terms of service")
    d.find("#reg-agree").click()
    d.find("#reg-submit").click()
    msg = app.wait_text("#reg-email-error", "is not valid")
    assert "admin-at-example.com" in msg and "'@'" in msg, msg
    beside = d.js(
        "const f = document.getElementById('reg-email'), e = document.getElementById('reg-email-error');"
        "const r = e.getBoundingClientRect();"
        "return {invalid: f.getAttribute('aria-invalid'), focused: document.activeElement === f,"
        " onScreen: r.top >= 0 && r.bottom <= window.innerHeight, below: document.getElementById('reg-error').hidden};"
    )
    assert beside == {"invalid": "true", "focused": True, "onScreen": True, "below": True}, beside
    app.shot("account-bad-email")
    app.type("#reg-email", "admin@example.com")
    assert d.js("return document.getElementById('reg-agree').checked;"), "the acceptance was lost"
    d.find("#reg-submit").click()
    app.wait_text("#accounts-list", "pebble", timeout=60)
    app.wait_text("#accounts-list", "Active")
    # The form starts over as a whole: the first CA again, without the custom directory's fields.
    reset = d.js(
        "const s = document.getElementById('reg-ca');"
        "return {first: s.selectedIndex === 0, url: document.getElementById('reg-url').closest('.field').hidden,"
        " invalid: document.getElementById('reg-email').hasAttribute('aria-invalid')};"
    )
    assert reset == {"first": True, "url": True, "invalid": False}, reset
    step("The first registration puts the Overview first among the tabs at once, the Account tab still shown")
    d.wait("the Overview first", "const tabs = [...document.querySelectorAll('#tabs [role=tab]')];"
           " return tabs[0].id === 'tab-overview' && tabs[1].id === 'tab-account'"
           " && document.getElementById('tab-account').getAttribute('aria-selected') === 'true';")

    step("Account: update the e-mail at the CA, export the key (mode 0600)")
    d.find("[data-account='pebble'] .row-actions button:nth-child(1)").click()
    app.type("#upd-email", "ops@example.com")
    d.find("#upd-submit").click()
    app.wait_text("#accounts-list", "ops@example.com")
    d.find("[data-account='pebble'] .row-actions button:nth-child(2)").click()
    key = os.path.join(work, "account-key.pem")
    app.type("#key-path", key)
    d.find("#key-submit").click()
    app.d.wait("key written", "return document.querySelector('dialog[open]').innerText.includes('Key written to');")
    app.close_dialog()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with open(key) as f:
        assert "PRIVATE KEY" in f.read()

    step("DNS: an RFC 2136 account from its form; a bad secret shows the engine's message; secrets say 'set'")
    app.tab("dns")
    d.find("#dns-add").click()
    d.wait_css("#dns-fields")
    app.type("#dns-name", "bind")
    app.choose("#dns-provider", "rfc2136")
    app.wait_text("#dns-privilege", "update-policy")
    app.type("#dns-field-server", "127.0.0.1:53")
    app.type("#dns-field-key_name", "certdesk")
    app.type("#dns-field-key_secret", "not base64!")
    d.find("#dns-submit").click()
    app.wait_text("#dns-error", "is not base64")
    app.type("#dns-field-key_secret", "c2VjcmV0LXNlY3JldA==")
    d.find("#dns-submit").click()
    app.wait_text("#dns-list", "key_secret: set")
    app.wait_text("#dns-list", "Enabled")
    app.shot("dns-accounts")

    step("Requests: rejected names are listed with the engine's reasons")
    app.tab("requests")
    # The tab's main action is on screen at the window's 1200x780 without scrolling.
    seen = d.js(
        "const r = document.getElementById('req-submit').getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;"
    )
    assert seen, "Create request is below the fold"
    # Pebble is a private CA to certdesk (a custom directory), where localhost and private
    # addresses pass with a notice: these four are refused by any CA.
    app.type("#req-names", "foo_bar.example.com, bad..example.com, *.wild.example.com, -foo.example.com")
    app.d.wait("four rejected names", "return document.querySelectorAll('#req-name-errors li').length === 4;")
    errors = app.text("#req-name-errors")
    for needle in ["foo_bar", "bad..example.com", "*.wild.example.com", "-foo", "starts with a hyphen", "dns-01"]:
        assert needle in errors, (needle, errors)
    app.shot("requests-bad-names")

    step("Requests: a too short keystore password shows the engine's message")
    app.type("#req-names", "app.example.com, www.app.example.com")
    app.wait_text("#req-count", "2 names")
    app.wait_text("#req-count", "all valid")
    app.choose("#req-keystore", "pkcs12")
    app.type("#req-password", "abc")
    d.find("#req-submit").click()
    msg = app.wait_text("#req-error", "too short")
    assert "at least 6" in msg, msg

    step("Requests: create, read the tokens from the challenge window, publish them")
    app.type("#req-password", "changeit1")
    d.find("#req-submit").click()
    d.wait_css("#challenge-dialog [data-token]", timeout=60)
    challenges = d.js(
        "return [...document.querySelectorAll('#challenge-dialog li.challenge')].map(li => ({"
        "domain: li.dataset.domain,"
        "token: li.querySelector('[data-token]').dataset.token,"
        "content: li.querySelector('[data-key-authorization]').dataset.keyAuthorization}));"
    )
    assert sorted(c["domain"] for c in challenges) == ["app.example.com", "www.app.example.com"], challenges
    for c in challenges:
        assert c["content"].startswith(c["token"] + "."), c
        pebble.add_http01(c["token"], c["content"])
    app.shot("challenge-window")

    step("Verify, then Save to the repository; the engine's stages show while it works")
    # Pebble validates fast: record every stage text the page shows rather than poll for one.
    d.js(
        "window.__stages = [];"
        "const seen = () => {"
        "  for (const el of document.querySelectorAll('#ch-stage, [data-stage-for]')) {"
        "    const t = el.textContent.trim();"
        "    if (t && !el.hidden && !window.__stages.includes(t)) window.__stages.push(t);"
        "  }"
        "};"
        "window.__stageObserver = new MutationObserver(seen);"
        "window.__stageObserver.observe(document.body,"
        "  {subtree: true, childList: true, characterData: true, attributes: true});"
        "return true;"
    )
    d.find("#ch-verify").click()
    d.wait("Available", "return document.getElementById('challenge-body').dataset.status === 'available';", timeout=120)
    stages = d.js("window.__stageObserver.disconnect(); return window.__stages;")
    assert "Verifying — waiting for the CA to validate" in stages, stages
    assert "aria-live" in d.js("return document.getElementById('ch-stage').outerHTML;")
    step(f"stages seen: {stages}")
    app.shot("challenge-window-available")
    wait_file(notifications, "Certificate issued")
    step("a desktop notification said so")
    d.find("#ch-save").click()
    d.wait("Saved", "return document.getElementById('challenge-body').dataset.status === 'saved';", timeout=60)
    app.close_dialog()
    app.wait_text("#requests-list", "Saved")

    step("Certificates: details, Save keystore (stored password), Export PKCS#12")
    app.tab("certificates")
    d.wait_css("[data-cert-id]").click()
    d.wait_css("[data-cert-details]")
    serial = app.text("#cert-serial").strip()
    assert serial, "no serial shown"
    d.find("#cert-save").click()
    d.wait_css("#export-dialog")
    saved = os.path.join(work, "saved.p12")
    app.type("#exp-path", saved)
    d.find("#exp-submit").click()
    app.wait_text("#exp-done", "Written to")
    app.close_dialog()
    openssl("pkcs12", "-in", saved, "-noout", "-passin", "pass:changeit1")

    d.find("#cert-export").click()
    d.wait_css("#export-dialog")
    app.choose("#exp-format", "pkcs12")
    app.type("#exp-password", "exportpw1")
    exported = os.path.join(work, "exported.p12")
    app.type("#exp-path", exported)
    d.find("#exp-submit").click()
    app.wait_text("#exp-done", "Written to")
    app.close_dialog()
    assert stat.S_IMODE(os.stat(exported).st_mode) == 0o600
    openssl("pkcs12", "-in", exported, "-noout", "-passin", "pass:exportpw1")
    leaf = openssl("pkcs12", "-in", exported, "-nokeys", "-clcerts", "-passin", "pass:exportpw1")
    sans = openssl("x509", "-noout", "-ext", "subjectAltName", stdin=leaf).decode()
    assert "app.example.com" in sans and "www.app.example.com" in sans, sans
    step(f"PKCS#12 opens with openssl (no -legacy); serial {serial}")

    step("Secrets are never sent back to the page")
    page = d.js(
        "return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ');"
    )
    for secret in ["changeit1", "exportpw1"]:
        assert secret not in page, f"{secret} is in the page"

    step("History lists the versions")
    d.find("#cert-history").click()
    d.wait("one version", "return document.querySelectorAll('#history-table tbody tr').length === 1;")
    app.close_dialog()

    step("Revoke with a reason; Pebble reports it revoked")
    app.shot("certificates")
    d.find("#cert-revoke").click()
    d.wait_css("#revoke-dialog")
    app.choose("#revoke-reason", "keyCompromise")
    d.find("#revoke-submit").click()
    d.wait("Revoked badge", "return document.querySelector('[data-cert-details] h3')?.innerText.includes('Revoked');", timeout=60)
    status = pebble.cert_status(serial)
    assert status.get("Status") == "Revoked", status

    step("Settings: the renewal scheduler has run; a bad renewal window shows the engine's message")
    app.tab("settings")
    app.wait_text("#sched-runs", "Next run: ")
    d.wait("settings loaded", "return document.getElementById('set-renew-days').value !== '';")
    app.type("#set-renew-days", "398")
    d.find("#set-submit").click()
    app.wait_text("#set-error", "renew between 1 and")
    app.type("#set-renew-days", "30")
    d.find("#set-submit").click()
    app.wait_text("#set-saved", "Settings saved")
    step("Renew due now: the revoked certificate, whose challenges are published by hand, gets a "
         "reminder on screen and as a desktop notification")
    d.find("#sched-run").click()
    app.wait_text("#sched-result", "renew it by hand", timeout=120)
    wait_file(notifications, "by hand")
    app.shot("renew-due-now")
    overview_from_the_window(app)
    mail_from_the_window(app, work)
    notice_channel_from_the_window(app, pebble, work)
    agent_package_from_the_window(app, work)
    deploy_mapping_from_the_window(app)
    # After the Overview counts its one certificate: this adds a second.
    import_and_replace_from_the_window(app, work)
    endpoints_from_the_window(app, work)

    step("Activity: the window's own actions are logged as the window's, the refused registration as failed")
    app.tab("activity")
    d.wait("the registration in the log",
           "return document.querySelector(\"#activity-table tr[data-face='window'][data-action*='register'][data-status='ok']\") !== null"
           " && document.querySelector(\"#activity-table tr[data-face='window'][data-action*='register'][data-status='failed']\") !== null;")

    step("Keyboard and screen readers: arrow keys move between tabs; every control has a label")
    d.find("#tab-activity").click()
    d.find("#tab-activity").send_keys("\ue014")  # ArrowRight wraps from the last tab to the first
    d.wait("Overview selected by keyboard", "return document.activeElement.id === 'tab-overview'"
           " && document.getElementById('tab-overview').getAttribute('aria-selected') === 'true';")
    unlabelled = []
    for name in TABS:
        app.tab(name)
        unlabelled += d.js(
            "return [...document.querySelectorAll('input, select, textarea, button')]"
            ".filter(e => e.offsetParent !== null)"
            ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
            " && !(e.tagName === 'BUTTON' && e.innerText.trim()))"
            ".map(e => arguments[0] + ': ' + (e.id || e.outerHTML.slice(0, 80)));",
            name,
        )
    assert not unlabelled, unlabelled

    step("Screenshots of every tab")
    for name in TABS:
        app.tab(name)
        if name == "certificates":
            d.wait_css("[data-cert-id]").click()
            d.wait_css("[data-cert-details]")
        app.shot(f"tab-{name}")


def second_launch_hands_over(application, env, driver):
    """A second start exits at once and leaves the first window running (single instance)."""
    started = time.monotonic()
    second = subprocess.run([application], env=env, capture_output=True, timeout=60)
    assert second.returncode == 0, second
    assert driver.js("return document.body.dataset.ready;") == "true"
    step(f"a second launch handed over to the first and exited in {time.monotonic() - started:.1f} s")


def tray_icon():
    """Centre of the app's icon docked in trayer (an XEmbed tray), or None."""
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    for line in tree.splitlines():
        if '"certdesk-app": ("tray-icon' in line:
            m = re.search(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)", line)
            if m:
                w, h, x, y = map(int, m.groups())
                return x + w // 2, y + h // 2
    return None


def app_running(application):
    return bool(procs.of_binary(application))


def web_processes():
    """WebKit's web processes (the page) in this session."""
    return procs.webkit((procs.WEB_PROCESS,))


def main_window():
    """(id, mapped) of the app's window; (None, False) when there is none."""
    found = subprocess.run(["xwininfo", "-name", "certdesk"], capture_output=True, text=True)
    if found.returncode != 0:
        return None, False
    window_id = int(re.search(r"Window id: (0x[0-9a-f]+)", found.stdout).group(1), 16)
    return window_id, "IsViewable" in found.stdout


def wait_mapped(want, what):
    deadline = time.monotonic() + 15
    while main_window()[1] != want:
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def open_tray_menu():
    deadline = time.monotonic() + 15
    while (icon := tray_icon()) is None:
        assert time.monotonic() < deadline, "the tray icon never docked in trayer"
        time.sleep(0.2)
    subprocess.run(["xdotool", "mousemove", str(icon[0]), str(icon[1]), "click", "1"], check=True)
    time.sleep(1.5)


def closed_to_the_tray(application, socket, what):
    """Closes the window and waits for the process it hands over to: a --tray process, with no
    WebKit process at all (the window's process and its web and network processes end), serving
    the control socket (it holds the data folder and the single-instance name by then)."""
    window_id, mapped = main_window()
    assert mapped, "the window is not shown"
    deadline = time.monotonic() + 30
    while not web_processes():
        assert time.monotonic() < deadline, "no web process before closing"
        time.sleep(0.1)
    request_close(window_id)
    wait_mapped(False, "closing did not close the window")
    deadline = time.monotonic() + 30
    while (not procs.with_tray_arg(application) or len(procs.of_binary(application)) != 1
           or procs.webkit() or not os.path.exists(socket)):
        assert time.monotonic() < deadline, (
            f"{what}: no lone --tray process without WebKit: app {procs.of_binary(application)}, "
            f"tray {procs.with_tray_arg(application)}, WebKit {procs.webkit()}")
        time.sleep(0.2)


def handed_to_a_window(application, what):
    """Waits for the window's process that the tray handed over to: a lone certdesk process
    that was not started with --tray."""
    deadline = time.monotonic() + 30
    while procs.with_tray_arg(application) or len(procs.of_binary(application)) != 1:
        assert time.monotonic() < deadline, (
            f"{what}: the tray did not hand over to a window process: app "
            f"{procs.of_binary(application)}, tray {procs.with_tray_arg(application)}")
        time.sleep(0.2)


def closing_keeps_the_app_in_the_tray(application, env, notifications):
    """Closing the window hands certdesk over to a tray process without WebKit (which says so,
    once); the tray's Open and a second launch each hand it back to a window."""
    socket = os.path.join(env["CERTDESK_DATA_DIR"], "control.sock")
    closed_to_the_tray(application, socket, "closing the window")
    wait_file(notifications, "certdesk is still running")
    step("closing the window left one --tray process and no WebKit process; it said so")
    open_tray_menu()
    # Down from no selection selects the first item that can be chosen, Open.
    subprocess.run(["xdotool", "key", "Down", "Return"], check=True)
    wait_mapped(True, "the tray's Open did not show the window again")
    handed_to_a_window(application, "the tray's Open")
    step("the tray's Open handed over to a new window process")
    closed_to_the_tray(application, socket, "closing the window again")
    second = subprocess.run([application], env=env, capture_output=True, timeout=60)
    assert second.returncode == 0, second
    wait_mapped(True, "a second launch did not bring the window back from the tray")
    handed_to_a_window(application, "a second launch")
    with open(notifications, errors="replace") as f:
        told = f.read().count("certdesk is still running")
    assert told == 1, f"'certdesk is still running' was said {told} times"
    step("a second launch brought the window back from the tray; the tray was announced once")


def tray_menu_quits(application, artifacts, data_dir):
    """The tray icon's menu (next expiry, Open, Renew due now, Quit) ends the app with Quit, and
    the app takes its control socket with it."""
    socket = os.path.join(data_dir, "control.sock")
    assert os.path.exists(socket), "the app serves no control socket"
    open_tray_menu()
    # The bottom right corner of the screen: the docked icon and its menu, open above it.
    subprocess.run(["import", "-window", "root", "-crop", "480x200+1120+800",
                    os.path.join(artifacts, "tray-menu.png")], check=True)
    step("screenshot tray-menu.png")
    # Up from no selection selects the last item, Quit.
    subprocess.run(["xdotool", "key", "Up", "Return"], check=True)
    deadline = time.monotonic() + 15
    while app_running(application):
        assert time.monotonic() < deadline, "Quit in the tray menu did not end the app"
        time.sleep(0.2)
    assert not os.path.exists(socket), "the control socket outlived the app"
    step("Quit in the tray menu ended the app and removed its control socket")


def dark_theme_follows_the_os(application, env, artifacts):
    """With the desktop's theme dark (GTK_THEME), the page is dark too (prefers-color-scheme);
    then Ctrl+Q in the window quits."""
    plain = {k: v for k, v in env.items() if k != "TAURI_WEBVIEW_AUTOMATION"}
    app = subprocess.Popen([application], env=dict(plain, GTK_THEME="Adwaita:dark"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while '"certdesk"' not in subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout:
            assert time.monotonic() < deadline, "the window never appeared"
            time.sleep(0.1)
        time.sleep(2)
        shot = os.path.join(artifacts, "dark-theme.png")
        subprocess.run(["import", "-window", "certdesk", shot], check=True)
        # The page's background, sampled below the header: dark means a low mean.
        mean = subprocess.run(["convert", shot, "-crop", "400x200+100+400", "-colorspace", "Gray",
                               "-format", "%[fx:mean]", "info:"], capture_output=True, text=True, check=True).stdout
        assert float(mean) < 0.3, f"the page is not dark (mean {mean})"
        step(f"dark theme followed (mean grey {float(mean):.2f}); screenshot dark-theme.png")
        # Ctrl+Q in the window ends certdesk, tray and all (a desktop may have no tray host).
        window_id, _ = main_window()
        subprocess.run(["xdotool", "windowfocus", "--sync", str(window_id)], check=True)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+q"], check=True)
        app.wait(timeout=15)
        assert app.returncode == 0, f"Ctrl+Q ended the app with {app.returncode}"
        step("Ctrl+Q in the window ended the app")
    finally:
        app.kill()
        app.wait()


def main():
    # A CI timeout sends SIGTERM: stop Pebble and the driver on the way out all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    application, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="certdesk-e2e-app-")
    step(f"work dir {work}")
    pebble = Pebble()
    step(f"Pebble at {pebble.directory_url}")
    port, native = free_port(), free_port()
    env = dict(CLEAN_ENV, CERTDESK_DATA_DIR=os.path.join(work, "data"), TAURI_WEBVIEW_AUTOMATION="true")
    driver_log = open(os.path.join(artifacts, "tauri-driver.log"), "wb")
    tauri_driver = subprocess.Popen(
        ["tauri-driver", "--port", str(port), "--native-port", str(native)],
        env=env, stdin=subprocess.DEVNULL, stdout=driver_log, stderr=driver_log,
    )
    # An XEmbed tray for the icon to dock in (there is no StatusNotifier host under Xvfb).
    trayer = subprocess.Popen(
        ["trayer", "--edge", "bottom", "--align", "right", "--widthtype", "request", "--height", "32",
         "--SetDockType", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    notifications = os.path.join(artifacts, "notifications.log")
    monitor = subprocess.Popen(
        ["dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
        stdout=open(notifications, "wb"), stderr=subprocess.DEVNULL,
    )
    driver = None
    ok = False
    try:
        driver = Driver(port, application)
        scenario(App(driver, artifacts), pebble, work, notifications)
        second_launch_hands_over(application, env, driver)
        closing_keeps_the_app_in_the_tray(application, env, notifications)
        tray_menu_quits(application, artifacts, env["CERTDESK_DATA_DIR"])
        dark_theme_follows_the_os(application, env, artifacts)
        ok = True
    finally:
        if driver and not ok:
            try:
                App(driver, artifacts).shot("failure")
            except Exception as e:  # the failure itself is what matters
                step(f"no failure screenshot: {e}")
        if driver and not ok:
            try:
                driver.quit()
            except Exception as e:
                step(f"closing the session: {e}")
        tauri_driver.kill()
        tauri_driver.wait()
        for helper in (monitor, trayer):
            helper.kill()
            helper.wait()
        pebble.stop(keep=not ok)
        if not ok:
            step(f"kept Pebble logs in {pebble.dir} and the work dir {work}")
    step("PASS")


if __name__ == "__main__":
    main()
