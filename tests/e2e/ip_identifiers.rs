//! IP address certificates (RFC 8738) and tls-alpn-01 (RFC 8737) against Pebble 2.10.1, whose
//! VA connects to the address itself (`httpPort` for http-01, `tlsPort` for tls-alpn-01). The
//! tests' Pebble is a custom directory, a private CA to certdesk: 127.0.0.1 and ::1 pass there,
//! with the notice that says so.

use std::path::PathBuf;

use crate::common::{openssl, register, verify_chain, Certdesk, Pebble};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// `request create` with `args`, verified at once; the request's JSON.
fn issue(cd: &Certdesk, args: &[&str]) -> Value {
    let mut all = vec![
        "request",
        "create",
        "--key",
        "p256",
        "--keystore",
        "pem",
        "--save",
    ];
    all.extend_from_slice(args);
    let out = cd.json(all);
    out.as_array().map_or(out.clone(), |a| a[0].clone())
}

/// The saved certificate of `id` as a PEM chain file.
fn chain(cd: &Certdesk, id: &str) -> PathBuf {
    let out = cd.dir().join(format!("{id}.pem"));
    cd.run([
        "cert",
        "export",
        id,
        "--format",
        "pem",
        "--out",
        out.to_str().unwrap(),
    ])
    .assert_success();
    out
}

/// The certificate's subjectAltName as openssl prints it, after checking its chain against
/// Pebble's root.
fn verified_sans(cd: &Certdesk, pebble: &Pebble, id: &str) -> String {
    let pem = chain(cd, id);
    let root = cd.dir().join("pebble-root.pem");
    std::fs::write(&root, pebble.issuance_root_pem()).unwrap();
    assert_eq!(verify_chain(&pem, &root), Ok(()));
    openssl([
        "x509",
        "-in",
        pem.to_str().unwrap(),
        "-noout",
        "-ext",
        "subjectAltName",
    ])
}

fn id_of(request: &Value) -> String {
    request["id"].as_str().expect("an id").to_owned()
}

#[test]
fn an_ip_certificate_by_http01_and_one_by_tls_alpn01() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let http = format!("127.0.0.1:{}", pebble.http_port());
    let by_http = issue(
        &cd,
        &[
            "--domain",
            "127.0.0.1",
            "--challenge",
            "http-01",
            "--http-listen",
            &http,
        ],
    );
    assert_eq!(by_http["status"], "saved", "{by_http:#}");
    assert_eq!(by_http["names"], serde_json::json!(["127.0.0.1"]));
    let notice = by_http["names_notice"].as_str().expect("a notice");
    assert!(
        notice.contains("accepted only because this CA is a private one"),
        "{notice}"
    );
    let sans = verified_sans(&cd, &pebble, &id_of(&by_http));
    assert!(sans.contains("IP Address:127.0.0.1"), "{sans}");
    assert!(!sans.contains("DNS:"), "{sans}");

    let tls = format!("127.0.0.1:{}", pebble.tls_port());
    let by_tls = issue(
        &cd,
        &[
            "--domain",
            "127.0.0.1",
            "--challenge",
            "tls-alpn-01",
            "--tls-alpn-listen",
            &tls,
        ],
    );
    assert_eq!(by_tls["status"], "saved", "{by_tls:#}");
    let sans = verified_sans(&cd, &pebble, &id_of(&by_tls));
    assert!(sans.contains("IP Address:127.0.0.1"), "{sans}");
}

#[test]
fn an_ipv6_certificate_for_the_loopback_by_http01_and_by_tls_alpn01() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    // Pebble's VA connects to the address itself: the responders listen on [::1].
    for (challenge, flag, port) in [
        ("http-01", "--http-listen", pebble.http_port()),
        ("tls-alpn-01", "--tls-alpn-listen", pebble.tls_port()),
    ] {
        let listen = format!("[::1]:{port}");
        let issued = issue(
            &cd,
            &["--domain", "::1", "--challenge", challenge, flag, &listen],
        );
        assert_eq!(issued["status"], "saved", "{challenge}: {issued:#}");
        assert_eq!(issued["names"], serde_json::json!(["::1"]));
        let sans = verified_sans(&cd, &pebble, &id_of(&issued));
        // openssl prints an IPv6 SAN in full.
        assert!(
            sans.contains("IP Address:0:0:0:0:0:0:0:1"),
            "{challenge}: {sans}"
        );
        assert!(!sans.contains("DNS:"), "{challenge}: {sans}");
    }
}

#[test]
fn a_dns_name_by_tls_alpn01_and_its_renewal_by_hand_and_through_the_setting() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let tls = format!("127.0.0.1:{}", pebble.tls_port());
    // By hand first: the request says what must answer on port 443.
    let request = cd.json([
        "request",
        "create",
        "--key",
        "p256",
        "--keystore",
        "pem",
        "--domain",
        "tls.example.com",
        "--challenge",
        "tls-alpn-01",
    ]);
    let request = request.as_array().map_or(request.clone(), |a| a[0].clone());
    let id = id_of(&request);
    let step = request["next_step"].to_string();
    assert!(
        step.contains("port 443") && step.contains("--tls-alpn-listen"),
        "{step}"
    );
    let shown = cd.run(["request", "show", &id]);
    assert!(shown.stdout.contains("acme-tls/1"), "{shown}");
    assert!(shown.stdout.contains("port 443"), "{shown}");
    let verified = cd.json(["request", "verify", "--tls-alpn-listen", &tls, &id]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    cd.json(["cert", "save", &id]);
    let sans = verified_sans(&cd, &pebble, &id);
    assert!(sans.contains("DNS:tls.example.com"), "{sans}");

    // A renewal answers through the responder at the settings' address.
    cd.json(["settings", "set", "tls_alpn01.listen", &tls]);
    let shown = cd.json(["cert", "show", &id]);
    let not_after = shown["not_after"].as_str().expect("not_after");
    let not_after = OffsetDateTime::parse(not_after, &Rfc3339).expect("an RFC 3339 time");
    let due = (not_after - Duration::hours(1)).format(&Rfc3339).unwrap();
    let pass = cd.json(["renew", "--due", "--now", &due]);
    assert_eq!(pass["outcomes"][0]["action"], "renewed", "{pass:#}");
    assert_ne!(cd.json(["cert", "show", &id])["serial"], shown["serial"]);
}

#[test]
fn an_ip_address_with_dns01_is_refused_before_ordering() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let out = cd.run([
        "request",
        "create",
        "--key",
        "p256",
        "--keystore",
        "pem",
        "--domain",
        "127.0.0.1",
        "--challenge",
        "dns-01",
    ]);
    out.assert_failure();
    assert!(
        out.stderr
            .contains("is an IP address, which has no DNS zone to publish a dns-01 record in"),
        "{out}"
    );
}
