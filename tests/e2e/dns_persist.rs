//! dns-persist-01 and dns-account-01 against BIND and Pebble 2.10.1 resolving through it: the
//! standing record printed and written once through an RFC 2136 DNS account, the read-only check
//! at the zone's nameservers, issuance and a renewal with no DNS change (the zone's serial
//! unchanged), a wildcard only with `policy=wildcard`, and dns-account-01 published and removed
//! like dns-01 at its account-scoped name.

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::common::bind::{Bind, KEY_NAME};
use crate::common::{openssl, register, Certdesk, Create, Pebble};

/// BIND for example.com, Pebble resolving through it, a certdesk registered there ("pebble")
/// with the RFC 2136 DNS account "bind"; dropped certdesk first.
struct Setup {
    cd: Certdesk,
    /// The account's URL at Pebble, which its records name.
    account_url: String,
    pebble: Pebble,
    bind: Bind,
}

impl Setup {
    fn start() -> Setup {
        let bind = Bind::start(&["example.com"]);
        let pebble = Pebble::builder().dns_server(&bind.addr()).start();
        let cd = Certdesk::new();
        let account_url = register(&cd, &pebble)["url"]
            .as_str()
            .expect("the account's URL")
            .to_owned();
        crate::common::add_dns_account(
            &cd,
            "rfc2136",
            "bind",
            &json!({
                "server": bind.addr(),
                "key_name": KEY_NAME,
                "key_secret": bind.secret(),
                "algorithm": "hmac-sha256",
                "nameservers": [bind.addr()],
            }),
        )
        .assert_success();
        Setup {
            cd,
            account_url,
            pebble,
            bind,
        }
    }

    /// `dns persist-check` for `domain` through BIND; its JSON and exit code.
    fn check(&self, domain: &str) -> (Value, i32) {
        let out = self.cd.run([
            "--json",
            "dns",
            "persist-check",
            "--domain",
            domain,
            "--dns-account",
            "bind",
        ]);
        (out.json(), out.code.unwrap_or(-1))
    }

    /// Issues `names` by dns-persist-01, the lookups through the DNS account's nameservers.
    fn issue(&self, names: &[&str]) -> crate::common::Output {
        self.cd.run(Create::new(names, "dns-persist-01").with([
            "--json",
            "--dns-account",
            "bind",
            "--save",
        ]))
    }

    /// The saved certificate `id` exported as a PEM bundle, verified against Pebble's root.
    fn assert_chain_verifies(&self, id: &str) {
        let bundle = self.cd.dir().join(format!("{id}.pem"));
        self.cd
            .run([
                "cert",
                "export",
                id,
                "--format",
                "pem",
                "--out",
                bundle.to_str().unwrap(),
            ])
            .assert_success();
        let root = write(
            &self.cd,
            "pebble-root.pem",
            &self.pebble.issuance_root_pem(),
        );
        let verify = openssl([
            "verify",
            "-CAfile",
            root.to_str().unwrap(),
            "-untrusted",
            bundle.to_str().unwrap(),
            bundle.to_str().unwrap(),
        ]);
        assert!(verify.contains(": OK"), "{verify}");
    }
}

fn write(cd: &Certdesk, name: &str, text: &str) -> PathBuf {
    let path = cd.dir().join(name);
    fs::write(&path, text).unwrap();
    path
}

fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

#[test]
fn a_standing_record_issues_and_renews_with_no_dns_change() {
    let s = Setup::start();
    let account_url = &s.account_url;

    // The record to publish: the CA's caaIdentities first, then the account.
    let printed = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
    ]);
    assert_eq!(printed["name"], "_validation-persist.example.com");
    let value = format!("pebble.letsencrypt.org; accounturi={account_url}; policy=wildcard");
    assert_eq!(printed["value"], value.as_str());
    let text = s.cd.run([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
    ]);
    assert!(text.stdout.contains(&format!("value: {value}")), "{text}");

    // Before it is published, the check names the server that lacks it, and an order stops
    // before its challenges are answered.
    let (check, code) = s.check("example.com");
    assert_eq!(code, 1, "{check:#}");
    assert_eq!(check["ok"], false);
    assert_eq!(check["servers"][0]["state"], "lacks", "{check:#}");
    assert!(
        check["servers"][0]["server"]
            .as_str()
            .unwrap()
            .contains(&s.bind.addr()),
        "{check:#}"
    );
    let refused = s.issue(&["example.com"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("_validation-persist.example.com")
            && refused.stderr.contains(&s.bind.addr()),
        "{refused}"
    );

    // Written once through the DNS account; the check then passes.
    let written = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
        "--write",
        "bind",
    ]);
    assert_eq!(written["value"], value.as_str());
    assert_eq!(
        s.bind.txt("_validation-persist.example.com"),
        std::slice::from_ref(&value)
    );
    let (check, code) = s.check("*.example.com");
    assert_eq!((code, &check["ok"]), (0, &json!(true)), "{check:#}");
    assert_eq!(check["servers"][0]["state"], "serves");

    // Issuance and a renewal: the zone is not touched again.
    let serial = s.bind.serial("example.com");
    let out = s.issue(&["example.com", "*.example.com"]);
    out.assert_success();
    let request = out.json();
    assert_eq!(request["status"], "saved", "{request:#}");
    let id = request["id"].as_str().unwrap().to_owned();
    s.assert_chain_verifies(&id);
    let first = s.cd.json(["cert", "show", &id])["serial"].clone();

    let due = OffsetDateTime::now_utc() + Duration::days(89);
    let renewed = s.cd.run(["--json", "renew", "--due", "--now", &rfc(due)]);
    renewed.assert_success();
    let cert = s.cd.json(["cert", "show", &id]);
    assert_ne!(cert["serial"], first, "renewed: {renewed}");
    s.assert_chain_verifies(&id);
    assert_eq!(
        s.bind.serial("example.com"),
        serial,
        "no DNS change per order"
    );
    assert_eq!(s.bind.txt("_validation-persist.example.com"), [value]);
}

#[test]
fn a_wildcard_needs_policy_wildcard_and_a_past_until_is_refused() {
    let s = Setup::start();
    let past = s.cd.run([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--until",
        "2020-01-01",
    ]);
    past.assert_code(1);
    assert!(past.stderr.contains("has passed"), "{past}");

    let soon = rfc(OffsetDateTime::now_utc() + Duration::days(10));
    let written = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--until",
        &soon,
        "--write",
        "bind",
    ]);
    assert!(
        written["notice"].as_str().unwrap().contains("days away"),
        "{written:#}"
    );
    let (check, code) = s.check("example.com");
    assert_eq!(code, 0, "{check:#}");
    assert!(
        check["warning"].as_str().unwrap().contains("persistUntil"),
        "{check:#}"
    );
    let (check, code) = s.check("*.example.com");
    assert_eq!(code, 1, "{check:#}");
    assert_eq!(check["servers"][0]["state"], "other");
    assert!(
        check["servers"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("policy=wildcard"),
        "{check:#}"
    );
    let refused = s.issue(&["*.example.com"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("policy=wildcard"), "{refused}");
    assert_eq!(s.issue(&["example.com"]).json()["status"], "saved");
}

#[test]
fn dns_account_01_publishes_at_the_account_scoped_name_and_removes_it() {
    let s = Setup::start();
    let serial = s.bind.serial("example.com");
    let out =
        s.cd.run(Create::new(&["www.example.com"], "dns-account-01").with([
            "--json",
            "--dns-account",
            "bind",
            "--save",
        ]));
    out.assert_success();
    let request = out.json();
    assert_eq!(request["status"], "saved", "{request:#}");
    let name = request["challenges"][0]["record_name"].as_str().unwrap();
    assert!(
        name.starts_with('_') && name.ends_with("._acme-challenge.www.example.com"),
        "{request:#}"
    );
    assert_eq!(name.split('.').next().unwrap().len(), 17, "_ and 16 base32");
    assert!(s.bind.txt(name).is_empty(), "removed after the order");
    assert!(s.bind.serial("example.com") > serial, "written and removed");
    s.assert_chain_verifies(request["id"].as_str().unwrap());
}
