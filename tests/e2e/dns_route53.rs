//! dns-01 through Amazon Route 53: certdesk's provider talks to moto (an in-memory AWS, in server
//! mode) through `tests/fakes/route53_mirror.py`, a TLS front that checks each request's SigV4
//! signature with botocore, holds changes PENDING for a while, enforces Route 53's exact-match
//! DELETE and mirrors the TXT sets into the BIND that Pebble resolves through. What is left in
//! Route 53 afterwards is read from moto with boto3, without certdesk.

use crate::common;

use crate::common::bind::Bind;
use crate::common::dns_setup::{connection, merged, Account, Issuing};
use crate::common::fake::FakeApi;
use crate::common::moto::Moto;
use crate::common::Certdesk;
use serde_json::{json, Value};

/// AWS's documented example key pair: the one the front accepts.
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// BIND and moto with the public zone example.com (and a private twin certdesk must not pick),
/// and the front before moto started with `front_args`.
struct World {
    bind: Bind,
    moto: Moto,
    front: FakeApi,
    zone_id: String,
}

fn world(front_args: &[&str]) -> World {
    let bind = Bind::start(&["example.com"]);
    let moto = Moto::start();
    moto.create_private_zone("example.com");
    let zone_id = moto.create_zone("example.com");
    let mut args = vec![
        "--moto",
        &moto.endpoint(),
        "--access-key",
        ACCESS_KEY,
        "--secret-key",
        SECRET_KEY,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    args.extend(front_args.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let front = FakeApi::start("route53_mirror.py", &bind, &args);
    World {
        bind,
        moto,
        front,
        zone_id,
    }
}

impl World {
    /// The DNS account `r53` (keys, the front as endpoint, BIND as the nameserver to check),
    /// with `extra` fields on top.
    fn account(&self, cd: &Certdesk, extra: Value) {
        let keys = json!({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY});
        let fields = merged(connection(&self.front, &self.bind), keys);
        Account::new("route53", "r53", fields)
            .add(cd, extra)
            .assert_success();
    }

    /// What the front logged (each request, each refusal with its reason, each change's polls).
    fn log(&self) -> String {
        self.front.log()
    }
}

fn issue(cd: &Certdesk, names: &[&str]) -> common::Output {
    common::issue_dns(cd, "r53", names)
}

#[test]
fn a_wildcard_its_base_name_and_another_name_issue_through_route53() {
    let w = world(&[]);
    // Someone else's TXT at the name the wildcard and the base name share must survive.
    w.moto
        .set_txt(&w.zone_id, "_acme-challenge.example.com", 300, &["keep-me"]);
    w.bind
        .nsupdate("update add _acme-challenge.example.com. 60 TXT \"keep-me\"");
    let s = Issuing::start(&w.bind.addr());
    let cd = &s.cd;
    w.account(cd, json!({}));

    let out = issue(cd, &["example.com", "*.example.com", "www.example.com"]);
    assert_eq!(
        common::saved_cert_names(cd, &out),
        ["*.example.com", "example.com", "www.example.com"]
    );

    let log = w.log();
    // One UPSERT of the shared name with the foreign value and both challenge values.
    assert!(
        log.lines()
            .any(|l| l.contains("mirrored TXT _acme-challenge.example.com.")
                && l.contains("'keep-me'")
                && l.matches('\'').count() == 6),
        "{log}"
    );
    // Two names written and removed; each write waited for: PENDING first, then INSYNC.
    assert_eq!(log.matches("submitted").count(), 4, "{log}");
    assert_eq!(log.matches(": PENDING").count(), 2, "{log}");
    assert_eq!(log.matches(": INSYNC").count(), 2, "{log}");
    // The exact-match DELETE of the name certdesk had alone, and nothing else refused.
    assert!(!log.contains("refused"), "{log}");

    // Route 53 (read from moto, not through certdesk) and BIND keep only the foreign value.
    assert_eq!(
        w.moto.txt(&w.zone_id, "_acme-challenge.example.com"),
        ["keep-me"]
    );
    assert!(w
        .moto
        .txt(&w.zone_id, "_acme-challenge.www.example.com")
        .is_empty());
    assert_eq!(w.bind.txt("_acme-challenge.example.com"), ["keep-me"]);
    assert!(w.bind.txt("_acme-challenge.www.example.com").is_empty());
}

#[test]
fn dns_test_reads_the_zone_without_changing_records() {
    let w = world(&[]);
    let cd = Certdesk::new();
    w.account(&cd, json!({}));

    let out = cd.run(["dns", "test", "r53", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        out.stdout.contains("example.com") && out.stdout.contains(&w.zone_id),
        "the public zone, not its private twin: {out}"
    );
    cd.run(["dns", "test", "r53"]).assert_success();

    // A zone the account does not have.
    let out = cd.run(["dns", "test", "r53", "--zone", "example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Amazon Route 53")
            && out.stderr.contains("no public hosted zone example.org"),
        "{out}"
    );
    assert!(!w.log().contains("submitted"), "{}", w.log());
}

#[test]
fn a_configured_hosted_zone_id_is_checked_and_a_missing_one_named() {
    let w = world(&[]);
    let cd = Certdesk::new();
    w.account(&cd, json!({"hosted_zone_id": w.zone_id}));
    let out = cd.run(["dns", "test", "r53", "--zone", "example.com"]);
    out.assert_success();
    assert!(
        w.log().contains("GET /2013-04-01/hostedzone/"),
        "{}",
        w.log()
    );
    assert!(!w.log().contains("hostedzonesbyname"), "{}", w.log());

    let cd = Certdesk::new();
    w.account(&cd, json!({"hosted_zone_id": "Z0000000000NOTTHERE"}));
    let out = cd.run(["dns", "test", "r53", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Amazon Route 53") && out.stderr.contains("NoSuchHostedZone"),
        "{out}"
    );
}

#[test]
fn bad_credentials_get_route53s_own_words() {
    let w = world(&[]);
    let cd = Certdesk::new();
    // An access key Route 53 does not know.
    w.account(&cd, json!({"access_key_id": "AKIAI44QH8DHBEXAMPLE"}));
    let out = cd.run(["dns", "test", "r53", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Amazon Route 53")
            && out.stderr.contains("InvalidClientTokenId")
            && out
                .stderr
                .contains("The security token included in the request is invalid"),
        "{out}"
    );
    assert!(!out.stderr.contains(SECRET_KEY), "{out}");

    // The right key with a wrong secret: the signature does not match.
    let cd = Certdesk::new();
    w.account(
        &cd,
        json!({"secret_access_key": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}),
    );
    let out = cd.run(["dns", "test", "r53"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("SignatureDoesNotMatch")
            && out.stderr.contains("Check your AWS Secret Access Key"),
        "{out}"
    );
    assert!(!out.stderr.contains("je7MtGbClwBF"), "{out}");
}

#[test]
fn a_refused_change_fails_the_request_with_route53s_words() {
    // A policy without route53:ChangeResourceRecordSets: reading works, writing does not.
    let w = world(&[
        "--inject",
        "AccessDenied",
        "--inject-on",
        "ChangeResourceRecordSets",
    ]);
    let s = Issuing::start(&w.bind.addr());
    let cd = &s.cd;
    w.account(cd, json!({}));
    let out = issue(cd, &["www.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("Amazon Route 53 failed adding TXT _acme-challenge.www.example.com")
            && out.stderr.contains("AccessDenied")
            && out
                .stderr
                .contains("not authorized to perform: route53:ChangeResourceRecordSets"),
        "{out}"
    );
    assert!(w
        .moto
        .txt(&w.zone_id, "_acme-challenge.www.example.com")
        .is_empty());
}

#[test]
fn throttling_is_retried_and_then_reported() {
    let w = world(&["--inject", "Throttling"]);
    let cd = Certdesk::new();
    w.account(&cd, json!({}));
    let out = cd.run(["dns", "test", "r53", "--zone", "example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Amazon Route 53") && out.stderr.contains("Throttling: Rate exceeded"),
        "{out}"
    );
    assert_eq!(
        w.log().matches("injecting Throttling").count(),
        3,
        "{}",
        w.log()
    );
}

#[test]
fn a_change_that_stays_pending_times_out_with_a_clear_message() {
    let w = world(&["--pending", "1000"]);
    let s = Issuing::start(&w.bind.addr());
    let cd = &s.cd;
    w.account(cd, json!({"propagation_timeout": "2"}));
    let out = issue(cd, &["slow.example.com"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("Amazon Route 53 failed adding TXT _acme-challenge.slow.example.com")
            && out.stderr.contains("is still PENDING after 2 s"),
        "{out}"
    );
    // The failed publication was removed again.
    assert!(w
        .moto
        .txt(&w.zone_id, "_acme-challenge.slow.example.com")
        .is_empty());
}
