//! Endpoint monitoring (`certdesk endpoint add|list|check|delete`): `openssl s_server` on
//! loopback serving a chain made by `openssl` (a root, an intermediate, leaves) — whole, without
//! its intermediate, with an expired leaf, with a leaf for another name, and a self-signed
//! leaf — and the SMTP sink (aiosmtpd) with STARTTLS, plain SMTP taken for TLS, and a port that
//! accepts and never answers. The test root is trusted the way an administrator's in-house CA
//! is: through the system store's `SSL_CERT_FILE`. Each check's findings are asserted in
//! `--json` and in the human lines; bad addresses are refused with words and write nothing; add
//! and delete are in the activity log. A certificate issued by Pebble, exported, renewed, and
//! its old files served again behind certdesk's back is drift. A scan of a loopback range (all
//! of 127.0.0.0/8 is local on Linux) finds the two s_servers in it, not the plain listener,
//! and tracks them; a range or a port past the bounds is refused.

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::ari::{rfc, Saved};
use crate::common::certdesk::Certdesk;
use crate::common::notice_receiver::NoticeReceiver;
use crate::common::process::{
    free_port, kill_and_reap, not_found, open_log, random_u64, wait_until, TempDir,
};
use crate::common::smtp::{Security, SmtpSink};
use crate::common::tools::{ec_csr, openssl, self_signed_ec};

/// The name every s_server endpoint is added with (`--sni`).
const NAME: &str = "www.endpoints.test";

/// The test's CA: a root, an intermediate under it, and leaves the intermediate signs, made
/// with `openssl ca` (OpenSSL 3.0's `x509 -req` cannot date a certificate in the past).
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new("certdesk-endpoints");
        let d = dir.path();
        fs::create_dir(d.join("new")).expect("create dir");
        fs::write(d.join("index.txt"), "").expect("write index");
        fs::write(d.join("serial"), format!("{:016X}\n", random_u64() >> 4)).expect("serial");
        fs::write(
            d.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca = test\n\
                 [test]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/new\nserial = {d}/serial\n\
                 default_md = sha256\npolicy = any\nunique_subject = no\nemail_in_dn = no\n\
                 [any]\ncommonName = supplied\n\
                 [req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n\
                 [v3_ca]\nbasicConstraints = critical,CA:TRUE\n\
                 keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
                d = d.display()
            ),
        )
        .expect("write ca.cnf");
        let pki = Pki { dir };
        let root_cn = format!("/CN=endpoints test root {:08x}", random_u64() as u32);
        let config = pki.config();
        let v3_ca = ["-config", config.as_str(), "-extensions", "v3_ca"];
        pki.self_signed(&root_cn, &v3_ca, "root");
        pki.sign(
            "mid",
            "/CN=endpoints test intermediate",
            "root",
            "v3_ca",
            None,
            None,
        );
        pki
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The path of `ca.cnf`, for `openssl -config`.
    fn config(&self) -> String {
        self.path("ca.cnf").to_str().expect("UTF-8").to_owned()
    }

    /// `name.pem`, self-signed for `subject` on a new P-256 key `name.key`, valid 90 days;
    /// `extra` are further `openssl req` options.
    fn self_signed(&self, subject: &str, extra: &[&str], name: &str) {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        self_signed_ec(
            "P-256",
            subject,
            90,
            extra,
            &self.path(&key),
            &self.path(&pem),
        );
    }

    /// `openssl args…` in the CA's directory, so its files are named by their names.
    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .current_dir(self.dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{}", not_found("openssl", &e)));
        assert!(
            out.status.success(),
            "openssl {args:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `name.pem` and `name.key` for `subject`, signed by `issuer` with the extensions of
    /// `section` (or of `san`, a leaf's), valid from `dates.0` to `dates.1` (`YYMMDDHHMMSSZ`)
    /// or for 90 days from now (past the 30 days that make a certificate expire soon).
    fn sign(
        &self,
        name: &str,
        subject: &str,
        issuer: &str,
        section: &str,
        san: Option<&str>,
        dates: Option<(&str, &str)>,
    ) {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let config = self.config();
        let config = ["-config", config.as_str()];
        ec_csr(
            "P-256",
            subject,
            &config,
            &self.path(&key),
            &self.path(&csr),
        );
        let (issuer_pem, issuer_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
        let mut args = vec![
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-cert",
            &issuer_pem,
            "-keyfile",
            &issuer_key,
            "-in",
            &csr,
            "-out",
            &pem,
        ];
        let ext = self.path(&format!("{name}.ext"));
        let ext_path = ext.to_str().expect("UTF-8").to_owned();
        match san {
            Some(san) => {
                fs::write(
                    &ext,
                    format!(
                        "basicConstraints = critical,CA:FALSE\n\
                         keyUsage = critical,digitalSignature\n\
                         extendedKeyUsage = serverAuth\nsubjectAltName = {san}\n"
                    ),
                )
                .expect("write ext");
                args.extend(["-extfile", &ext_path]);
            }
            None => args.extend(["-extensions", section]),
        }
        match dates {
            Some((start, end)) => args.extend(["-startdate", start, "-enddate", end]),
            None => args.extend(["-days", "90"]),
        }
        self.openssl(&args);
    }

    /// A leaf `name` for `san` under the intermediate.
    fn leaf(&self, name: &str, san: &str, dates: Option<(&str, &str)>) {
        let subject = format!("/CN={name}.endpoints.test");
        self.sign(name, &subject, "mid", "", Some(san), dates);
    }
}

impl Pki {
    /// `openssl s_server` with the leaf `cert` (`cert.pem`, `cert.key`) and the chain file
    /// `chain`.
    fn serve(&self, cert: &str, chain: Option<&str>) -> Served {
        self.serve_on("127.0.0.1", free_port(), cert, chain)
    }

    /// As [`Pki::serve`], on `ip` and `port`.
    fn serve_on(&self, ip: &str, port: u16, cert: &str, chain: Option<&str>) -> Served {
        let chain = chain.map(|c| self.path(&format!("{c}.pem")));
        let (pem, key) = (
            self.path(&format!("{cert}.pem")),
            self.path(&format!("{cert}.key")),
        );
        Served::start_on(ip, port, &pem, &key, chain.as_deref())
    }
}

/// `openssl s_server` on a loopback address and port, waited for until it accepts connections;
/// its log beside the certificate.
struct Served {
    child: Option<Child>,
    ip: String,
    port: u16,
}

impl Served {
    /// On 127.0.0.1 and a free port.
    fn start(cert: &Path, key: &Path, chain: Option<&Path>) -> Served {
        Served::start_on("127.0.0.1", free_port(), cert, key, chain)
    }

    fn start_on(ip: &str, port: u16, cert: &Path, key: &Path, chain: Option<&Path>) -> Served {
        let mut cmd = Command::new("openssl");
        cmd.args(["s_server", "-quiet", "-accept", &format!("{ip}:{port}")])
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key);
        if let Some(chain) = chain {
            cmd.arg("-cert_chain").arg(chain);
        }
        let log = cert.with_file_name(format!("s_server-{ip}-{port}.log"));
        let (out, err) = open_log(&log);
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", not_found("openssl", &e)));
        let address: SocketAddr = format!("{ip}:{port}").parse().expect("an address");
        wait_until(
            "openssl s_server to listen",
            Duration::from_secs(30),
            || TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok(),
        );
        Served {
            child: Some(child),
            ip: ip.to_owned(),
            port,
        }
    }

    fn address(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
    }
}

/// The finding kinds of `check` (one element of `endpoint check --json`).
fn kinds(check: &Value) -> Vec<&str> {
    check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect()
}

/// The check of `address` in `checks`.
fn of<'a>(checks: &'a Value, address: &str) -> &'a Value {
    checks
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["endpoint"] == address)
        .unwrap_or_else(|| panic!("no check of {address} in {checks:#}"))
}

/// `pems` concatenated into one file in `dir`: the system store certdesk is given.
fn bundle(dir: &Path, pems: &[&Path]) -> PathBuf {
    let text: String = pems
        .iter()
        .map(|p| fs::read_to_string(p).expect("read pem"))
        .collect();
    let path = dir.join("trusted.pem");
    fs::write(&path, text).expect("write bundle");
    path
}

#[test]
fn checks_find_what_each_endpoint_serves_wrong() {
    let pki = Pki::new();
    let san = format!("DNS:{NAME}");
    pki.leaf("good", &san, None);
    pki.leaf("old", &san, Some(("200101000000Z", "200201000000Z")));
    pki.leaf("other", "DNS:other.endpoints.test", None);
    let self_san = format!("subjectAltName={san}");
    pki.self_signed("/CN=self", &["-addext", &self_san], "self");
    let good = pki.serve("good", Some("mid"));
    let without_intermediate = pki.serve("good", None);
    let expired = pki.serve("old", Some("mid"));
    let mismatch = pki.serve("other", Some("mid"));
    let self_signed = pki.serve("self", None);
    let smtp = SmtpSink::start_with(Security::Starttls, None);
    // Accepted by the kernel, never read nor answered.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_address = silent.local_addr().expect("address").to_string();

    let trusted = bundle(pki.dir.path(), &[&pki.path("root.pem"), smtp.ca_path()]);
    let cd = Certdesk::new().env("SSL_CERT_FILE", &trusted);
    for served in [
        &good,
        &without_intermediate,
        &expired,
        &mismatch,
        &self_signed,
    ] {
        cd.json(["endpoint", "add", &served.address(), "--sni", NAME]);
    }
    let smtp_address = format!("127.0.0.1:{}", smtp.port());
    let added = cd.json(["endpoint", "add", &smtp_address, "--starttls", "smtp"]);
    assert_eq!(added["starttls"], "smtp", "{added:#}");
    assert!(added["checked_at"].is_null(), "{added:#}");
    cd.json(["endpoint", "add", &silent_address]);

    let checks = cd.json(["endpoint", "check"]);
    assert_eq!(checks.as_array().map(Vec::len), Some(7), "{checks:#}");
    // Each endpoint checked is in the activity log, by the CLI, with what it found.
    let log = cd.json(["log"]);
    let logged = |address: &str| {
        let entries: Vec<&Value> = log
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["action"] == "check_endpoint" && e["subject"]["target"] == address)
            .collect();
        assert_eq!(entries.len(), 1, "{address}: {log:#}");
        assert_eq!(entries[0]["face"], "cli", "{log:#}");
        entries[0]["outcome"]["detail"].clone()
    };
    assert_eq!(logged(&good.address()), "no findings");
    assert_eq!(logged(&self_signed.address()), "findings: self signed");
    assert_eq!(logged(&silent_address), "findings: timeout");
    let expect: [(&Served, &[&str]); 5] = [
        (&good, &[]),
        (&without_intermediate, &["incomplete_chain"]),
        (&expired, &["expired"]),
        (&mismatch, &["name_mismatch"]),
        (&self_signed, &["self_signed"]),
    ];
    for (served, want) in expect {
        let check = of(&checks, &served.address());
        assert_eq!(kinds(check), want, "{check:#}");
        assert_eq!(check["sni"], NAME, "{check:#}");
        assert!(check["serial"].is_string(), "{check:#}");
    }
    let good_check = of(&checks, &good.address());
    assert_eq!(
        good_check["names"],
        serde_json::json!([NAME]),
        "{good_check:#}"
    );
    let good_pem = pki.path("good.pem");
    let serial = openssl([
        "x509",
        "-noout",
        "-serial",
        "-in",
        good_pem.to_str().expect("UTF-8"),
    ]);
    let serial = serial
        .trim()
        .trim_start_matches("serial=")
        .to_ascii_lowercase();
    let got = good_check["serial"]
        .as_str()
        .expect("serial")
        .replace(':', "")
        .to_ascii_lowercase();
    assert!(
        got.trim_start_matches('0') == serial.trim_start_matches('0'),
        "{got} vs {serial}"
    );
    assert!(good_check["not_after"]
        .as_str()
        .expect("not_after")
        .starts_with('2'));
    let detail = &of(&checks, &without_intermediate.address())["findings"][0]["detail"];
    assert!(
        detail
            .as_str()
            .expect("detail")
            .contains("endpoints test intermediate"),
        "{detail}"
    );
    // The sink's own leaf is valid 30 days: reached through STARTTLS, it expires soon.
    let smtp_check = of(&checks, &smtp_address);
    assert_eq!(kinds(smtp_check), ["expires_soon"], "{smtp_check:#}");
    assert_eq!(smtp_check["sni"], "127.0.0.1", "{smtp_check:#}");
    assert!(smtp_check["names"]
        .as_array()
        .expect("names")
        .contains(&"127.0.0.1".into()));
    let silent_check = of(&checks, &silent_address);
    assert_eq!(kinds(silent_check), ["timeout"], "{silent_check:#}");
    assert!(silent_check["serial"].is_null(), "{silent_check:#}");

    // SMTP taken for TLS: the peer does not speak it. Checked once, not watched.
    let plain = cd.json([
        "endpoint",
        "check",
        &smtp_address.replace("127.0.0.1", "localhost"),
    ]);
    assert_eq!(kinds(&plain[0]), ["handshake_failed"], "{plain:#}");
    let said = plain[0]["findings"][0]["detail"].as_str().expect("detail");
    assert!(said.contains("does not speak TLS"), "{said}");

    // The listing keeps the last checks; the human lines say the same.
    let listed = cd.json(["endpoint", "list"]);
    assert_eq!(
        kinds(of(&listed, &expired.address())),
        ["expired"],
        "{listed:#}"
    );
    let human = cd.run(["endpoint", "list"]);
    human.assert_success();
    let line_of = |address: &str| -> String {
        let text = &human.stdout;
        let start = text
            .find(&format!("{address}\t"))
            .unwrap_or_else(|| panic!("{human}"));
        let rest = &text[start..];
        let end = rest[1..].find("\n127.0.0.1:").map_or(rest.len(), |e| e + 1);
        rest[..end].to_owned()
    };
    let good_line = line_of(&good.address());
    assert!(good_line.trim_end().ends_with("\tok"), "{good_line}");
    assert!(
        good_line.contains(&format!("\t{NAME}\tserial ")),
        "{good_line}"
    );
    let expired_line = line_of(&expired.address());
    assert!(
        expired_line.contains("\n  - the leaf expired on 2020-02-01"),
        "{expired_line}"
    );
    let mismatch_line = line_of(&mismatch.address());
    assert!(
        mismatch_line.contains("(other.endpoints.test) do not cover www.endpoints.test"),
        "{mismatch_line}"
    );

    // Without the test root, the good chain does not reach a trusted root.
    let untrusting = Certdesk::new()
        .with_data_dir(cd.data_dir())
        .env_remove("SSL_CERT_FILE");
    let again = untrusting.json(["endpoint", "check", &good.address()]);
    assert_eq!(kinds(&again[0]), ["incomplete_chain"], "{again:#}");

    // Delete asks for --yes; add, each check and delete are logged.
    let refused = cd.run(["endpoint", "delete", &good.address()]);
    refused.assert_failure();
    assert!(refused.stderr.contains("add --yes"), "{refused}");
    cd.run(["endpoint", "delete", "--yes", &good.address()])
        .assert_success();
    let listed = cd.json(["endpoint", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(6), "{listed:#}");
    let log = cd.json(["log"]);
    let logged: Vec<(&str, &str)> = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["subject"]["target"] == good.address())
        .map(|e| {
            (
                e["action"].as_str().expect("action"),
                e["outcome"]["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("add_endpoint", "ok"),
            ("check_endpoint", "ok"),
            ("check_endpoint", "ok"),
            ("delete_endpoint", "ok")
        ],
        "{log:#}"
    );
    drop(silent);
}

#[test]
fn bad_addresses_are_refused_and_nothing_is_written() {
    let cd = Certdesk::new();
    for (args, says) in [
        (vec!["nonsense"], "the port is missing"),
        (vec!["www.example.com"], "the port is missing"),
        (vec!["127.0.0.1:0"], "is not a port (1 to 65535)"),
        (vec!["127.0.0.1:99999"], "is not a port"),
        (vec!["::1:443"], "in brackets"),
        (
            vec!["exa mple.com:443"],
            "neither a DNS name nor an IP address",
        ),
        (
            vec!["127.0.0.1:443", "--sni", "not a name"],
            "is not a DNS name",
        ),
        (
            vec!["127.0.0.1:443", "--sni", "10.0.0.1"],
            "is not a DNS name",
        ),
        (
            vec!["127.0.0.1:25", "--starttls", "ftp"],
            "smtp, imap or pop3",
        ),
    ] {
        let out = cd.run(["endpoint", "add"].into_iter().chain(args.iter().copied()));
        out.assert_failure();
        assert!(out.stderr.contains(says), "{says}:\n{out}");
    }
    assert_eq!(cd.json(["endpoint", "list"]), serde_json::json!([]));
    cd.json(["endpoint", "add", "[::1]:8443"]);
    let twice = cd.run(["endpoint", "add", "[::1]:8443", "--sni", "other.example"]);
    twice.assert_failure();
    assert!(
        twice.stderr.contains("[::1]:8443 is watched already"),
        "{twice}"
    );
    let missing = cd.run(["endpoint", "delete", "--yes", "127.0.0.1:443"]);
    missing.assert_failure();
    assert!(
        missing
            .stderr
            .contains("no endpoint 127.0.0.1:443 is watched"),
        "{missing}"
    );
    let listed = cd.json(["endpoint", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed:#}");
}

#[test]
fn an_older_version_served_is_drift_and_the_current_one_is_not() {
    let s = Saved::issue("drift.example.com", 90, false);
    let export = |file: &str| -> PathBuf {
        let path = s.cd.dir().join(file);
        let arg = path.to_str().expect("UTF-8").to_owned();
        s.cd.run(["cert", "export", &s.id, "--format", "pem", "--out", &arg])
            .assert_success();
        path
    };
    let first = export("first.pem");
    // Renewed by a pass dated two thirds into its life, as the scheduler would.
    let due = s.not_before + time::Duration::days(61);
    s.cd.run(["renew", "--due", "--now", &rfc(due)])
        .assert_success();
    let history = s.cd.json(["cert", "history", &s.id]);
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history:#}");
    let current = export("current.pem");

    // The first version's files, restored: the key and the leaf from the same PEM.
    let restored = Served::start(&first, &first, None);
    s.cd.json([
        "endpoint",
        "add",
        &restored.address(),
        "--sni",
        "drift.example.com",
    ]);
    let checks = s.cd.json(["endpoint", "check"]);
    let findings = checks[0]["findings"].as_array().expect("findings");
    let drift = findings
        .iter()
        .find(|f| f["kind"] == "drift")
        .unwrap_or_else(|| panic!("no drift in {checks:#}"));
    assert_eq!(drift["cert"], s.id.as_str(), "{drift:#}");
    assert!(drift["mapping"].is_null(), "{drift:#}");
    let detail = drift["detail"].as_str().expect("detail");
    assert!(detail.contains("version 1 of 2"), "{detail}");
    assert!(detail.contains("no deploy mapping installs it"), "{detail}");
    let human = s.cd.run(["endpoint", "list"]);
    assert!(
        human.stdout.contains("version 1 of 2 of certificate"),
        "{human}"
    );

    let installed = Served::start(&current, &current, None);
    let checks = s.cd.json(["endpoint", "check", &installed.address()]);
    assert!(
        !kinds(&checks[0]).contains(&"drift"),
        "the current version is no drift: {checks:#}"
    );
}

/// The endpoints of `checks` (a scan's `found`, a listing), in order.
fn endpoints_of(checks: &Value) -> Vec<&str> {
    checks
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["endpoint"].as_str().expect("endpoint"))
        .collect()
}

#[test]
fn a_scan_finds_the_tls_endpoints_in_a_range_and_tracks_them() {
    let pki = Pki::new();
    pki.leaf("two", "DNS:two.endpoints.test,IP:127.0.0.2", None);
    pki.leaf("five", "DNS:five.endpoints.test", None);
    let (port, closed) = (free_port(), free_port());
    let two = pki.serve_on("127.0.0.2", port, "two", Some("mid"));
    let five = pki.serve_on("127.0.0.5", port, "five", Some("mid"));
    // A plain service on the same port: it answers every connection with an SSH banner.
    let plain = TcpListener::bind(("127.0.0.3", port)).expect("bind 127.0.0.3");
    std::thread::spawn(move || {
        for mut tcp in plain.incoming().flatten() {
            let _ = tcp.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        }
    });
    let trusted = bundle(pki.dir.path(), &[&pki.path("root.pem")]);
    let cd = Certdesk::new().env("SSL_CERT_FILE", &trusted);
    let ports = format!("{port},{closed}");
    let scan = [
        "endpoint",
        "scan",
        "--hosts",
        "127.0.0.0/29",
        "--ports",
        &ports,
    ];

    let report = cd.json(scan);
    assert_eq!(
        report["scanned"],
        serde_json::json!({"hosts": "127.0.0.0/29", "addresses": 8, "ports": [port, closed], "probes": 16}),
        "{report:#}"
    );
    let found = &report["found"];
    assert_eq!(
        endpoints_of(found),
        [two.address(), five.address()],
        "{report:#}"
    );
    let (found_two, found_five) = (of(found, &two.address()), of(found, &five.address()));
    assert_eq!(
        found_two["names"],
        serde_json::json!(["two.endpoints.test", "127.0.0.2"]),
        "{found_two:#}"
    );
    assert!(kinds(found_two).is_empty(), "{found_two:#}");
    assert_eq!(
        found_five["names"],
        serde_json::json!(["five.endpoints.test"]),
        "{found_five:#}"
    );
    // Reached by its address, the leaf's name does not cover it.
    assert_eq!(kinds(found_five), ["name_mismatch"], "{found_five:#}");
    assert!(found_five["serial"].is_string(), "{found_five:#}");
    assert_eq!(
        report["summary"],
        serde_json::json!({"probed": 16, "tls": 2, "not_tls": 1, "no_answer": 13}),
        "{report:#}"
    );
    assert_eq!(report["tracked"], serde_json::json!([]), "{report:#}");
    assert_eq!(cd.json(["endpoint", "list"]), serde_json::json!([]));
    // At a terminal, the probes done are counted as they end.
    let counted = cd.run_on_terminal(scan);
    counted.assert_success();
    assert!(counted.stdout.contains("probed 16 of 16…"), "{counted}");

    // Tracked in one go: each watched with its check, each add logged.
    let tracked = cd.run(scan.iter().copied().chain(["--track"]));
    tracked.assert_success();
    let said: Vec<&str> = tracked.stdout.lines().collect();
    assert_eq!(
        said.first().copied(),
        Some("scanning 127.0.0.0/29 (8 addresses x 2 ports, 16 probes), only these"),
        "{tracked}"
    );
    assert!(
        said.contains(&format!("watching {}", two.address()).as_str()),
        "{tracked}"
    );
    assert!(
        tracked
            .stdout
            .contains(&format!("{}\t127.0.0.2\tserial ", two.address())),
        "{tracked}"
    );
    assert_eq!(
        said.last().copied(),
        Some("16 probed: 2 TLS, 1 open without TLS, 13 closed or silent"),
        "{tracked}"
    );
    let listed = cd.json(["endpoint", "list"]);
    assert_eq!(
        endpoints_of(&listed),
        [two.address(), five.address()],
        "{listed:#}"
    );
    assert_eq!(
        kinds(of(&listed, &five.address())),
        ["name_mismatch"],
        "{listed:#}"
    );
    let log = cd.json(["log"]);
    let added = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["action"] == "add_endpoint" && e["outcome"]["status"] == "ok")
        .count();
    assert_eq!(added, 2, "{log:#}");
    let again = cd.json(scan.iter().copied().chain(["--track"]));
    assert_eq!(again["tracked"], serde_json::json!([]), "{again:#}");
    assert_eq!(
        again["watched_already"],
        serde_json::json!([two.address(), five.address()]),
        "{again:#}"
    );

    // Past a bound or not a port: refused before anything is probed or written.
    let fresh = Certdesk::new();
    for (hosts, ports, says) in [
        (
            "10.0.0.0/8",
            "443",
            "10.0.0.0/8 holds 16777216 addresses; a scan takes at most 1024",
        ),
        ("127.0.0.1", "0", "\"0\" is not a port (1 to 65535)"),
        ("127.0.0.1", "443,https", "\"https\" is not a port"),
        ("127.0.0.1:443", "443", "give the ports with --ports"),
    ] {
        let out = fresh.run([
            "endpoint", "scan", "--hosts", hosts, "--ports", ports, "--track",
        ]);
        out.assert_failure();
        assert!(out.stderr.contains(says), "{says}:\n{out}");
        assert!(!out.stdout.contains("scanning"), "{out}");
    }
    assert_eq!(fresh.json(["endpoint", "list"]), serde_json::json!([]));
}

/// The scheduler's passes (`renew --due`, at times given with `--now`) check every watched
/// endpoint once per six hours and tell each finding once: the first pass's incomplete chain
/// reaches the webhook and the activity log; a pass within the six hours checks nothing and
/// names the next check as the next thing due, one
/// after them finds the same and tells nothing; the server then serving an expired leaf is
/// told again, by the webhook and in the pass's lines.
#[test]
fn scheduled_checks_tell_each_new_finding_once() {
    const SECRET: &str = "whsec-endpoints-0c7e";
    let pki = Pki::new();
    let san = format!("DNS:{NAME}");
    pki.leaf("good", &san, None);
    pki.leaf("old", &san, Some(("200101000000Z", "200201000000Z")));
    let port = free_port();
    let without_intermediate = pki.serve_on("127.0.0.1", port, "good", None);
    let address = without_intermediate.address();
    let trusted = bundle(pki.dir.path(), &[&pki.path("root.pem")]);
    let cd = Certdesk::new().env("SSL_CERT_FILE", &trusted);
    let rx = NoticeReceiver::start(SECRET, "unused-token");
    cd.json(["endpoint", "add", &address, "--sni", NAME]);
    let hook = cd.dir().join("hook.json");
    let config =
        json!({"url": rx.url("/webhook"), "secret": SECRET, "ca_certificate": rx.ca_path()});
    fs::write(&hook, config.to_string()).expect("write the channel's config");
    let hook = hook.to_str().expect("UTF-8");
    cd.json([
        "notify", "add", "--kind", "webhook", "--name", "hook", "--config", hook,
    ]);
    let checked_at = || {
        let listed = cd.json(["endpoint", "list"]);
        of(&listed, &address)["checked_at"].clone()
    };

    let start = time::OffsetDateTime::now_utc();
    let first = cd.json(["renew", "--due", "--now", &rfc(start)]);
    let news = &first["endpoints"][0];
    assert_eq!(news["endpoint"], address.as_str(), "{first:#}");
    assert_eq!(kinds(news), ["incomplete_chain"], "{first:#}");
    let told = rx.accepted_at("/webhook");
    assert_eq!(told.len(), 1, "{:#?}", rx.records("accepted"));
    let message: Value =
        serde_json::from_str(told[0]["body"].as_str().expect("a body")).expect("JSON");
    assert_eq!(message["event"], "endpoint_findings", "{message:#}");
    let subject = message["subject"].as_str().expect("a subject");
    assert_eq!(
        subject,
        format!("endpoint {address} ({NAME}): incomplete chain")
    );
    assert!(
        message["text"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("certdesk endpoint check {address}"))),
        "{message:#}"
    );
    let log = cd.json(["log"]);
    let entries: Vec<&Value> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "check_endpoint")
        .collect();
    assert_eq!(entries.len(), 1, "{log:#}");
    assert_eq!(entries[0]["subject"]["target"], address.as_str());
    assert_eq!(
        entries[0]["outcome"]["detail"],
        "new findings: incomplete chain"
    );
    let first_check = checked_at();
    assert!(first_check.is_string(), "{first_check:#}");

    let within = cd.run([
        "renew",
        "--due",
        "--now",
        &rfc(start + time::Duration::hours(1)),
    ]);
    within.assert_success();
    let next_check = format!("next due: {}", rfc(start + time::Duration::hours(6)));
    assert_eq!(
        within.stdout.trim(),
        format!("nothing is due\n{next_check}"),
        "{within}"
    );
    assert_eq!(checked_at(), first_check, "checked again within six hours");

    let later = start + time::Duration::hours(7);
    let same = cd.json(["renew", "--due", "--now", &rfc(later)]);
    assert!(same.get("endpoints").is_none(), "{same:#}");
    assert_ne!(checked_at(), first_check, "not checked after six hours");
    assert_eq!(
        rx.accepted_at("/webhook").len(),
        1,
        "the same finding told twice"
    );

    drop(without_intermediate);
    let _expired = pki.serve_on("127.0.0.1", port, "old", Some("mid"));
    let next = cd.run([
        "renew",
        "--due",
        "--now",
        &rfc(later + time::Duration::hours(7)),
    ]);
    next.assert_success();
    assert!(
        next.stdout.contains(&format!(
            "endpoint {address} ({NAME}): new findings: expired"
        )),
        "{next}"
    );
    let told = rx.accepted_at("/webhook");
    assert_eq!(told.len(), 2, "{:#?}", rx.records("accepted"));
    assert!(
        told[1]["body"]
            .as_str()
            .is_some_and(|b| b.contains("\"kind\":\"expired\"")),
        "{:#}",
        told[1]
    );
}
