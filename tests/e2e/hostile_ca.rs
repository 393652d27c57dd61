//! A CA that sends what no honest CA sends, or does what another ACME server does: Pebble behind
//! `tests/fakes/hostile_ca.py`, which rewrites tokens (`../../../victim.txt`, empty, too long,
//! terminal escapes), adds an authorization for a name nobody asked for, or keeps an order
//! `pending` while its authorization is `invalid` (acme2certifier). Each is refused, named, before
//! the built-in responder serves anything, the CA is told to validate, or a real SSH target (sshd
//! and nginx) writes or deletes a file; the acme2certifier order fails at once with the CA's
//! reason. And `account import` keeps what the CA says about the account.

use crate::common;

use std::fs;
use std::time::{Duration, Instant};

use crate::common::ca_proxy::CaProxy;
use crate::common::nginx::Nginx;
use crate::common::sshd::Sshd;
use crate::common::{free_port, register_at, Certdesk, Create, Pebble};
use serde_json::{json, Value};

/// Pebble behind the hostile proxy, with an account registered through the proxy.
struct HostileCa {
    pebble: Pebble,
    proxy: CaProxy,
    cd: Certdesk,
}

impl HostileCa {
    fn start() -> HostileCa {
        let pebble = Pebble::start();
        let proxy = CaProxy::start_script(&pebble, "hostile_ca.py");
        let cd = Certdesk::new();
        register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
        HostileCa { pebble, proxy, cd }
    }

    /// The built-in responder on the port Pebble validates http-01 at.
    fn listen(&self) -> String {
        format!("127.0.0.1:{}", self.pebble.http_port())
    }

    /// How many times the CA was told to validate a challenge.
    fn answers(&self) -> usize {
        self.proxy.events_of("answer").len()
    }

    /// The one request for `name`, as `request list` shows it.
    fn request_for(&self, name: &str) -> Value {
        let all = self.cd.json(["request", "list"]);
        let mine: Vec<&Value> = all
            .as_array()
            .expect("a list")
            .iter()
            .filter(|r| r["names"][0] == name)
            .collect();
        assert_eq!(mine.len(), 1, "{all:#}");
        mine[0].clone()
    }

    /// The request for `name` failed, and its next step is a fresh order.
    fn assert_failed(&self, name: &str) {
        let request = self.request_for(name);
        let shown = self
            .cd
            .json(["request", "show", request["id"].as_str().expect("id")]);
        assert_eq!(shown["status"], "failed", "{shown:#}");
        let next = shown["next_step"].as_str().expect("a next step");
        assert!(next.contains("certdesk request new-challenge"), "{shown:#}");
    }
}

/// The refusal of a bad value, as the CLI prints it: exit 2, the value named, nothing done, and
/// no control character of the CA's on the terminal.
fn assert_refused(out: &common::Output, named: &str) {
    out.assert_code(2);
    assert!(out.stderr.contains(named), "{out}");
    assert!(
        out.stderr
            .contains("nothing was written, published or answered"),
        "{out}"
    );
    let raw = |c: char| c.is_control() && c != '\n';
    assert!(!out.stderr.chars().any(raw), "{:?}", out.stderr);
    assert!(!out.stdout.chars().any(raw), "{:?}", out.stdout);
}

#[test]
fn tokens_that_are_not_acme_tokens_are_refused_before_the_responder_serves_or_answers() {
    let ca = HostileCa::start();
    // Through the same proxy, an honest token is served and answered: the proxy sees answers.
    let honest = ca.cd.json(
        Create::new(&["honest.example.com"], "http-01").with(["--http-listen", &ca.listen()]),
    );
    assert_eq!(honest["status"], "available", "{honest:#}");
    let answered = ca.answers();
    assert_eq!(answered, 1);

    let long = "A".repeat(300);
    let cases = [
        ("../../../victim.txt", r#""../../../victim.txt""#.to_owned()),
        ("", r#""""#.to_owned()),
        (
            long.as_str(),
            format!("{:?}… (300 characters)", &long[..80]),
        ),
        (
            "\u{1b}]0;owned\u{7}x",
            r#""\u{1b}]0;owned\u{7}x""#.to_owned(),
        ),
        ("tok\u{9b}31m", r#""tok\u{9b}31m""#.to_owned()),
        ("tok.en", r#""tok.en""#.to_owned()),
    ];
    for (i, (token, shown)) in cases.iter().enumerate() {
        ca.proxy.control(json!({ "token": token }));
        let name = format!("t{i}.example.com");
        let out = ca
            .cd
            .run(Create::new(&[&name], "http-01").with(["--http-listen", &ca.listen()]));
        assert_refused(
            &out,
            &format!("the http-01 token for {name}: {shown} is not an ACME token"),
        );
        ca.assert_failed(&name);
    }
    assert_eq!(ca.answers(), answered, "the CA was told to validate");
}

#[test]
fn a_renewal_whose_token_names_a_file_outside_the_web_root_leaves_the_end_server_untouched() {
    const NAME: &str = "deploy.example.com";
    let sshd = Sshd::start();
    let ca = HostileCa::start();
    let nginx = Nginx::start(ca.pebble.http_port());
    let cd = &ca.cd;
    // An SSH mapping that answers http-01 in nginx's web root, host key pinned.
    let config = json!({
        "host": "127.0.0.1",
        "port": sshd.port(),
        "user": sshd.user(),
        "private_key": sshd.client_key(),
        "webroot": nginx.webroot(),
    });
    let path = cd.dir().join("web1.json");
    fs::write(&path, config.to_string()).expect("write config");
    let path = path.to_str().expect("UTF-8");
    cd.json([
        "deploy", "add", "--name", "web1", "--kind", "ssh", "--config", path,
    ]);
    cd.json(["deploy", "test", "web1", "--accept-host-key"]);

    let id = cd.json(Create::new(&[NAME], "http-01"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    cd.json(["request", "set-deploy", &id, "web1"]);
    let verified = cd.json(["request", "verify", &id]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    cd.json(["cert", "save", &id]);
    let answered = ca.answers();
    assert_eq!(
        answered, 1,
        "the token went up over SSH and the CA was told"
    );

    // `../../../victim.txt` from the challenge folder is the folder above the web root.
    let victim = nginx.dir().join("victim.txt");
    fs::write(&victim, "precious").expect("write victim");
    ca.proxy.control(json!({ "token": "../../../victim.txt" }));
    let renewed = cd.run(["cert", "renew", &id]);
    assert_refused(
        &renewed,
        &format!("the http-01 token for {NAME}: \"../../../victim.txt\" is not an ACME token"),
    );
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
    let challenge_dir = nginx.webroot().join(".well-known/acme-challenge");
    let left: Vec<_> = fs::read_dir(&challenge_dir)
        .expect("challenge folder")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(ca.answers(), answered, "the CA was told to validate");
    ca.assert_failed(NAME);
}

#[test]
fn an_authorization_for_a_name_not_asked_for_is_refused_before_anything_is_answered() {
    let ca = HostileCa::start();
    ca.proxy
        .control(json!({ "extra_authz": "victim.example.net" }));
    let refusal = "an authorization for \"victim.example.net\", a name this request did not ask \
                   for (it asked for asked.example.com)";
    // In the order as placed.
    let out = ca
        .cd
        .run(Create::new(&["asked.example.com"], "http-01").with(["--http-listen", &ca.listen()]));
    assert_refused(&out, refusal);
    ca.assert_failed("asked.example.com");

    // In an order that gained it after it was placed: nothing is answered, the asked-for name
    // included.
    ca.proxy.control(json!({}));
    let placed = ca.cd.json(Create::new(&["later.example.com"], "http-01"));
    assert_eq!(placed["status"], "pending", "{placed:#}");
    ca.proxy
        .control(json!({ "extra_authz": "victim.example.net" }));
    let id = placed["id"].as_str().expect("id");
    let out = ca
        .cd
        .run(["request", "verify", id, "--http-listen", &ca.listen()]);
    assert_refused(
        &out,
        &refusal.replace("asked.example.com", "later.example.com"),
    );
    ca.assert_failed("later.example.com");
    assert_eq!(ca.answers(), 0, "the CA was told to validate");
}

#[test]
fn an_invalid_authorization_ends_the_wait_at_once_while_the_order_stays_pending() {
    let ca = HostileCa::start();
    ca.proxy.control(json!({ "pending_when_invalid": true }));
    // Pebble validates at its http port, where nothing listens: the authorization fails.
    let elsewhere = format!("127.0.0.1:{}", free_port());
    let started = Instant::now();
    let out = ca
        .cd
        .run(Create::new(&["nobody.example.com"], "http-01").with(["--http-listen", &elsewhere]));
    let took = started.elapsed();
    eprintln!("an invalid authorization under a pending order failed after {took:?}");
    out.assert_code(2);
    assert!(took < Duration::from_secs(15), "took {took:?}:\n{out}");
    assert!(
        !ca.proxy.events_of("shown_pending").is_empty(),
        "the order was never shown pending while invalid:\n{}",
        ca.proxy.log()
    );
    assert!(
        out.stderr
            .contains("nobody.example.com: urn:ietf:params:acme:error:connection"),
        "{out}"
    );
    ca.assert_failed("nobody.example.com");

    // The same with no reason given by the CA.
    ca.proxy
        .control(json!({ "pending_when_invalid": true, "silent_invalid": true }));
    let out = ca
        .cd
        .run(Create::new(&["silent.example.com"], "http-01").with(["--http-listen", &elsewhere]));
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("the CA marked silent.example.com invalid and gave no reason"),
        "{out}"
    );
    ca.assert_failed("silent.example.com");
}

#[test]
fn account_import_shows_and_keeps_what_the_ca_says_about_the_account() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    let registered = common::register(&cd, &pebble);
    assert_eq!(registered["email"], "admin@example.com");
    let key = cd.dir().join("account.pem");
    cd.json([
        "account",
        "export-key",
        "--out",
        key.to_str().expect("UTF-8"),
    ]);
    cd.json(["account", "delete", "--yes"]);

    let ca_root = pebble.ca_root_path().to_str().expect("UTF-8").to_owned();
    let import = [
        "account",
        "import",
        "--name",
        "back",
        "--key",
        key.to_str().expect("UTF-8"),
        "--directory",
        &pebble.directory_url(),
        "--ca-root",
        &ca_root,
    ];
    let shown = cd.run(import);
    shown.assert_success();
    assert!(
        shown.stdout.contains("e-mail:    admin@example.com"),
        "{shown}"
    );
    let kept = cd.json(["account", "show", "--account", "back"]);
    assert_eq!(kept["email"], "admin@example.com", "{kept:#}");
    assert_eq!(kept["status"], "active", "{kept:#}");
    assert_eq!(kept["url"], registered["url"], "{kept:#}");
}
