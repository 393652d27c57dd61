//! dns-01 through RFC 2136 against a real BIND 9 with a TSIG key, Pebble resolving through the
//! same BIND: issuance with no hand work, other TXT records left alone, clean-up, clear errors,
//! and the propagation check (a lagging nameserver waited for, a silent one named).

use crate::common;

use std::time::Duration;

use crate::common::bind::{Bind, KEY_NAME};
use crate::common::dns_setup::{Account, Issuing};
use crate::common::dns_zone::{self, RESTRICTED_KEYS};
use crate::common::{wait_until, Certdesk, Create};
use serde_json::{json, Value};

/// The RFC 2136 account `bind` at `bind`, signing with its hmac-sha256 key.
fn account(bind: &Bind) -> Account {
    Account::new(
        "rfc2136",
        "bind",
        json!({
            "server": bind.addr(),
            "key_name": KEY_NAME,
            "key_secret": bind.secret(),
            "algorithm": "hmac-sha256",
            "nameservers": [bind.addr()],
        }),
    )
}

fn add_account(cd: &Certdesk, name: &str, config: &Value) -> common::Output {
    common::add_dns_account(cd, "rfc2136", name, config)
}

fn issue(cd: &Certdesk, names: &[&str]) -> common::Output {
    common::issue_dns(cd, "bind", names)
}

#[test]
fn a_wildcard_and_two_names_issue_through_bind_and_the_records_go_away() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind).add(cd, json!({})).assert_success();
    // Someone else's TXT at the name certdesk writes to must survive.
    bind.nsupdate("update add _acme-challenge.example.com. 60 TXT \"keep-me\"");

    let out = issue(cd, &["example.com", "*.example.com", "www.example.com"]);
    assert_eq!(
        common::saved_cert_names(cd, &out),
        ["*.example.com", "example.com", "www.example.com"]
    );
    assert_eq!(out.json()["dns_account"], "bind");

    assert_eq!(bind.txt("_acme-challenge.example.com"), ["keep-me"]);
    assert!(bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn a_wrong_tsig_secret_is_named_by_test_and_by_a_request() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    // Same length as a real secret, different bytes.
    let cd = &s.cd;
    account(&bind)
        .add(
            cd,
            json!({"key_secret": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}),
        )
        .assert_success();

    let serial = bind.serial("example.com");
    let expected = format!(
        "the DNS server {} refused the update: NOTAUTH, TSIG error BADSIG — the key's secret or \
         algorithm does not match the server's key {KEY_NAME}",
        bind.addr()
    );

    let out = cd.run(["dns", "test", "bind", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("RFC 2136") && out.stderr.contains(&expected),
        "{out}"
    );
    assert!(!out.stderr.contains("file an issue"), "{out}");

    let out = issue(cd, &["www.example.com"]);
    dns_zone::assert_update_refused(&out, "_acme-challenge.www.example.com", &expected);
    assert_eq!(bind.serial("example.com"), serial, "nothing was written");
    assert!(bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn dns_test_accepts_a_good_key_and_leaves_the_records_as_they_were() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind).add(cd, json!({})).assert_success();
    bind.nsupdate("update add _acme-challenge.example.com. 60 TXT \"keep-me\"");
    let serial = bind.serial("example.com");
    let out = cd.run(["dns", "test", "bind", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("accepts updates of TXT at _acme-challenge.example.com"),
        "{out}"
    );
    // A value was added and removed (two updates); the other value there is untouched.
    assert_eq!(bind.serial("example.com"), serial + 2);
    assert_eq!(bind.txt("_acme-challenge.example.com"), ["keep-me"]);
}

#[test]
fn a_least_privilege_mixed_case_key_tests_and_issues_and_is_refused_elsewhere() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    // `grant CertDesk-Net name _acme-challenge.example.com. TXT;` and nothing more.
    let (name, algorithm) = RESTRICTED_KEYS[0];
    let cd = &s.cd;
    account(&bind)
        .add(
            cd,
            json!({"key_name": name, "key_secret": bind.restricted_secret(name),
               "algorithm": algorithm}),
        )
        .assert_success();
    bind.nsupdate("update add _acme-challenge.example.com. 60 TXT \"keep-me\"");

    let serial = bind.serial("example.com");
    let out = cd.run(["dns", "test", "bind", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        out.stdout.contains("signed with the key certdesk-net"),
        "{out}"
    );
    assert_eq!(bind.serial("example.com"), serial + 2);

    let out = issue(cd, &["example.com", "*.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");
    assert_eq!(bind.txt("_acme-challenge.example.com"), ["keep-me"]);

    // BIND refuses a name the policy does not grant with REFUSED (signed).
    let serial = bind.serial("example.com");
    let out = issue(cd, &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!(
            "the DNS server {} refused the update: REFUSED — the key may not update this name: \
             the server's policy must allow TXT at _acme-challenge.www.example.com for the key \
             certdesk-net (BIND: `grant certdesk-net name _acme-challenge.www.example.com. TXT;`",
            bind.addr()
        )),
        "{out}"
    );
    assert_eq!(bind.serial("example.com"), serial, "nothing was written");
    assert!(bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn a_lagging_nameserver_is_waited_for() {
    let bind = Bind::start(&["example.com"]);
    let lagging = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind)
        .add(cd, json!({"nameservers": [bind.addr(), lagging.addr()]}))
        .assert_success();
    let mut child = cd.spawn(Create::new(&["lag.example.com"], "dns-01").with([
        "--json",
        "--dns-account",
        "bind",
        "--save",
    ]));
    // The second server gets the record only after certdesk wrote it to the first: certdesk
    // must still be waiting then, and go on once the second one has it.
    let mut value = Vec::new();
    wait_until("certdesk to publish", Duration::from_secs(60), || {
        value = bind.txt("_acme-challenge.lag.example.com");
        !value.is_empty()
    });
    assert!(
        child.try_wait().is_none(),
        "certdesk did not wait: {}",
        child.stderr()
    );
    lagging.nsupdate(&format!(
        "update add _acme-challenge.lag.example.com. 60 TXT \"{}\"",
        value[0]
    ));
    let out = child.wait(Duration::from_secs(120));
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");
}

#[test]
fn a_silent_nameserver_times_out_with_its_name() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let silent = format!("127.0.0.1:{}", common::free_port());
    let cd = &s.cd;
    account(&bind)
        .add(
            cd,
            json!({"nameservers": [bind.addr(), silent], "propagation_timeout": "2"}),
        )
        .assert_success();
    let out = issue(cd, &["quiet.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("did not reach every nameserver within 2 s")
            && out.stderr.contains(&silent),
        "{out}"
    );
    // Cleaned up after the failure too.
    assert!(bind.txt("_acme-challenge.quiet.example.com").is_empty());
}

#[test]
fn a_cname_on_acme_challenge_is_followed_to_where_the_record_belongs() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind).add(cd, json!({})).assert_success();
    // Delegated validation: the challenge name points elsewhere (a TXT next to the CNAME would
    // be refused). The target stays in the zone: an authoritative-only BIND, unlike the
    // resolvers a CA uses, does not chase a CNAME into another zone.
    bind.nsupdate(
        "update add _acme-challenge.app.example.com. 60 CNAME app.validation.example.com.",
    );
    let out = issue(cd, &["app.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");
    assert!(bind.txt("app.validation.example.com").is_empty());
    assert_eq!(
        bind.dig("_acme-challenge.app.example.com", "CNAME").trim(),
        "app.validation.example.com."
    );
}

#[test]
fn legacy_hmac_sha1_and_md5_keys_sign_updates_too() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    for (i, (name, algorithm)) in common::bind::LEGACY_KEYS.iter().enumerate() {
        let account = "legacy";
        let config = json!({
            "server": bind.addr(),
            "key_name": name,
            "key_secret": bind.legacy_secret(name),
            "algorithm": algorithm,
            "nameservers": [bind.addr()],
        });
        if i == 0 {
            add_account(cd, account, &config).assert_success();
        } else {
            // One account per provider: switch its key.
            let path = cd.dir().join("edit.json");
            std::fs::write(&path, config.to_string()).expect("write config");
            cd.run([
                "dns",
                "edit",
                account,
                "--config",
                path.to_str().expect("UTF-8"),
            ])
            .assert_success();
        }
        let out = cd.run(["dns", "test", account, "--zone", "example.com"]);
        out.assert_success();
        assert!(out.stdout.contains("accepts updates"), "{algorithm}: {out}");
        let host = format!("{}.example.com", algorithm.replace("hmac-", ""));
        let out = cd.run(Create::new(&[&host], "dns-01").with([
            "--json",
            "--dns-account",
            account,
            "--save",
        ]));
        out.assert_success();
        assert_eq!(out.json()["status"], "saved", "{algorithm}");
    }
}

#[test]
fn a_second_account_for_one_provider_and_bad_fields_are_refused() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind).add(cd, json!({})).assert_success();
    let config = json!({"server": bind.addr(), "key_name": KEY_NAME, "key_secret": bind.secret()});
    let out = add_account(cd, "again", &config);
    out.assert_code(1);
    assert!(out.stderr.contains("one account per provider"), "{out}");

    let out = add_account(
        cd,
        "bind",
        &json!({"server": bind.addr(), "colour": "blue"}),
    );
    out.assert_code(1);
    assert!(out.stderr.contains("has no field \"colour\""), "{out}");

    // The secret went to the keychain: the account shows that it is set, never its value.
    let shown = cd.run(["--json", "dns", "show", "bind"]);
    shown.assert_success();
    assert_eq!(shown.json()["secrets_set"], json!(["key_secret"]));
    assert!(!shown.stdout.contains(bind.secret()), "{shown}");

    // A disabled account publishes nothing; requests cannot pick it.
    cd.run(["dns", "disable", "bind"]).assert_success();
    let out = issue(cd, &["off.example.com"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("DNS account \"bind\" is disabled"),
        "{out}"
    );
}

#[test]
fn a_pending_request_assigned_to_an_account_verifies_with_no_hand_work() {
    let bind = Bind::start(&["example.com"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    account(&bind).add(cd, json!({})).assert_success();
    let created = cd.json(Create::new(&["later.example.com"], "dns-01"));
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().expect("id");
    // In use: the account cannot be deleted from under the request.
    cd.json(["request", "assign-dns", id, "bind"]);
    let out = cd.run(["dns", "delete", "--yes", "bind"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!("used by request {id}")),
        "{out}"
    );

    let verified = cd.json(["request", "verify", id]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    assert!(bind.txt("_acme-challenge.later.example.com").is_empty());
}

#[test]
fn per_domain_keys_pick_the_entry_of_each_zone_and_name_a_zone_without_one() {
    let bind = Bind::start(&["example.com", "example.net"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    // One entry per zone, each with its own server and key; the entry of another zone (here a
    // sub-zone with the sha1 key) does not get in the way.
    let (sha1_name, _) = common::bind::LEGACY_KEYS[0];
    let zones = json!([
        {"zone": "example.com", "server": bind.addr(), "key_name": KEY_NAME,
         "key_secret": bind.secret(), "algorithm": "hmac-sha256"},
        {"zone": "shop.example.com", "server": bind.addr(), "key_name": sha1_name,
         "key_secret": bind.legacy_secret(sha1_name), "algorithm": "hmac-sha1"},
    ]);
    add_account(
        cd,
        "bind",
        &json!({"zones": zones.to_string(), "nameservers": [bind.addr()]}),
    )
    .assert_success();
    let out = issue(cd, &["www.example.com"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");

    let out = issue(cd, &["www.example.net"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("no zone entry covers example.net"),
        "{out}"
    );
    assert!(bind.txt("_acme-challenge.www.example.net").is_empty());
}
