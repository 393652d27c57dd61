//! dns-01 through ClouDNS against a local fake of its HTTP API (tests/fakes/cloudns.py), which
//! mirrors its TXT records into a real BIND that Pebble resolves through: issuance, someone
//! else's TXT value kept, clean-up, `dns test`, the one-identity rule, and ClouDNS's own error
//! texts (most come with HTTP 200) reaching the user without the password.

use crate::common;

use crate::common::bind::Bind;
use crate::common::fake::FakeApi;
use crate::common::{register, Certdesk, Pebble, TempDir};
use serde_json::{json, Value};

const AUTH_ID: &str = "4711";
const PASSWORD: &str = "s3cret-Pa55word";

/// A certdesk with a registered account and the ClouDNS account `cloudns` aimed at `fake`, its
/// configuration `config` plus the connection fields.
fn setup(bind: &Bind, fake: &FakeApi, pebble: &Pebble, config: Value) -> Certdesk {
    let cd = Certdesk::new();
    register(&cd, pebble);
    add_account(&cd, bind, fake, config).assert_success();
    cd
}

fn add_account(cd: &Certdesk, bind: &Bind, fake: &FakeApi, mut config: Value) -> common::Output {
    config["endpoint"] = json!(fake.endpoint());
    config["ca_certificate"] = json!(fake.ca_path());
    config["nameservers"] = json!([bind.addr()]);
    common::add_dns_account(cd, "cloudns", "cloudns", &config)
}

fn good() -> Value {
    json!({"auth_id": AUTH_ID, "auth_password": PASSWORD})
}

fn issue(cd: &Certdesk, names: &[&str]) -> common::Output {
    common::issue_dns(cd, "cloudns", names)
}

#[test]
fn a_wildcard_and_its_base_name_issue_through_cloudns_and_only_our_records_go_away() {
    let bind = Bind::start(&["example.com"]);
    let state = TempDir::new("cloudns-state");
    let state_file = state.path().join("state.json");
    let fake = FakeApi::start(
        "cloudns.py",
        &bind,
        &[
            "--auth-id",
            AUTH_ID,
            "--password",
            PASSWORD,
            "--txt",
            "_acme-challenge.example.com=keep-me",
            "--state",
            state_file.to_str().expect("UTF-8"),
        ],
    );
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = setup(&bind, &fake, &pebble, good());
    assert_eq!(bind.txt("_acme-challenge.example.com"), ["keep-me"]);

    let out = issue(&cd, &["example.com", "*.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved", "{out}");

    // Two records added at one host, then exactly those two deleted.
    let log = fake.log();
    assert_eq!(
        log.matches("\"POST /dns/add-record.json HTTP").count(),
        2,
        "{log}"
    );
    assert_eq!(
        log.matches("\"POST /dns/delete-record.json HTTP").count(),
        2,
        "{log}"
    );
    assert!(!log.contains("refused"), "{log}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).expect("state")).expect("JSON");
    assert_eq!(state, json!({"_acme-challenge.example.com": ["keep-me"]}));
    assert_eq!(bind.txt("_acme-challenge.example.com"), ["keep-me"]);
}

#[test]
fn dns_test_checks_a_sub_user_and_its_zone_without_changing_records() {
    let bind = Bind::start(&["example.com"]);
    let fake = FakeApi::start(
        "cloudns.py",
        &bind,
        &["--sub-auth-user", "certdesk", "--password", PASSWORD],
    );
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = setup(
        &bind,
        &fake,
        &pebble,
        json!({"sub_auth_user": "certdesk", "auth_password": PASSWORD}),
    );

    let out = cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("API sub-user signs in and sees zone example.com"),
        "{out}"
    );
    let out = cd.run(["dns", "test", "cloudns"]);
    out.assert_success();
    assert!(out.stdout.contains("API sub-user signs in"), "{out}");
    let log = fake.log();
    assert!(
        !log.contains("add-record") && !log.contains("delete-record"),
        "{log}"
    );
    assert!(!log.contains(PASSWORD), "{log}");
}

#[test]
fn exactly_one_identity_is_required() {
    let bind = Bind::start(&["example.com"]);
    let fake = FakeApi::start(
        "cloudns.py",
        &bind,
        &["--auth-id", AUTH_ID, "--password", PASSWORD],
    );
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = Certdesk::new();
    register(&cd, &pebble);

    let out = add_account(
        &cd,
        &bind,
        &fake,
        json!({"auth_id": AUTH_ID, "sub_auth_id": "12", "auth_password": PASSWORD}),
    );
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("exactly one of auth_id, sub_auth_id and sub_auth_user (2 given)"),
        "{out}"
    );
    let out = add_account(&cd, &bind, &fake, json!({"auth_password": PASSWORD}));
    out.assert_code(1);
    assert!(out.stderr.contains("(0 given)"), "{out}");
}

#[test]
fn a_wrong_password_is_named_in_cloudns_words_and_never_shown() {
    let bind = Bind::start(&["example.com"]);
    let fake = FakeApi::start(
        "cloudns.py",
        &bind,
        &["--auth-id", AUTH_ID, "--password", PASSWORD],
    );
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = setup(
        &bind,
        &fake,
        &pebble,
        json!({"auth_id": AUTH_ID, "auth_password": "wrong-password"}),
    );

    let out = cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("ClouDNS")
            && out
                .stderr
                .contains("Invalid authentication, incorrect auth-id or auth-password."),
        "{out}"
    );
    assert!(!out.stderr.contains("wrong-password"), "{out}");

    let out = issue(&cd, &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("ClouDNS failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("Invalid authentication"),
        "{out}"
    );
    assert!(!out.stderr.contains("wrong-password"), "{out}");
    assert!(bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn a_zone_the_account_does_not_have_is_named() {
    let bind = Bind::start(&["example.com", "example.org"]);
    let fake = FakeApi::start(
        "cloudns.py",
        &bind,
        &["--auth-id", AUTH_ID, "--password", PASSWORD],
    );
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = setup(&bind, &fake, &pebble, good());

    let out = cd.run(["dns", "test", "cloudns", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("ClouDNS failed reading zone example.org")
            && out.stderr.contains("Missing domain-name")
            && out.stderr.contains("has no such zone"),
        "{out}"
    );
    let out = issue(&cd, &["www.example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("_acme-challenge.www.example.org")
            && out.stderr.contains("Missing domain-name"),
        "{out}"
    );
}

#[test]
fn a_blocked_request_reaches_the_user_as_429_and_as_200_failed() {
    let bind = Bind::start(&["example.com"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    for status in ["429", "200"] {
        let fake = FakeApi::start(
            "cloudns.py",
            &bind,
            &[
                "--auth-id",
                AUTH_ID,
                "--password",
                PASSWORD,
                "--rate-limited",
                status,
            ],
        );
        let cd = setup(&bind, &fake, &pebble, good());
        let out = cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
        out.assert_code(2);
        assert!(
            out.stderr.contains("ClouDNS")
                && out
                    .stderr
                    .contains("Request blocked. 127.0.0.1 is sending more than 20 requests"),
            "{out}"
        );
        if status == "429" {
            assert!(out.stderr.contains("429"), "{out}");
        }
    }
}
