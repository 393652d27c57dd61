//! E-mail against a real SMTP server (aiosmtpd on loopback): the test mail, certificates mailed
//! as PKCS#12, JKS and PEM (opened with openssl and keytool), renewal notices one by one and as a
//! daily digest, STARTTLS and TLS with a login, and the errors an administrator sees.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::smtp::{configure, Security, SmtpSink, FROM, TO};
use crate::common::{
    free_port, keytool, openssl, openssl_stdin, register, Certdesk, Create, Pebble, TempDir,
};
use certdesk_engine::mail::Notice;
use certdesk_engine::settings::SettingsUpdate;
use certdesk_engine::Engine;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

#[test]
fn the_test_mail_arrives_from_the_sender_to_the_recipient() {
    let sink = SmtpSink::start();
    let cd = Certdesk::new();
    configure(&cd, sink.port(), Security::None);

    let shown = cd.json(["settings", "show"]);
    assert_eq!(shown["smtp"]["security"], "none", "{shown:#}");
    assert_eq!(shown["smtp"]["password_set"], false);
    let text = cd.run(["settings", "show"]);
    assert!(text.stdout.contains("smtp.host = 127.0.0.1"), "{text}");

    let out = cd.run(["mail", "test"]);
    out.assert_success();
    let server = format!("127.0.0.1:{}", sink.port());
    assert!(out.stdout.contains(&server), "{out}");
    assert!(out.stdout.contains(TO), "{out}");

    let mail = sink.message(1);
    assert_eq!(mail["mail_from"], FROM);
    assert_eq!(mail["rcpt_tos"], serde_json::json!([TO]));
    assert!(mail["from"].as_str().unwrap().contains(FROM), "{mail:#}");
    assert_eq!(mail["to"], TO);
    assert_eq!(mail["subject"], "certdesk test mail");
    assert!(mail["text"].as_str().unwrap().contains(&server), "{mail:#}");
    let raw = sink.raw(1);
    for header in ["Message-ID: <", "Date: ", "User-Agent: certdesk "] {
        assert!(raw.contains(header), "{header:?} missing from:\n{raw}");
    }
    assert_eq!(sink.count(), 1);
}

#[test]
fn settings_refuse_unknown_keys_and_bad_values() {
    let cd = Certdesk::new();
    let out = cd.run(["settings", "set", "smtp.hots", "x"]);
    out.assert_code(1);
    assert!(out.stderr.contains("smtp.host, smtp.port"), "{out}");
    let out = cd.run(["settings", "set", "smtp.security", "ssl3"]);
    out.assert_code(1);
    assert!(out.stderr.contains("starttls"), "{out}");
    let out = cd.run(["settings", "set", "smtp.port", "99999"]);
    out.assert_code(1);
    assert!(out.stderr.contains("smtp.port is a port number"), "{out}");
    // An SMTP host needs a sender and a recipient; together in one command it is fine.
    let out = cd.run(["settings", "set", "smtp.host", "127.0.0.1"]);
    out.assert_code(1);
    assert!(out.stderr.contains("SMTP sender"), "{out}");
    let out = cd.run(["settings", "set", "mail.digest", "maybe"]);
    out.assert_code(1);
    assert!(out.stderr.contains("on or off"), "{out}");
}

#[test]
fn without_a_server_or_with_the_wrong_port_the_error_says_what_to_fix() {
    let cd = Certdesk::new();
    let out = cd.run(["mail", "test"]);
    out.assert_code(1);
    assert!(out.stderr.contains("no SMTP server is set"), "{out}");

    // Nothing listens on this port.
    let port = free_port();
    configure(&cd, port, Security::None);
    let out = cd.run(["mail", "test"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!(
            "the SMTP server 127.0.0.1:{port} did not take the mail"
        )),
        "{out}"
    );
    assert!(out.stderr.contains("check the host and the port"), "{out}");
}

/// A certdesk with one saved certificate for `mail.example.com` in a PKCS#12 keystore with the
/// password in the returned file. Returns the id and the certificate's serial (hex).
fn saved_certificate(cd: &Certdesk, pebble: &Pebble) -> (String, String, PathBuf) {
    register(cd, pebble);
    let password = write(cd.dir(), "ks-pass", "keystore-secret-7\n");
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let request = cd.json(
        Create::new(&["mail.example.com"], "http-01")
            .keystore("pkcs12")
            .with([
                "--keystore-password-file",
                s(&password),
                "--http-listen",
                &listen,
                "--save",
            ]),
    );
    assert_eq!(request["status"], "saved", "{request:#}");
    let id = request["id"].as_str().expect("an id").to_owned();
    let serial = cd.json(["cert", "show", &id])["serial"]
        .as_str()
        .expect("a serial")
        .to_owned();
    (id, serial, password)
}

fn attachment(mail: &Value) -> (String, String, PathBuf) {
    let parts = mail["attachments"].as_array().expect("attachments");
    assert_eq!(parts.len(), 1, "{mail:#}");
    (
        parts[0]["filename"].as_str().unwrap().to_owned(),
        parts[0]["content_type"].as_str().unwrap().to_owned(),
        PathBuf::from(parts[0]["path"].as_str().unwrap()),
    )
}

/// The serial of the first certificate in openssl's PEM output, lower-case hex.
fn serial_of(pem: &str) -> String {
    openssl_stdin(["x509", "-noout", "-serial"], pem.as_bytes())
        .trim()
        .trim_start_matches("serial=")
        .trim_start_matches('0')
        .to_ascii_lowercase()
}

#[test]
fn a_certificate_mails_as_a_keystore_with_its_key_or_as_pem_without() {
    let sink = SmtpSink::start();
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    let (id, serial, password) = saved_certificate(&cd, &pebble);
    configure(&cd, sink.port(), Security::None);

    // PKCS#12 with the request's keystore password (no --password-file).
    let out = cd.run([
        "cert",
        "mail",
        &id,
        "--to",
        "ops@example.net",
        "--format",
        "pkcs12",
        "--message",
        "For the new mail relay.",
    ]);
    out.assert_success();
    assert!(
        out.stdout.contains("pkcs12 keystore with the private key"),
        "{out}"
    );
    let mail = sink.message(1);
    assert_eq!(mail["to"], "ops@example.net");
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["ops@example.net"]));
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Certificate for mail.example.com"),
        "{mail:#}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("For the new mail relay."), "{text}");
    assert!(text.contains("password is not in this mail"), "{text}");
    assert!(!sink.raw(1).contains("keystore-secret-7"));
    let (name, kind, p12) = attachment(&mail);
    assert_eq!(name, "mail.example.com.p12");
    assert_eq!(kind, "application/x-pkcs12");
    let pass = format!("file:{}", s(&password));
    let certs = openssl(["pkcs12", "-in", s(&p12), "-passin", &pass, "-nokeys"]);
    assert_eq!(serial_of(&certs), serial.trim_start_matches('0'));
    let keys = openssl([
        "pkcs12",
        "-in",
        s(&p12),
        "-passin",
        &pass,
        "-nocerts",
        "-noenc",
    ]);
    assert!(keys.contains("PRIVATE KEY"), "{keys}");

    // JKS with a password of the sender's choosing.
    let jks_password = write(cd.dir(), "jks-pass", "jks-secret-3\n");
    cd.run([
        "cert",
        "mail",
        &id,
        "--to",
        "java@example.net",
        "--format",
        "jks",
        "--password-file",
        s(&jks_password),
    ])
    .assert_success();
    let (name, kind, jks) = attachment(&sink.message(2));
    assert_eq!(name, "mail.example.com.jks");
    assert_eq!(kind, "application/x-java-keystore");
    let listing = keytool([
        "-list",
        "-keystore",
        s(&jks),
        "-storepass",
        "jks-secret-3",
        "-storetype",
        "JKS",
    ]);
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");

    // PEM: the certificate and its chain, never the key.
    let out = cd.run([
        "cert",
        "mail",
        &id,
        "--to",
        "web@example.net",
        "--format",
        "pem",
    ]);
    out.assert_success();
    assert!(out.stdout.contains("no private key"), "{out}");
    let mail = sink.message(3);
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("It holds no private key"));
    let (name, kind, pem) = attachment(&mail);
    assert_eq!(name, "mail.example.com-chain.pem");
    assert_eq!(kind, "application/x-pem-file");
    let bundle = std::fs::read_to_string(&pem).expect("read pem");
    assert!(!bundle.contains("PRIVATE KEY"), "{bundle}");
    assert!(bundle.matches("BEGIN CERTIFICATE").count() >= 2, "{bundle}");
    assert_eq!(serial_of(&bundle), serial.trim_start_matches('0'));

    // Bad input: a format that would expose the key, a recipient that is no address.
    let out = cd.run([
        "cert",
        "mail",
        &id,
        "--to",
        "x@example.net",
        "--format",
        "key",
    ]);
    out.assert_code(1);
    assert!(out.stderr.contains("cannot be mailed"), "{out}");
    let out = cd.run(["cert", "mail", &id, "--to", "nobody", "--format", "pem"]);
    out.assert_code(1);
    assert!(out.stderr.contains("\"nobody\" is not valid"), "{out}");
    let out = cd.run([
        "cert",
        "mail",
        "nope",
        "--to",
        "x@example.net",
        "--format",
        "pem",
    ]);
    out.assert_code(1);
    assert_eq!(sink.count(), 3);
}

fn notices(now: OffsetDateTime) -> Vec<Notice> {
    vec![
        Notice::Renewed {
            id: "r1".into(),
            names: vec!["a.example.com".into(), "www.a.example.com".into()],
            not_after: now + Duration::days(90),
            through_fallback: None,
        },
        Notice::Failed {
            id: "r2".into(),
            names: vec!["b.example.com".into()],
            reason: "the CA refused: urn:ietf:params:acme:error:rateLimited".into(),
            next_attempt: Some(now + Duration::hours(2)),
        },
        Notice::ExpiringSoon {
            id: "r3".into(),
            names: vec!["c.example.com".into()],
            not_after: now + Duration::days(20),
            tracked: false,
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn notices_go_out_one_by_one_or_as_one_daily_digest() {
    common::require_keychain();
    let sink = SmtpSink::start();
    let dir = TempDir::new("certdesk-mail-engine");
    let engine = Engine::open(dir.path(), certdesk_engine::activity::Face::Cli)
        .await
        .expect("open the data folder");
    let now = OffsetDateTime::now_utc();

    // Without an SMTP server nothing is sent and nothing fails.
    engine
        .notify_mail(&notices(now)[0])
        .await
        .expect("no SMTP: no mail");

    let mut form = SettingsUpdate::from(engine.settings().expect("settings"));
    form.smtp.host = "127.0.0.1".into();
    form.smtp.port = sink.port();
    form.smtp.security = "none".parse().expect("a security");
    form.smtp.from = FROM.into();
    form.smtp.to = TO.into();
    form.smtp.digest = true;
    engine.update_settings(form.clone()).await.expect("save");

    for notice in notices(now) {
        engine.notify_mail(&notice).await.expect("queued");
    }
    assert_eq!(sink.count(), 0, "the digest holds the notices back");
    assert!(engine.digest_due(now).expect("due"));
    let sent = engine
        .send_digest(now)
        .await
        .expect("sent")
        .expect("a digest");
    assert_eq!(sent.to, TO);
    let mail = sink.message(1);
    assert_eq!(sink.count(), 1);
    assert!(
        mail["subject"].as_str().unwrap().ends_with(": 3 notices"),
        "{mail:#}"
    );
    let text = mail["text"].as_str().unwrap();
    for expected in [
        "Renewed a.example.com, www.a.example.com (valid until",
        "Renewal of b.example.com failed",
        "Reason: the CA refused: urn:ietf:params:acme:error:rateLimited",
        "Next attempt:",
        "c.example.com expires on",
        "certdesk cert renew r3",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    // The digest is in the activity log, once, with how many notices it carried.
    let log = engine
        .activity_log(&certdesk_engine::activity::Filter::default())
        .expect("the log");
    let digests: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.action == certdesk_engine::activity::Action::SendDigest)
        .collect();
    assert_eq!(digests.len(), 1, "{:#?}", log.entries);
    assert_eq!(digests[0].subject.target.as_deref(), Some("3 notices"));
    assert!(
        matches!(
            digests[0].outcome,
            certdesk_engine::activity::Outcome::Ok { .. }
        ),
        "{:#?}",
        digests[0]
    );

    // Sent notices are gone; the next digest is due a day after this one.
    assert!(!engine.digest_due(now).expect("due"));
    assert!(engine.send_digest(now).await.expect("nothing").is_none());
    engine.notify_mail(&notices(now)[1]).await.expect("queued");
    assert!(!engine.digest_due(now + Duration::hours(23)).expect("due"));
    assert!(engine.digest_due(now + Duration::hours(24)).expect("due"));

    // Digest off: each notice is its own mail, at once.
    form.smtp.digest = false;
    engine.update_settings(form).await.expect("save");
    engine.notify_mail(&notices(now)[2]).await.expect("sent");
    let mail = sink.message(2);
    assert_eq!(
        mail["subject"].as_str().unwrap(),
        notices(now)[2].headline()
    );
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("Certificate id: r3"));

    // The notice still queued goes out with `certdesk mail digest` (cron's way), once.
    drop(engine);
    let cd = Certdesk::new().with_data_dir(dir.path());
    let out = cd.run(["mail", "digest"]);
    out.assert_success();
    assert!(
        out.stdout.contains("digest sent to admin@example.com"),
        "{out}"
    );
    let mail = sink.message(3);
    assert!(
        mail["subject"].as_str().unwrap().ends_with(": 1 notice"),
        "{mail:#}"
    );
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("Renewal of b.example.com failed"));
    let out = cd.run(["mail", "digest"]);
    out.assert_success();
    assert!(out.stdout.contains("no notices are waiting"), "{out}");
    assert_eq!(sink.count(), 3);
}

#[test]
fn starttls_and_tls_log_in_and_an_untrusted_server_is_refused() {
    for security in [Security::Starttls, Security::Tls] {
        let sink = SmtpSink::start_with(security, Some(("certdesk", "smtp-secret-9")));
        let cd = Certdesk::new().env("SSL_CERT_FILE", sink.ca_path());
        configure(&cd, sink.port(), security);
        let password = write(cd.dir(), "smtp-pass", "smtp-secret-9\n");

        // A user without a password is caught before connecting.
        cd.json(["settings", "set", "smtp.username", "certdesk"]);
        let out = cd.run(["mail", "test"]);
        out.assert_code(1);
        assert!(out.stderr.contains("has no password"), "{out}");

        let shown = cd.json(["settings", "set", "smtp.password-file", s(&password)]);
        assert_eq!(shown["smtp"]["password_set"], true);
        assert!(!shown.to_string().contains("smtp-secret-9"));
        cd.run(["mail", "test"]).assert_success();
        let mail = sink.message(1);
        assert_eq!(mail["tls"], true, "{mail:#}");
        assert_eq!(mail["authenticated_as"], "certdesk", "{mail:#}");

        // The same server without its CA in the trust store.
        let untrusting = Certdesk::new()
            .with_data_dir(cd.data_dir())
            .env_remove("SSL_CERT_FILE");
        let out = untrusting.run(["mail", "test"]);
        out.assert_code(2);
        assert!(out.stderr.contains("certificate is trusted"), "{out}");
        assert_eq!(sink.count(), 1);
    }
}
