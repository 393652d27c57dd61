//! CAA before ordering (RFC 8659, with the account and method binding of RFC 8657): BIND serves
//! the records, Pebble 2.10.1 resolves through it (Pebble checks no CAA itself: its directory's
//! `caaIdentities` is `pebble.letsencrypt.org`, which certdesk compares with), and a recording
//! proxy in front of Pebble shows that a refused request placed no order. The requests use dns-01
//! through an RFC 2136 account whose `nameservers` is the BIND, which is where the CAA lookup
//! goes too (as the propagation check does). A request with no DNS account (http-01) looks CAA
//! up through the system's resolvers: that test runs certdesk with a `resolv.conf` naming a BIND
//! on port 53 ([`Bind::start_as_resolver`]).

use serde_json::{json, Value};

use crate::common::bind::{Bind, KEY_NAME};
use crate::common::ca_proxy::CaProxy;
use crate::common::{self, register, register_as, register_at, Certdesk, Create, Output, Pebble};

/// Pebble's issuer domain name (its default `caaIdentities`).
const PEBBLE: &str = "pebble.letsencrypt.org";

struct Setup {
    bind: Bind,
    cd: Certdesk,
    proxy: CaProxy,
    /// The account's URL at the CA (what `accounturi` names).
    account_url: String,
    _pebble: Pebble,
}

impl Setup {
    fn start() -> Setup {
        Setup::asking(None)
    }

    /// [`Setup::start`] with the DNS account's `nameservers` set to `nameserver` instead of the
    /// BIND.
    fn asking(nameserver: Option<&str>) -> Setup {
        let bind = Bind::start(&["example.com"]);
        let pebble = Pebble::builder().dns_server(&bind.addr()).start();
        let proxy = CaProxy::start(&pebble);
        let cd = Certdesk::new();
        let account = register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
        let account_url = account["url"]
            .as_str()
            .expect("the account's URL")
            .to_owned();
        let config = json!({
            "server": bind.addr(),
            "key_name": KEY_NAME,
            "key_secret": bind.secret(),
            "algorithm": "hmac-sha256",
            "nameservers": [nameserver.map_or(bind.addr(), str::to_owned)],
            "propagation_timeout": "5",
        });
        common::add_dns_account(&cd, "rfc2136", "bind", &config).assert_success();
        Setup {
            bind,
            cd,
            proxy,
            account_url,
            _pebble: pebble,
        }
    }

    /// Publishes `name. CAA value` (value in zone-file form: `0 issue "ca"`).
    fn caa(&self, name: &str, value: &str) {
        self.bind
            .nsupdate(&format!("update add {name}. 60 CAA {value}"));
    }

    fn issue(&self, names: &[&str]) -> Output {
        common::issue_dns(&self.cd, "bind", names)
    }

    fn orders(&self) -> usize {
        self.proxy.events_of("newOrder").len()
    }

    /// Asserts that issuing `names` is refused before any order, with every one of `wanted` in
    /// the message.
    fn refused(&self, names: &[&str], wanted: &[&str]) -> String {
        let before = self.orders();
        let out = self.issue(names);
        out.assert_failure();
        let text = format!("{}{}", out.stdout, out.stderr);
        for w in wanted {
            assert!(text.contains(w), "{w:?} missing in:\n{out}");
        }
        assert_eq!(self.orders(), before, "an order was placed:\n{out}");
        text
    }
}

#[test]
fn a_record_for_the_ca_issues_and_one_for_another_ca_is_refused_before_ordering() {
    let s = Setup::start();
    s.caa("www.example.com", &format!("0 issue \"{PEBBLE}\""));
    let out = s.issue(&["www.example.com"]);
    assert_eq!(common::saved_cert_names(&s.cd, &out), ["www.example.com"]);

    s.caa("shop.example.com", "0 issue \"sectigo.com\"");
    s.refused(
        &["shop.example.com"],
        &[
            "CAA forbids issuing for shop.example.com",
            "the CAA records at shop.example.com are shop.example.com. CAA 0 issue \"sectigo.com\"",
            &format!(
                "Add shop.example.com. CAA 0 issue \"{PEBBLE}; accounturi={}; \
                 validationmethods=dns-01\"",
                s.account_url
            ),
        ],
    );
    // `issue ";"` forbids every CA.
    s.caa("closed.example.com", "0 issue \";\"");
    s.refused(
        &["closed.example.com"],
        &["closed.example.com. CAA 0 issue \";\""],
    );
}

#[test]
fn accounturi_binds_the_account() {
    let s = Setup::start();
    let other = format!("{}9", s.account_url);
    s.caa(
        "bound.example.com",
        &format!("0 issue \"{PEBBLE}; accounturi={other}\""),
    );
    s.refused(
        &["bound.example.com"],
        &[&format!(
            "bind it to another account (accounturi is not {})",
            s.account_url
        )],
    );
    s.caa(
        "mine.example.com",
        &format!("0 issue \"{PEBBLE}; accounturi={}\"", s.account_url),
    );
    let out = s.issue(&["mine.example.com"]);
    assert_eq!(common::saved_cert_names(&s.cd, &out), ["mine.example.com"]);
}

#[test]
fn validationmethods_without_the_requests_challenge_type_refuse() {
    let s = Setup::start();
    s.caa(
        "web.example.com",
        &format!("0 issue \"{PEBBLE}; validationmethods=http-01\""),
    );
    s.refused(
        &["web.example.com"],
        &["do not list dns-01 in validationmethods"],
    );
    s.caa(
        "dns.example.com",
        &format!("0 issue \"{PEBBLE}; validationmethods=http-01,dns-01\""),
    );
    let out = s.issue(&["dns.example.com"]);
    assert_eq!(common::saved_cert_names(&s.cd, &out), ["dns.example.com"]);
}

#[test]
fn records_on_a_parent_are_found_by_climbing_and_wildcards_read_issuewild() {
    let s = Setup::start();
    s.caa("example.com", &format!("0 issue \"{PEBBLE}\""));
    s.caa("example.com", "0 issuewild \"sectigo.com\"");
    let out = s.issue(&["a.b.example.com"]);
    assert_eq!(common::saved_cert_names(&s.cd, &out), ["a.b.example.com"]);
    s.refused(
        &["*.deep.example.com"],
        &[
            "CAA forbids issuing for *.deep.example.com",
            "the CAA records at example.com are",
            "example.com. CAA 0 issuewild \"sectigo.com\"",
            &format!("Add example.com. CAA 0 issuewild \"{PEBBLE}; accounturi="),
        ],
    );
    // A critical tag certdesk does not know stops every name under it.
    s.caa("strict.example.com", "128 tbs \"x\"");
    s.refused(&["strict.example.com"], &["\"tbs\" is marked critical"]);
}

#[test]
fn account_caa_prints_the_binding_records_and_what_caa_allows_today() {
    let s = Setup::start();
    s.caa("example.com", "0 issue \"sectigo.com\"");
    let args = |json: bool| {
        let mut a = vec![
            "account",
            "caa",
            "--domain",
            "www.example.com",
            "--domain",
            "*.fresh.test",
            "--challenge",
            "dns-01",
        ];
        if json {
            a.insert(0, "--json");
        }
        a
    };
    let bind = s.bind.addr();
    let reports: Value = s.cd.json(
        args(true)
            .into_iter()
            .chain(["--nameservers", bind.as_str()]),
    );
    let binding = |name: &str, tag: &str| {
        format!(
            "{name}. CAA 0 {tag} \"{PEBBLE}; accounturi={}; validationmethods=dns-01\"",
            s.account_url
        )
    };
    assert_eq!(reports[0]["domain"], "www.example.com");
    assert_eq!(
        reports[0]["binding"],
        json!([binding("www.example.com", "issue")])
    );
    assert_eq!(reports[0]["found_at"], "example.com");
    assert_eq!(
        reports[0]["records"],
        json!(["example.com. CAA 0 issue \"sectigo.com\""])
    );
    assert_eq!(reports[0]["allowed"], false);
    assert_eq!(
        reports[1]["binding"],
        json!([binding("fresh.test", "issuewild")])
    );
    assert_eq!(reports[1]["found_at"], Value::Null);
    assert_eq!(reports[1]["allowed"], true);

    let out = s.cd.run(
        args(false)
            .into_iter()
            .chain(["--nameservers", bind.as_str()]),
    );
    out.assert_success();
    for wanted in [
        binding("www.example.com", "issue").as_str(),
        "CAA today (records at example.com):",
        "this account may NOT issue",
        "CAA today: no records up the tree",
    ] {
        assert!(out.stdout.contains(wanted), "{wanted:?} missing in:\n{out}");
    }
}

#[test]
fn a_resolver_that_does_not_answer_refuses_with_its_name() {
    let dead = format!("127.0.0.1:{}", common::free_port());
    let s = Setup::asking(Some(&dead));
    let out = s.issue(&["www.example.com"]);
    out.assert_failure();
    assert!(
        out.stderr.contains(&format!(
            "the nameserver {dead} did not answer CAA www.example.com"
        )),
        "{out}"
    );
    assert_eq!(s.orders(), 0, "{out}");
}

#[test]
fn a_fallback_account_whose_ca_caa_forbids_is_refused_at_creation() {
    let s = Setup::start();
    let fallback = Pebble::builder()
        .config("caaIdentities", json!(["fallback.example.net"]))
        .start();
    register_as(&s.cd, "second", &fallback);
    s.caa("example.com", &format!("0 issue \"{PEBBLE}\""));
    let create = || {
        s.cd.run(Create::new(&["www.example.com"], "dns-01").with([
            "--json",
            "--dns-account",
            "bind",
            "--account",
            "pebble",
            "--fallback-account",
            "second",
            "--save",
        ]))
    };
    let out = create();
    out.assert_failure();
    let records =
        format!("the CAA records at example.com are example.com. CAA 0 issue \"{PEBBLE}\"");
    for wanted in [
        "the fallback account \"second\": CAA forbids issuing for www.example.com",
        records.as_str(),
        "CAA 0 issue \"fallback.example.net; accounturi=",
    ] {
        assert!(out.stderr.contains(wanted), "{wanted:?} missing in:\n{out}");
    }
    assert_eq!(s.orders(), 0, "an order was placed:\n{out}");
    assert_eq!(s.cd.json(["request", "list"]), json!([]), "no request kept");

    // With the fallback's CA allowed too, the request is created and issued by its own CA.
    s.caa("example.com", "0 issue \"fallback.example.net\"");
    let out = create();
    assert_eq!(common::saved_cert_names(&s.cd, &out), ["www.example.com"]);
}

#[test]
fn validationmethods_stop_an_http01_request_whose_lookup_goes_to_the_system_resolver() {
    let bind = Bind::start_as_resolver(&["example.com"]);
    let pebble = Pebble::start();
    let cd = Certdesk::new().resolving_through(bind.resolv_conf());
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let issue = |name: &str| {
        cd.run(Create::new(&[name], "http-01").with(["--json", "--http-listen", &listen, "--save"]))
    };
    bind.nsupdate(&format!(
        "update add dns.example.com. 60 CAA 0 issue \"{PEBBLE}; validationmethods=dns-01\""
    ));
    let out = issue("dns.example.com");
    out.assert_failure();
    for wanted in [
        "CAA forbids issuing for dns.example.com",
        "do not list http-01 in validationmethods",
    ] {
        assert!(out.stderr.contains(wanted), "{wanted:?} missing in:\n{out}");
    }
    bind.nsupdate(&format!(
        "update add web.example.com. 60 CAA 0 issue \"{PEBBLE}; validationmethods=http-01\""
    ));
    let out = issue("web.example.com");
    assert_eq!(common::saved_cert_names(&cd, &out), ["web.example.com"]);
}
