//! dns-01 through Cloudflare's API v4, against a local fake that takes only requests shaped as
//! Cloudflare documents them and mirrors its TXT records into BIND, through which Pebble
//! resolves: issuance with no hand work, other TXT values left alone, clean-up, `dns test`, and
//! Cloudflare's own words when it refuses.

use crate::common;

use std::path::PathBuf;

use crate::common::bind::Bind;
use crate::common::fake::FakeApi;
use crate::common::{register, Certdesk, Pebble};
use serde_json::{json, Value};

/// A well-formed token (40 characters of [A-Za-z0-9_-]) the fake accepts.
const TOKEN: &str = "certdesk-test-token-0123456789abcdefghij";
const EMAIL: &str = "admin@example.com";
const KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc";

/// BIND, the fake, Pebble and a certdesk with a registered account; dropped in this order.
struct Setup {
    cd: Certdesk,
    fake: FakeApi,
    bind: Bind,
    state: PathBuf,
    _pebble: Pebble,
}

impl Setup {
    /// `zones` served by BIND; `fake_args` besides the credentials and the state file.
    fn start(zones: &[&str], fake_args: &[&str]) -> Setup {
        let bind = Bind::start(zones);
        let cd = Certdesk::new();
        let state = cd.dir().join("cloudflare-state.json");
        let mut args = vec![
            "--token",
            TOKEN,
            "--email",
            EMAIL,
            "--api-key",
            KEY,
            "--state",
            state.to_str().expect("UTF-8"),
        ];
        args.extend(fake_args);
        let fake = FakeApi::start("cloudflare.py", &bind, &args);
        let pebble = Pebble::builder().dns_server(&bind.addr()).start();
        register(&cd, &pebble);
        Setup {
            cd,
            fake,
            bind,
            state,
            _pebble: pebble,
        }
    }

    /// Adds the Cloudflare account `name` with `credentials` and the fake's endpoint.
    fn add_account(&self, name: &str, credentials: Value) -> common::Output {
        let mut config = json!({
            "endpoint": self.fake.endpoint(),
            "ca_certificate": self.fake.ca_path(),
            "nameservers": [self.bind.addr()],
        });
        for (k, v) in credentials.as_object().expect("object") {
            config[k] = v.clone();
        }
        common::add_dns_account(&self.cd, "cloudflare", name, &config)
    }

    fn issue(&self, account: &str, names: &[&str]) -> common::Output {
        common::issue_dns(&self.cd, account, names)
    }

    /// The fake's TXT records by name, as its state file has them (empty before any change).
    fn fake_txt(&self) -> Value {
        std::fs::read_to_string(&self.state)
            .map(|s| serde_json::from_str(&s).expect("state JSON"))
            .unwrap_or_else(|_| json!({}))
    }
}

#[test]
fn a_wildcard_and_its_base_name_issue_and_a_foreign_value_survives() {
    // One page per record: the client must follow result_info to see every value.
    let s = Setup::start(
        &["example.com"],
        &[
            "--zone",
            "example.com",
            "--txt",
            "_acme-challenge.example.com=keep-me",
            "--records-per-page",
            "1",
        ],
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
    s.add_account("cf", json!({"api_token": TOKEN}))
        .assert_success();

    let out = s.issue("cf", &["example.com", "*.example.com"]);
    assert_eq!(
        common::saved_cert_names(&s.cd, &out),
        ["*.example.com", "example.com"]
    );

    // Two values at one name, each a record of its own, both removed again.
    let log = s.fake.log();
    assert_eq!(
        log.matches("created TXT _acme-challenge.example.com")
            .count(),
        2,
        "{log}"
    );
    assert_eq!(
        s.fake_txt(),
        json!({"_acme-challenge.example.com": ["keep-me"]})
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
}

#[test]
fn the_global_api_key_issues_too() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com"]);
    s.add_account("cf", json!({"email": EMAIL, "api_key": KEY}))
        .assert_success();
    let out = s.issue("cf", &["www.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");
    assert!(s.bind.txt("_acme-challenge.www.example.com").is_empty());
    assert_eq!(s.fake_txt(), json!({}));

    let out = s.cd.run(["dns", "test", "cf"]);
    out.assert_success();
    assert!(out.stdout.contains(EMAIL), "{out}");
}

#[test]
fn dns_test_checks_the_token_and_the_zone_without_writing() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com"]);
    s.add_account("cf", json!({"api_token": TOKEN}))
        .assert_success();

    let out = s.cd.run(["dns", "test", "cf", "--zone", "example.com"]);
    out.assert_success();
    assert!(out.stdout.contains("found zone example.com"), "{out}");

    let out = s.cd.run(["dns", "test", "cf"]);
    out.assert_success();
    assert!(out.stdout.contains("valid and active"), "{out}");

    let log = s.fake.log();
    assert!(!log.contains("POST ") && !log.contains("DELETE "), "{log}");
    assert!(!s.state.exists());
}

#[test]
fn bad_credentials_are_refused_in_cloudflares_words() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com"]);
    let wrong = "wrong-token-wrong-token-wrong-token-1234";
    s.add_account("cf", json!({"api_token": wrong}))
        .assert_success();
    let out = s.cd.run(["dns", "test", "cf", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Cloudflare") && out.stderr.contains("Invalid access token"),
        "{out}"
    );
    let out = s.cd.run(["dns", "test", "cf"]);
    out.assert_code(2);
    assert!(out.stderr.contains("Invalid API Token"), "{out}");
    let out = s.issue("cf", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("Cloudflare failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("Invalid access token"),
        "{out}"
    );
    // The secret never reaches a message.
    assert!(!out.stderr.contains(wrong), "{out}");
}

#[test]
fn a_wrong_global_key_is_refused_in_cloudflares_words() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com"]);
    let wrong = "0000000000000000000000000000000000000";
    s.add_account("cf", json!({"email": EMAIL, "api_key": wrong}))
        .assert_success();
    let out = s.cd.run(["dns", "test", "cf", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Unknown X-Auth-Key or X-Auth-Email"),
        "{out}"
    );
    let out = s.issue("cf", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("Cloudflare failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("Unknown X-Auth-Key or X-Auth-Email"),
        "{out}"
    );
    assert!(!out.stderr.contains(wrong), "{out}");
}

#[test]
fn a_zone_the_account_does_not_hold_is_named() {
    let s = Setup::start(&["example.com", "example.net"], &["--zone", "example.com"]);
    s.add_account("cf", json!({"api_token": TOKEN}))
        .assert_success();

    let out = s.cd.run(["dns", "test", "cf", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(out.stderr.contains("no zone example.org"), "{out}");

    let out = s.issue("cf", &["www.example.net"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("adding TXT _acme-challenge.www.example.net")
            && out.stderr.contains("no zone example.net"),
        "{out}"
    );
}

#[test]
fn a_rate_limited_answer_reaches_the_user() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com", "--rate-limit"]);
    s.add_account("cf", json!({"api_token": TOKEN}))
        .assert_success();
    let out = s.issue("cf", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("429")
            && out
                .stderr
                .contains("Please wait and consider throttling your request speed"),
        "{out}"
    );
}

#[test]
fn a_token_and_a_global_key_together_or_neither_are_refused_when_saved() {
    let s = Setup::start(&["example.com"], &["--zone", "example.com"]);
    let out = s.add_account(
        "both",
        json!({"api_token": TOKEN, "email": EMAIL, "api_key": KEY}),
    );
    out.assert_code(1);
    assert!(out.stderr.contains("not both"), "{out}");
    let out = s.add_account("neither", json!({}));
    out.assert_code(1);
    assert!(out.stderr.contains("API token"), "{out}");
}
