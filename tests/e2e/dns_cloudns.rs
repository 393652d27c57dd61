//! dns-01 through ClouDNS against a local fake of its HTTP API (tests/fakes/cloudns.py), which
//! mirrors its TXT records into a real BIND that Pebble resolves through: issuance, someone
//! else's TXT value kept, clean-up, `dns test`, the one-identity rule, and ClouDNS's own error
//! texts (most come with HTTP 200) reaching the user without the password.

use crate::common;

use crate::common::dns_setup::FakeSetup;
use serde_json::{json, Value};

const AUTH_ID: &str = "4711";
const PASSWORD: &str = "s3cret-Pa55word";

/// `certdesk dns add` of the ClouDNS account `cloudns` with `config`, aimed at the fake.
fn add(s: &FakeSetup, config: Value) -> common::Output {
    s.add("cloudns", "cloudns", config)
}

/// BIND serving `zones` and the fake for the main user [`AUTH_ID`], with `fake_args` of its own.
fn setup(zones: &[&str], fake_args: &[&str]) -> FakeSetup {
    let mut args = vec!["--auth-id", AUTH_ID, "--password", PASSWORD];
    args.extend(fake_args);
    FakeSetup::start("cloudns.py", zones, &args)
}

fn good() -> Value {
    json!({"auth_id": AUTH_ID, "auth_password": PASSWORD})
}

#[test]
fn a_wildcard_and_its_base_name_issue_through_cloudns_and_only_our_records_go_away() {
    let s = setup(
        &["example.com"],
        &["--txt", "_acme-challenge.example.com=keep-me"],
    );
    add(&s, good()).assert_success();
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);

    let out = s.issue("cloudns", &["example.com", "*.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved", "{out}");

    // Two records added at one host, then exactly those two deleted.
    let log = s.fake.log();
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
    assert_eq!(
        s.fake_txt(),
        json!({"_acme-challenge.example.com": ["keep-me"]})
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
}

#[test]
fn dns_test_checks_a_sub_user_and_its_zone_without_changing_records() {
    let s = FakeSetup::start(
        "cloudns.py",
        &["example.com"],
        &["--sub-auth-user", "certdesk", "--password", PASSWORD],
    );
    add(
        &s,
        json!({"sub_auth_user": "certdesk", "auth_password": PASSWORD}),
    )
    .assert_success();

    let out =
        s.cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("API sub-user signs in and sees zone example.com"),
        "{out}"
    );
    let out = s.cd.run(["dns", "test", "cloudns"]);
    out.assert_success();
    assert!(out.stdout.contains("API sub-user signs in"), "{out}");
    let log = s.fake.log();
    assert!(
        !log.contains("add-record") && !log.contains("delete-record"),
        "{log}"
    );
    assert!(!log.contains(PASSWORD), "{log}");
}

#[test]
fn exactly_one_identity_is_required() {
    let s = setup(&["example.com"], &[]);

    let out = add(
        &s,
        json!({"auth_id": AUTH_ID, "sub_auth_id": "12", "auth_password": PASSWORD}),
    );
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("exactly one of auth_id, sub_auth_id and sub_auth_user (2 given)"),
        "{out}"
    );
    let out = add(&s, json!({"auth_password": PASSWORD}));
    out.assert_code(1);
    assert!(out.stderr.contains("(0 given)"), "{out}");
}

#[test]
fn a_wrong_password_is_named_in_cloudns_words_and_never_shown() {
    let s = setup(&["example.com"], &[]);
    add(
        &s,
        json!({"auth_id": AUTH_ID, "auth_password": "wrong-password"}),
    )
    .assert_success();

    let out =
        s.cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("ClouDNS")
            && out
                .stderr
                .contains("Invalid authentication, incorrect auth-id or auth-password."),
        "{out}"
    );
    assert!(!out.stderr.contains("wrong-password"), "{out}");

    let out = s.issue("cloudns", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("ClouDNS failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("Invalid authentication"),
        "{out}"
    );
    assert!(!out.stderr.contains("wrong-password"), "{out}");
    assert!(s.bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn a_zone_the_account_does_not_have_is_named() {
    let s = setup(&["example.com", "example.org"], &[]);
    add(&s, good()).assert_success();

    let out =
        s.cd.run(["dns", "test", "cloudns", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("ClouDNS failed reading zone example.org")
            && out.stderr.contains("Missing domain-name")
            && out.stderr.contains("has no such zone"),
        "{out}"
    );
    let out = s.issue("cloudns", &["www.example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("_acme-challenge.www.example.org")
            && out.stderr.contains("Missing domain-name"),
        "{out}"
    );
}

#[test]
fn a_blocked_request_reaches_the_user_as_429_and_as_200_failed() {
    for status in ["429", "200"] {
        let s = setup(&["example.com"], &["--rate-limited", status]);
        add(&s, good()).assert_success();
        let out =
            s.cd.run(["dns", "test", "cloudns", "--zone", "example.com"]);
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
