//! dns-01 through Azure DNS against a local fake of Entra ID's token endpoint and the ARM
//! record-set API (tests/fakes/azure.py), which mirrors its TXT sets into a real BIND that
//! Pebble resolves through: issuance, someone else's TXT value kept, clean-up, `dns test`, and
//! Azure's own error texts reaching the user.

use crate::common;
use crate::common::dns_setup::{merged, FakeSetup};
use serde_json::{json, Value};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "0b6f7a5e-3c1d-4e8f-9a2b-1c3d4e5f6a7b";
const SECRET: &str = "Xq8~good.secret-value";
const SUBSCRIPTION: &str = "9f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b";
const GROUP: &str = "dns-rg";

/// The fake's own arguments for the test's service principal, plus `extra`.
fn fake_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        SECRET,
        "--subscription",
        SUBSCRIPTION,
        "--resource-group",
        GROUP,
    ];
    args.extend_from_slice(extra);
    args
}

/// `certdesk dns add` of the Azure DNS account `azure` for the test's service principal,
/// aimed at the fake, with `extra` over its fields.
fn add(s: &FakeSetup, extra: Value) -> common::Output {
    let principal = json!({
        "subscription_id": SUBSCRIPTION,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "resource_group": GROUP,
    });
    s.add("azure", "azure", merged(principal, extra))
}

#[test]
fn a_wildcard_and_its_base_name_issue_through_azure_and_only_our_values_go_away() {
    let s = FakeSetup::start(
        "azure.py",
        &["example.com"],
        &fake_args(&["--txt", "_acme-challenge.example.com=keep-me"]),
    );
    add(&s, json!({})).assert_success();
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);

    let out = s.issue("azure", &["example.com", "*.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved", "{out}");

    // One set with both challenge values was written (a PUT of three records), then shrunk back.
    let log = s.fake.log();
    assert!(log.contains("PUT /subscriptions/"), "{log}");
    assert!(!log.contains("refused"), "{log}");
    assert_eq!(
        s.fake_txt(),
        json!({"_acme-challenge.example.com": ["keep-me"]})
    );
    assert_eq!(s.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
}

#[test]
fn dns_test_signs_in_and_reads_the_zone_or_lists_every_page_of_zones() {
    let s = FakeSetup::start(
        "azure.py",
        &["example.com"],
        &fake_args(&[
            "--zones",
            "example.com,example.net,example.org",
            "--page-size",
            "2",
        ]),
    );
    add(&s, json!({})).assert_success();

    let out = s.cd.run(["dns", "test", "azure", "--zone", "example.com"]);
    out.assert_success();
    assert!(out.stdout.contains("reads zone example.com"), "{out}");

    let out = s.cd.run(["dns", "test", "azure"]);
    out.assert_success();
    assert!(
        out.stdout.contains(
            "sees 3 zones in resource group dns-rg: example.com, example.net, example.org"
        ),
        "{out}"
    );
}

#[test]
fn a_wrong_client_secret_is_named_with_entra_ids_own_words() {
    let s = FakeSetup::start("azure.py", &["example.com"], &fake_args(&[]));
    add(&s, json!({"client_secret": "not-the-secret"})).assert_success();

    let out = s.cd.run(["dns", "test", "azure", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Azure DNS")
            && out.stderr.contains("invalid_client")
            && out
                .stderr
                .contains("AADSTS7000215: Invalid client secret provided"),
        "{out}"
    );
    assert!(!out.stderr.contains("Trace ID"), "{out}");
    assert!(!out.stderr.contains("not-the-secret"), "{out}");

    let out = s.issue("azure", &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Azure DNS") && out.stderr.contains("AADSTS7000215"),
        "{out}"
    );
    assert!(s.bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn a_zone_outside_the_resource_group_is_named() {
    let s = FakeSetup::start("azure.py", &["example.com", "example.org"], &fake_args(&[]));
    add(&s, json!({})).assert_success();

    let out = s.cd.run(["dns", "test", "azure", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Azure DNS")
            && out.stderr.contains("ResourceNotFound")
            && out.stderr.contains("dnszones/example.org"),
        "{out}"
    );

    // Publishing into it: the record-set API's own answer for a missing zone.
    let out = s.issue("azure", &["www.example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Azure DNS")
            && out.stderr.contains("TXT _acme-challenge.www.example.org")
            && out.stderr.contains("ParentResourceNotFound"),
        "{out}"
    );
}

#[test]
fn a_throttled_answer_reaches_the_user() {
    let s = FakeSetup::start("azure.py", &["example.com"], &fake_args(&["--throttle"]));
    add(&s, json!({})).assert_success();

    let out = s.cd.run(["dns", "test", "azure", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Azure DNS")
            && out.stderr.contains("429")
            && out.stderr.contains("SubscriptionRequestsThrottled")
            && out.stderr.contains("Please try again after '17' seconds"),
        "{out}"
    );
}
