//! dns-01 through Cloudflare's API v4, against a local fake that takes only requests shaped as
//! Cloudflare documents them and mirrors its TXT records into BIND, through which Pebble
//! resolves: issuance with no hand work, other TXT values left alone, clean-up, `dns test`, and
//! Cloudflare's own words when it refuses.

use crate::common;

use crate::common::dns_setup::FakeSetup;
use serde_json::json;

/// A well-formed token (40 characters of [A-Za-z0-9_-]) the fake accepts.
const TOKEN: &str = "certdesk-test-token-0123456789abcdefghij";
const EMAIL: &str = "admin@example.com";
const KEY: &str = "c2547eb745079dac9320b638f5e225cf483cc";

/// BIND serving `zones`, the fake started with the credentials and `fake_args`, Pebble and a
/// registered certdesk.
fn setup(zones: &[&str], fake_args: &[&str]) -> FakeSetup {
    let mut args = vec!["--token", TOKEN, "--email", EMAIL, "--api-key", KEY];
    args.extend(fake_args);
    FakeSetup::start("cloudflare.py", zones, &args)
}

#[test]
fn a_wildcard_and_its_base_name_issue_and_a_foreign_value_survives() {
    // One page per record: the client must follow result_info to see every value.
    let s = setup(
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
    s.add("cloudflare", "cf", json!({"api_token": TOKEN}))
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
    let s = setup(&["example.com"], &["--zone", "example.com"]);
    s.add("cloudflare", "cf", json!({"email": EMAIL, "api_key": KEY}))
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
    let s = setup(&["example.com"], &["--zone", "example.com"]);
    s.add("cloudflare", "cf", json!({"api_token": TOKEN}))
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
    let s = setup(&["example.com"], &["--zone", "example.com"]);
    let wrong = "wrong-token-wrong-token-wrong-token-1234";
    s.add("cloudflare", "cf", json!({"api_token": wrong}))
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
    let s = setup(&["example.com"], &["--zone", "example.com"]);
    let wrong = "0000000000000000000000000000000000000";
    s.add(
        "cloudflare",
        "cf",
        json!({"email": EMAIL, "api_key": wrong}),
    )
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
    let s = setup(&["example.com", "example.net"], &["--zone", "example.com"]);
    s.add("cloudflare", "cf", json!({"api_token": TOKEN}))
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
    let s = setup(&["example.com"], &["--zone", "example.com", "--rate-limit"]);
    s.add("cloudflare", "cf", json!({"api_token": TOKEN}))
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
    let s = setup(&["example.com"], &["--zone", "example.com"]);
    let out = s.add(
        "cloudflare",
        "both",
        json!({"api_token": TOKEN, "email": EMAIL, "api_key": KEY}),
    );
    out.assert_code(1);
    assert!(out.stderr.contains("not both"), "{out}");
    let out = s.add("cloudflare", "neither", json!({}));
    out.assert_code(1);
    assert!(out.stderr.contains("API token"), "{out}");
}
