//! Certificate profiles (draft-aaron-acme-profiles) against Pebble 2.10.1 with a 90-day default
//! and a 6-day `short` profile: the CA's profiles listed with their descriptions, a chosen profile
//! honoured (the lifetime read by openssl) and kept by the renewal, which comes at half the
//! short lifetime; an unknown profile refused with the offered ones, and the CA's own
//! `invalidProfile` reaching the user whole. The CA is reached through the [`CaProxy`] with ARI
//! hidden, so that the lifetime rule decides when a certificate renews.

use serde_json::{json, Value};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::common::ari::{rfc, time_of};
use crate::common::ca_proxy::CaProxy;
use crate::common::{openssl_stdin, Certdesk, Create, Pebble};

const SHORT_SECS: u64 = 6 * 86_400;

/// A Pebble with the `short` profile beside the default, reached through a proxy without ARI, an
/// account registered there and the built-in responder set for renewals.
struct Ca {
    /// Kept running for the test.
    _pebble: Pebble,
    proxy: CaProxy,
    cd: Certdesk,
    listen: String,
}

impl Ca {
    fn start() -> Ca {
        let pebble = Pebble::builder()
            .profile("short", "Six days", SHORT_SECS)
            .start();
        let proxy = CaProxy::start(&pebble);
        proxy.control(json!({ "ari": false }));
        let cd = Certdesk::new();
        // No e-mail: a contact is optional (certdesk's notices are the expiry warnings).
        let account = cd.json([
            "account",
            "register",
            "--name",
            "pebble",
            "--agree-tos",
            "--directory",
            &proxy.directory_url(),
            "--ca-root",
            proxy.ca_root_path(),
        ]);
        assert_eq!(account["email"], "", "{account:#}");
        let listen = format!("127.0.0.1:{}", pebble.http_port());
        cd.json(["settings", "set", "http01.listen", &listen]);
        Ca {
            _pebble: pebble,
            proxy,
            cd,
            listen,
        }
    }

    /// `request create … --save` for `name` with `profile` flags; the run's output.
    fn issue(&self, name: &str, profile: &[&str]) -> crate::common::Output {
        self.cd.run(
            Create::new(&[name], "http-01")
                .with(["--json", "--http-listen", &self.listen, "--save"])
                .with(profile.iter().copied()),
        )
    }

    /// The saved certificate of request `id`: its versions' PEMs, oldest first.
    fn versions(&self, id: &str) -> Vec<String> {
        self.cd
            .json(["cert", "history", id])
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| v["certificate_pem"].as_str().expect("a PEM").to_owned())
            .collect()
    }
}

/// How long `pem` is valid, as openssl reads its notBefore and notAfter.
fn lifetime(pem: &str) -> Duration {
    let dates = openssl_stdin(["x509", "-noout", "-startdate", "-enddate"], pem.as_bytes());
    let date = |key: &str| {
        let text = dates
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {dates}"));
        let openssl = time::format_description::parse_borrowed::<2>(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT",
        )
        .expect("a format");
        PrimitiveDateTime::parse(text.trim(), &openssl)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .assume_utc()
    };
    date("notAfter=") - date("notBefore=")
}

/// Pebble's certificates end one second before their period does.
fn assert_days(pem: &str, days: i64) {
    let got = lifetime(pem);
    let want = Duration::days(days);
    assert!(
        got <= want && got >= want - Duration::seconds(2),
        "a {days}-day certificate, got {got}"
    );
}

#[test]
fn the_cas_profiles_are_listed_with_their_descriptions() {
    let ca = Ca::start();
    let text = ca.cd.run(["account", "profiles"]);
    text.assert_success();
    assert!(
        text.stdout.contains("default\tThe default profile")
            && text.stdout.contains("short\tSix days"),
        "{text}"
    );
    let listed = ca.cd.json(["account", "profiles", "--account", "pebble"]);
    assert_eq!(
        listed,
        json!([
            { "name": "default", "description": "The default profile" },
            { "name": "short", "description": "Six days" },
        ])
    );
    // Without profiles in the directory, the choice is not there.
    ca.proxy.control(json!({ "ari": false, "profiles": false }));
    let none = ca.cd.run(["account", "profiles"]);
    none.assert_success();
    assert!(
        none.stdout.contains("offers no certificate profiles"),
        "{none}"
    );
}

#[test]
fn a_chosen_profile_sets_the_lifetime_and_is_kept_by_the_renewal_at_half_life() {
    let ca = Ca::start();
    let short = ca.issue("short.example.com", &["--profile", "short"]);
    let short = short.json();
    assert_eq!(short["status"], "saved", "{short:#}");
    assert_eq!(short["profile"], "short", "{short:#}");
    let id = short["id"].as_str().expect("an id").to_owned();
    let first = ca.versions(&id);
    assert_days(&first[0], 6);

    // Named: Pebble picks a random profile for an order that names none (wfe.go, "in true
    // pebble chaos fashion"), where Let's Encrypt would give its classic one.
    let default = ca
        .issue("long.example.com", &["--profile", "default"])
        .json();
    assert_eq!(default["status"], "saved", "{default:#}");
    let long_id = default["id"].as_str().expect("an id");
    assert_days(&ca.versions(long_id)[0], 90);

    // Half of six days: due with three days left, not with three and a half.
    let not_after = time_of(&ca.cd.json(["cert", "show", &id])["not_after"]);
    let pass = |now: OffsetDateTime| ca.cd.run(["--json", "renew", "--due", "--now", &rfc(now)]);
    let early = pass(not_after - Duration::hours(84));
    early.assert_success();
    assert_eq!(
        ca.versions(&id).len(),
        1,
        "not due at 3.5 days left:\n{early}"
    );
    let due = pass(not_after - Duration::hours(70));
    due.assert_success();
    let outcomes: Value = due.json();
    let renewed: Vec<&Value> = outcomes["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .filter(|o| o["action"] == "renewed")
        .collect();
    assert_eq!(
        renewed.len(),
        1,
        "only the short certificate renews: {outcomes:#}"
    );
    assert_eq!(renewed[0]["id"], id.as_str(), "{outcomes:#}");
    assert_eq!(renewed[0]["reason"]["lifetime_days"], 6, "{outcomes:#}");
    let versions = ca.versions(&id);
    assert_eq!(versions.len(), 2, "renewed at 2.9 days left");
    // The renewal ordered with the request's profile: six days again, not the default's 90.
    assert_days(&versions[1], 6);
    assert_eq!(ca.versions(long_id).len(), 1);
}

#[test]
fn an_unknown_profile_is_refused_with_the_offered_ones_and_the_cas_refusal_reaches_the_user() {
    let ca = Ca::start();
    let out = ca.issue("nope.example.com", &["--profile", "nope"]);
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "this CA offers no profile \"nope\"; it offers: default (The default profile), \
             short (Six days)"
        ),
        "{out}"
    );
    // A directory that lists a profile Pebble does not have: certdesk's check lets it through,
    // and Pebble's invalidProfile problem is shown whole.
    ca.proxy.control(json!({
        "ari": false,
        "directory": { "meta": { "profiles": {
            "default": "The default profile",
            "ghost": "Listed, but not at the CA",
        } } },
    }));
    let out = ca.issue("ghost.example.com", &["--profile", "ghost"]);
    out.assert_failure();
    assert!(
        out.stderr
            .contains("urn:ietf:params:acme:error:invalidProfile")
            && out.stderr.contains("unrecognized profile name")
            && out.stderr.contains("ghost"),
        "{out}"
    );
}
