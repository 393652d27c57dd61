//! dns-01 through GoDaddy's Domains API, against a local fake that takes only requests shaped as
//! GoDaddy documents them and mirrors its TXT records into BIND, through which Pebble resolves.
//! GoDaddy replaces a name's whole TXT set on every write: other values must be written back,
//! and only ours taken out. Also `dns test`, and GoDaddy's own words when it refuses (a small
//! account kept out of the API included).

use crate::common;
use crate::common::dns_setup::FakeSetup;
use serde_json::json;

const KEY: &str = "dKD4Sk3xZ2Ma_6nbWZxR1pUbBq2xbG8PQWJ";
const SECRET: &str = "6Jq8XmYjHxP2Vd9kRs4tLw";

/// BIND serving `zones`, the fake started with the key and `fake_args`, Pebble and a registered
/// certdesk.
fn setup(zones: &[&str], fake_args: &[&str]) -> FakeSetup {
    let mut args = vec!["--api-key", KEY, "--api-secret", SECRET];
    args.extend(fake_args);
    FakeSetup::start("godaddy.py", zones, &args)
}

/// Adds the GoDaddy account "gd" with `secret`, aimed at the fake.
fn add_account(s: &FakeSetup, secret: &str) -> common::Output {
    s.add(
        "godaddy",
        "gd",
        json!({"api_key": KEY, "api_secret": secret}),
    )
}

#[test]
fn a_wildcard_and_its_base_name_issue_and_a_foreign_value_survives() {
    let s = setup(
        &["example.com"],
        &[
            "--domain",
            "example.com",
            "--txt",
            "_acme-challenge.example.com=keep-me",
        ],
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
    add_account(&s, SECRET).assert_success();

    let out = s.issue("gd", &["example.com", "*.example.com", "www.example.com"]);
    assert_eq!(
        common::saved_cert_names(&s.cd, &out),
        ["*.example.com", "example.com", "www.example.com"]
    );

    let log = s.fake.log();
    // The shared name got the foreign value and both of ours in one set, and the foreign value
    // back alone afterwards; the name with only our value was deleted.
    assert!(
        log.lines()
            .any(|l| l.contains("replaced TXT _acme-challenge.example.com")
                && l.contains("keep-me")
                && l.matches(", ").count() == 2),
        "{log}"
    );
    assert!(
        log.contains("replaced TXT _acme-challenge.example.com with ['keep-me']"),
        "{log}"
    );
    assert!(
        log.contains("deleted TXT _acme-challenge.www.example.com"),
        "{log}"
    );
    assert_eq!(
        s.fake_txt(),
        json!({"_acme-challenge.example.com": ["keep-me"]})
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
    assert!(s.bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn dns_test_checks_the_key_and_the_domain_without_writing() {
    let s = setup(&["example.com"], &["--domain", "example.com"]);
    add_account(&s, SECRET).assert_success();

    let out = s.cd.run(["dns", "test", "gd", "--zone", "example.com"]);
    out.assert_success();
    assert!(out.stdout.contains("found domain example.com"), "{out}");
    let out = s.cd.run(["dns", "test", "gd"]);
    out.assert_success();
    assert!(out.stdout.contains("valid"), "{out}");

    let log = s.fake.log();
    assert!(!log.contains("PUT ") && !log.contains("DELETE "), "{log}");
    assert!(!s.state.exists());
}

#[test]
fn bad_credentials_are_refused_in_godaddys_words() {
    let s = setup(&["example.com"], &["--domain", "example.com"]);
    let wrong = "not-the-secret-at-all";
    add_account(&s, wrong).assert_success();

    let out = s.cd.run(["dns", "test", "gd", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("GoDaddy")
            && out
                .stderr
                .contains("Could not authenticate API key/secret (UNABLE_TO_AUTHENTICATE)"),
        "{out}"
    );

    let out = s.issue("gd", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("GoDaddy failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("UNABLE_TO_AUTHENTICATE"),
        "{out}"
    );
    assert!(!out.stderr.contains(wrong), "{out}");
}

#[test]
fn a_small_account_kept_out_of_the_api_is_told_so() {
    let s = setup(
        &["example.com"],
        &["--domain", "example.com", "--access-denied"],
    );
    add_account(&s, SECRET).assert_success();
    let out = s.cd.run(["dns", "test", "gd", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("Authenticated user is not allowed access (ACCESS_DENIED)")
            && out.stderr.contains("10 or more domains"),
        "{out}"
    );
}

#[test]
fn a_domain_the_account_does_not_hold_is_named() {
    let s = setup(
        &["example.com", "example.net"],
        &["--domain", "example.com"],
    );
    add_account(&s, SECRET).assert_success();

    let out = s.cd.run(["dns", "test", "gd", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(out.stderr.contains("Domain example.org not found"), "{out}");

    let out = s.issue("gd", &["www.example.net"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("adding TXT _acme-challenge.www.example.net")
            && out.stderr.contains("UNKNOWN_DOMAIN"),
        "{out}"
    );
}

#[test]
fn a_rate_limited_answer_reaches_the_user() {
    let s = setup(
        &["example.com"],
        &["--domain", "example.com", "--rate-limit"],
    );
    add_account(&s, SECRET).assert_success();
    let out = s.issue("gd", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("429")
            && out
                .stderr
                .contains("Too many requests received within interval")
            && out.stderr.contains("retry after 30 s"),
        "{out}"
    );
}
