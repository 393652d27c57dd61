//! dns-01 through RFC 2136 against a real Knot DNS, as an administrator following the README
//! would set it up: least-privilege TSIG keys (TXT at `_acme-challenge.ZONE` only, by acl) with
//! mixed-case names, Pebble resolving through the same Knot. Knot finds keys only by their
//! canonical name and answers a denied update with an unsigned NOTAUTH/BADKEY: certdesk must
//! sign in canonical form, test with what such a key may do, and word the refusals itself.

use crate::common;

use crate::common::dns_setup::Issuing;
use crate::common::dns_zone::{self, RESTRICTED_KEYS};
use crate::common::knot::Knot;
use crate::common::Certdesk;
use serde_json::json;

/// The least-privilege hmac-sha256 key, named in mixed case.
const KEY: &str = RESTRICTED_KEYS[0].0;

/// Someone else's value at the name certdesk writes to, which must survive everything.
const KEEP: &str = "keep-me";

/// A Knot for example.com with [`KEEP`] at `_acme-challenge.example.com`.
fn knot() -> Knot {
    let knot = Knot::start(&["example.com"]);
    knot.nsupdate(&format!(
        "update add _acme-challenge.example.com. 60 TXT \"{KEEP}\""
    ));
    knot
}

/// The RFC 2136 account `knot` signing with the key `name` (its secret unless `secret`).
fn add_account(cd: &Certdesk, knot: &Knot, name: &str, algorithm: &str, secret: Option<&str>) {
    let config = json!({
        "server": knot.addr(),
        "key_name": name,
        "key_secret": secret.unwrap_or_else(|| knot.restricted_secret(name)),
        "algorithm": algorithm,
        "nameservers": [knot.addr()],
    });
    common::add_dns_account(cd, "rfc2136", "knot", &config).assert_success();
}

fn dns_test(cd: &Certdesk) -> common::Output {
    cd.run(["dns", "test", "knot", "--zone", "example.com"])
}

#[test]
fn a_wildcard_and_its_base_name_issue_through_knot_with_a_restricted_mixed_case_key() {
    let knot = knot();
    let s = Issuing::start(&knot.addr());
    let cd = &s.cd;
    add_account(cd, &knot, KEY, "hmac-sha256", None);

    let out = common::issue_dns(cd, "knot", &["example.com", "*.example.com"]);
    assert_eq!(
        common::saved_cert_names(cd, &out),
        ["*.example.com", "example.com"]
    );
    // Both challenge values went to the one name and are gone again; the other value stays.
    assert_eq!(knot.txt("_acme-challenge.example.com"), [KEEP]);
}

#[test]
fn dns_test_with_a_restricted_key_adds_and_removes_a_value_at_acme_challenge() {
    let knot = knot();
    // Both signers: hickory's (SHA-2) and certdesk's legacy one (hmac-sha1).
    for (name, algorithm) in RESTRICTED_KEYS {
        let cd = Certdesk::new();
        add_account(&cd, &knot, name, algorithm, None);
        let before = knot.serial("example.com");
        let out = dns_test(&cd);
        out.assert_success();
        assert!(
            out.stdout.contains(&format!(
                "{} accepts updates of TXT at _acme-challenge.example.com signed with the key {} ({algorithm})",
                knot.addr(),
                name.to_ascii_lowercase()
            )),
            "{algorithm}: {out}"
        );
        // Really written and removed (two updates), not a dry run; nothing else touched.
        assert_eq!(knot.serial("example.com"), before + 2, "{algorithm}");
        assert_eq!(
            knot.txt("_acme-challenge.example.com"),
            [KEEP],
            "{algorithm}"
        );
    }
}

#[test]
fn a_wrong_secret_is_named_as_notauth_badsig_in_certdesks_words() {
    let knot = knot();
    let s = Issuing::start(&knot.addr());
    let cd = &s.cd;
    // Same length as the real secret, different bytes.
    let wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    add_account(cd, &knot, KEY, "hmac-sha256", Some(wrong));
    let serial = knot.serial("example.com");
    let expected = format!(
        "the DNS server {} refused the update: NOTAUTH, TSIG error BADSIG — the key's secret or \
         algorithm does not match the server's key certdesk-net",
        knot.addr()
    );

    let out = dns_test(cd);
    out.assert_code(2);
    assert!(out.stderr.contains(&expected), "{out}");
    assert!(!out.stderr.contains("file an issue"), "{out}");

    let out = common::issue_dns(cd, "knot", &["example.com"]);
    dns_zone::assert_update_refused(&out, "_acme-challenge.example.com", &expected);
    assert_eq!(knot.serial("example.com"), serial, "nothing was written");
    assert_eq!(knot.txt("_acme-challenge.example.com"), [KEEP]);
}

#[test]
fn a_key_not_allowed_for_the_name_is_refused_in_certdesks_words() {
    let knot = knot();
    let s = Issuing::start(&knot.addr());
    let cd = &s.cd;
    add_account(cd, &knot, KEY, "hmac-sha256", None);
    let serial = knot.serial("example.com");

    // The acl allows `_acme-challenge.example.com` only; Knot denies with NOTAUTH/BADKEY.
    let out = common::issue_dns(cd, "knot", &["www.example.com"]);
    out.assert_code(2);
    let expected = format!(
        "the DNS server {} refused the update: NOTAUTH, TSIG error BADKEY — the server knows no \
         key certdesk-net with the algorithm hmac-sha256, or (Knot) its acl does not let the key \
         update _acme-challenge.www.example.com",
        knot.addr()
    );
    assert!(out.stderr.contains(&expected), "{out}");
    assert!(
        out.stderr
            .contains("the server's policy must allow TXT at _acme-challenge.www.example.com")
            && out.stderr.contains("update-owner-name: [_acme-challenge]"),
        "{out}"
    );
    assert!(!out.stderr.contains("file an issue"), "{out}");
    assert_eq!(knot.serial("example.com"), serial, "nothing was written");
    assert!(knot.txt("_acme-challenge.www.example.com").is_empty());
}
