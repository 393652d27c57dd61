//! The whole life of certificates through the CLI against a real Pebble, checked with the tools
//! administrators use (openssl, keytool).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::ca_proxy::CaProxy;
use crate::common::{
    keytool, openssl, register, register_at, verify_chain, Certdesk, Create, Http01, Pebble,
};
use serde_json::Value;

fn create(cd: &Certdesk, args: &[&str]) -> Value {
    let mut all = vec!["request", "create"];
    all.extend_from_slice(args);
    cd.json(all)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("the result has an id").to_owned()
}

/// Publishes every challenge of `request` as an administrator would: the http-01 file on the
/// web server (here pebble-challtestsrv), or the TXT record in DNS.
fn publish(pebble: &Pebble, request: &Value) {
    for c in request["challenges"].as_array().expect("challenges") {
        match c["type"].as_str() {
            Some("http-01") => pebble.add_http01(
                c["token"].as_str().unwrap(),
                c["key_authorization"].as_str().unwrap(),
            ),
            Some("dns-01") => pebble.set_txt(
                c["record_name"].as_str().unwrap(),
                c["record_value"].as_str().unwrap(),
            ),
            other => panic!("unexpected challenge type {other:?}"),
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn export(cd: &Certdesk, id: &str, format: &str, extra: &[&str]) -> PathBuf {
    let out = cd.dir().join(format!("{id}.{format}"));
    let mut args = vec!["cert", "export", id, "--format", format, "--out"];
    let out_str = out.to_str().unwrap().to_owned();
    args.push(&out_str);
    args.extend_from_slice(extra);
    cd.run(&args).assert_success();
    assert_eq!(
        mode(&out),
        0o600,
        "exported files are private to their owner"
    );
    out
}

/// The SubjectPublicKeyInfo of a certificate or a key, as openssl prints it.
fn cert_pubkey(pem: &Path) -> String {
    openssl(["x509", "-in", pem.to_str().unwrap(), "-noout", "-pubkey"])
}

fn key_pubkey(pem: &Path) -> String {
    openssl(["pkey", "-in", pem.to_str().unwrap(), "-pubout"])
}

#[test]
fn http01_by_hand_then_save_export_every_format_and_verify_the_chain() {
    let pebble = Pebble::builder().http01(Http01::Challtestsrv).start();
    let cd = Certdesk::new();
    let account = register(&cd, &pebble);
    assert_eq!(account["status"], "active");
    assert!(account["url"].as_str().unwrap().contains("/my-account/"));

    let request = create(
        &cd,
        &[
            "--domain",
            "shop.example.com",
            "--domain",
            "www.shop.example.com",
            "--domain",
            "api.example.net",
            "--key",
            "p256",
            "--keystore",
            "pkcs12",
            "--keystore-password-file",
            write(cd.dir(), "ks-pass", "store-secret-1\n")
                .to_str()
                .unwrap(),
            "--challenge",
            "http-01",
        ],
    );
    let id = id_of(&request);
    assert_eq!(request["status"], "pending");
    let challenges = request["challenges"].as_array().unwrap();
    assert_eq!(challenges.len(), 3);
    for c in challenges {
        let token = c["token"].as_str().unwrap();
        assert_eq!(
            c["url"].as_str().unwrap(),
            format!(
                "http://{}/.well-known/acme-challenge/{token}",
                c["domain"].as_str().unwrap()
            )
        );
        assert!(c["key_authorization"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{token}.")));
    }
    // `request show` tells the administrator the same thing later.
    assert_eq!(
        cd.json(["request", "show", &id])["challenges"],
        request["challenges"]
    );

    publish(&pebble, &request);
    let verified = cd.json(["request", "verify", &id]);
    assert_eq!(verified[0]["status"], "available");
    // Saving writes the request's keystore: a PKCS#12 with the request's password.
    let keystore = cd.dir().join("saved.p12");
    let saved = cd.json(["cert", "save", &id, "--out", keystore.to_str().unwrap()]);
    assert_eq!(saved["id"], id.as_str());
    assert_eq!(saved["status"], "valid");
    assert_eq!(mode(&keystore), 0o600);
    openssl([
        "pkcs12",
        "-in",
        keystore.to_str().unwrap(),
        "-passin",
        "pass:store-secret-1",
        "-noout",
    ]);

    let list = cd.json(["cert", "list"]);
    let row = &list.as_array().unwrap()[0];
    assert_eq!(row["id"], id.as_str());
    assert!(row["not_after"].as_str().is_some());
    let serial = row["serial"].as_str().unwrap();
    assert!(
        serial.chars().all(|c| c.is_ascii_hexdigit()),
        "serial is hex: {serial}"
    );

    // PEM bundle: leaf, chain and key; the key belongs to the leaf; the chain verifies to
    // Pebble's root.
    let bundle = export(&cd, &id, "pem", &[]);
    let text = fs::read_to_string(&bundle).unwrap();
    assert!(
        text.matches("BEGIN CERTIFICATE").count() >= 2,
        "leaf and issuer: {text}"
    );
    assert!(text.contains("PRIVATE KEY"));
    assert_eq!(cert_pubkey(&bundle), key_pubkey(&bundle));
    let subject = openssl([
        "x509",
        "-in",
        bundle.to_str().unwrap(),
        "-noout",
        "-subject",
        "-ext",
        "subjectAltName",
    ]);
    assert!(
        subject.contains("CN=shop.example.com") || subject.contains("CN = shop.example.com"),
        "{subject}"
    );
    for name in [
        "shop.example.com",
        "www.shop.example.com",
        "api.example.net",
    ] {
        assert!(
            subject.contains(&format!("DNS:{name}")),
            "{name} in {subject}"
        );
    }
    let root = write(cd.dir(), "pebble-root.pem", &pebble.issuance_root_pem());
    assert_eq!(verify_chain(&bundle, &root), Ok(()));

    // Key alone, DER leaf.
    let key = export(&cd, &id, "key", &[]);
    assert_eq!(key_pubkey(&key), cert_pubkey(&bundle));
    let der = export(&cd, &id, "der", &[]);
    let der_serial = openssl([
        "x509",
        "-inform",
        "DER",
        "-in",
        der.to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    assert_eq!(
        der_serial
            .trim()
            .trim_start_matches("serial=")
            .trim_start_matches('0')
            .to_lowercase(),
        serial.trim_start_matches('0')
    );

    // PKCS#12 with the request's keystore password: OpenSSL 3 without -legacy, and keytool.
    let p12 = export(&cd, &id, "pkcs12", &[]);
    openssl([
        "pkcs12",
        "-in",
        p12.to_str().unwrap(),
        "-passin",
        "pass:store-secret-1",
        "-noout",
    ]);
    let listing = keytool([
        "-list",
        "-keystore",
        p12.to_str().unwrap(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "store-secret-1",
    ]);
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");

    // JKS with a password given at export time.
    let jks_pass = write(cd.dir(), "jks-pass", "jks-secret-22\n");
    let jks = export(
        &cd,
        &id,
        "jks",
        &["--password-file", jks_pass.to_str().unwrap()],
    );
    let listing = keytool([
        "-list",
        "-v",
        "-keystore",
        jks.to_str().unwrap(),
        "-storetype",
        "JKS",
        "-storepass",
        "jks-secret-22",
    ]);
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");
    assert!(listing.contains("Certificate chain length: 2"), "{listing}");
}

#[test]
fn dns01_issues_every_key_type_with_its_signature() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let cases = [
        ("rsa2048", "sha256", "(2048 bit)", "sha256WithRSAEncryption"),
        ("rsa3072", "sha384", "(3072 bit)", "sha384WithRSAEncryption"),
        ("rsa4096", "sha512", "(4096 bit)", "sha512WithRSAEncryption"),
        ("p256", "sha256", "prime256v1", "ecdsa-with-SHA256"),
        ("p384", "sha384", "secp384r1", "ecdsa-with-SHA384"),
    ];
    let mut ids = Vec::new();
    for (i, (key, sig, _, _)) in cases.iter().enumerate() {
        let base = format!("k{i}.example.org");
        let wildcard = format!("*.{base}");
        let request = create(
            &cd,
            &[
                "--domain",
                &base,
                "--domain",
                &wildcard,
                "--domain",
                &format!("mail.{base}"),
                "--key",
                key,
                "--signature",
                sig,
                "--keystore",
                "pem",
                "--challenge",
                "dns-01",
            ],
        );
        for c in request["challenges"].as_array().unwrap() {
            assert_eq!(c["type"], "dns-01");
            let domain = c["domain"].as_str().unwrap().trim_start_matches("*.");
            assert_eq!(
                c["record_name"],
                format!("_acme-challenge.{domain}").as_str()
            );
        }
        publish(&pebble, &request);
        ids.push(id_of(&request));
    }
    // Verify runs the requests concurrently in one call.
    let mut args = vec!["request".to_owned(), "verify".to_owned()];
    args.extend(ids.iter().cloned());
    let results = cd.json(&args);
    for (i, (_, _, key_text, sig_text)) in cases.iter().enumerate() {
        assert_eq!(results[i]["status"], "available", "{}", results[i]);
        cd.json(["cert", "save", &ids[i]]);
        let pem = export(&cd, &ids[i], "pem", &[]);
        let text = openssl(["x509", "-in", pem.to_str().unwrap(), "-noout", "-text"]);
        assert!(text.contains(key_text), "{key_text} in {text}");
        assert!(text.contains(&format!("DNS:*.k{i}.example.org")), "{text}");
        // The CA signs with its own algorithm; our CSR's signature is what we chose.
        let _ = sig_text;
    }
}

#[test]
fn renewal_keeps_or_replaces_the_key_as_the_policy_says() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let mut issued = Vec::new();
    for (policy, name) in [("same", "same.example.com"), ("new", "new.example.com")] {
        let request = create(
            &cd,
            &[
                "--domain",
                name,
                "--key",
                "p256",
                "--keystore",
                "pem",
                "--challenge",
                "http-01",
                "--key-policy",
                policy,
            ],
        );
        let id = id_of(&request);
        cd.json(["request", "verify", "--http-listen", &listen, &id]);
        cd.json(["cert", "save", &id]);
        let before = key_pubkey(&export(&cd, &id, "key", &[]));
        let serial_before = cd.json(["cert", "show", &id])["serial"].clone();
        let renewed = cd.json(["cert", "renew", &id, "--http-listen", &listen]);
        assert_eq!(renewed["status"], "renewed");
        let after = key_pubkey(&export(&cd, &id, "key", &[]));
        let shown = cd.json(["cert", "show", &id]);
        assert_ne!(
            shown["serial"], serial_before,
            "a renewal is a new certificate"
        );
        assert_eq!(shown["versions"], 2);
        let history = cd.json(["cert", "history", &id]);
        assert_eq!(history.as_array().unwrap().len(), 2);
        assert_eq!(history[0]["serial"], serial_before);
        issued.push((policy, before, after));
    }
    let (_, same_before, same_after) = &issued[0];
    assert_eq!(same_before, same_after, "policy same keeps the key");
    let (_, new_before, new_after) = &issued[1];
    assert_ne!(new_before, new_after, "policy new makes a fresh key");
}

#[test]
fn an_imported_key_is_the_certificates_key() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    // An RSA key in the traditional PKCS#1 form, as older tooling writes it.
    let key = cd.dir().join("imported.pem");
    openssl([
        "genrsa",
        "-traditional",
        "-out",
        key.to_str().unwrap(),
        "2048",
    ]);
    assert!(fs::read_to_string(&key)
        .unwrap()
        .contains("BEGIN RSA PRIVATE KEY"));
    let request = create(
        &cd,
        &[
            "--domain",
            "legacy.example.com",
            "--key",
            "rsa2048",
            "--keystore",
            "pem",
            "--challenge",
            "http-01",
            "--key-policy",
            "import",
            "--import-key",
            key.to_str().unwrap(),
        ],
    );
    let id = id_of(&request);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    cd.json(["request", "verify", "--http-listen", &listen, &id]);
    cd.json(["cert", "save", &id]);
    let bundle = export(&cd, &id, "pem", &[]);
    assert_eq!(cert_pubkey(&bundle), key_pubkey(&key));
}

#[test]
fn revoke_reaches_the_ca_and_delete_only_forgets() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let request = create(
        &cd,
        &[
            "--domain",
            "gone.example.com",
            "--key",
            "p384",
            "--keystore",
            "pem",
            "--challenge",
            "http-01",
        ],
    );
    let id = id_of(&request);
    cd.json(["request", "verify", "--http-listen", &listen, &id]);
    let saved = cd.json(["cert", "save", &id]);
    let serial = saved["serial"].as_str().unwrap().to_owned();
    assert_eq!(pebble.cert_status(&serial)["Status"], "Valid");

    let bad = cd.run(["cert", "revoke", &id, "--reason", "because"]);
    bad.assert_code(1);
    assert!(
        bad.stderr.contains("keyCompromise"),
        "the valid reasons are listed: {bad}"
    );

    let revoked = cd.json(["cert", "revoke", &id, "--reason", "keyCompromise"]);
    assert_eq!(revoked["status"], "revoked");
    let status = pebble.cert_status(&serial);
    assert_eq!(status["Status"], "Revoked", "{status}");
    assert_eq!(cd.json(["request", "show", &id])["status"], "revoked");

    let refused = cd.run(["cert", "delete", &id]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("stays valid"), "{refused}");
    let deleted = cd.run(["cert", "delete", "--yes", &id]);
    deleted.assert_success();
    assert!(deleted.stdout.contains("stays valid"), "{deleted}");
    assert_eq!(cd.json(["cert", "list"]), serde_json::json!([]));
    cd.run(["cert", "show", &id]).assert_code(1);
}

#[test]
fn account_life_register_email_export_import_delete_deactivate() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    let ca_root = pebble.ca_root_path().to_str().unwrap().to_owned();
    let dir = pebble.directory_url();

    let terms = cd.json([
        "account",
        "terms",
        "--directory",
        &dir,
        "--ca-root",
        &ca_root,
    ]);
    let tos = terms["terms_of_service"]
        .as_str()
        .expect("Pebble publishes terms")
        .to_owned();
    let refused = cd.run([
        "account",
        "register",
        "--name",
        "a",
        "--email",
        "a@example.com",
        "--directory",
        &dir,
        "--ca-root",
        &ca_root,
    ]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("terms of service") && refused.stderr.contains(&tos),
        "{refused}"
    );

    let account = register(&cd, &pebble);
    let url = account["url"].as_str().unwrap().to_owned();
    let again = cd.run([
        "account",
        "register",
        "--name",
        "other",
        "--email",
        "b@example.com",
        "--agree-tos",
        "--directory",
        &dir,
        "--ca-root",
        &ca_root,
    ]);
    again.assert_code(1);
    assert!(again.stderr.contains("one account per CA"), "{again}");

    let updated = cd.json(["account", "update-email", "ops@example.com"]);
    assert_eq!(updated["email"], "ops@example.com");
    cd.run(["account", "update-email", "not-an-address"])
        .assert_code(1);

    let key = cd.dir().join("account.pem");
    cd.run(["account", "export-key", "--out", key.to_str().unwrap()])
        .assert_success();
    assert_eq!(mode(&key), 0o600);
    let text = openssl(["pkey", "-in", key.to_str().unwrap(), "-noout", "-text"]);
    assert!(
        text.contains("P-256") || text.contains("prime256v1"),
        "{text}"
    );

    let deleted = cd.run(["account", "delete", "--yes"]);
    deleted.assert_success();
    assert!(
        deleted.stdout.contains("stays active at the CA"),
        "{deleted}"
    );
    assert_eq!(cd.json(["account", "show"]), serde_json::json!([]));

    let imported = cd.json([
        "account",
        "import",
        "--name",
        "back",
        "--key",
        key.to_str().unwrap(),
        "--directory",
        &dir,
        "--ca-root",
        &ca_root,
    ]);
    assert_eq!(
        imported["url"],
        url.as_str(),
        "the CA finds the same account by its key"
    );

    cd.run(["account", "deactivate"]).assert_code(1);
    let gone = cd.run(["account", "deactivate", "--yes"]);
    gone.assert_success();
    assert!(gone.stdout.contains("final"), "{gone}");
    let after = cd.run(Create::new(&["x.example.com"], "http-01"));
    after.assert_code(1);
    assert!(after.stderr.contains("deactivated"), "{after}");
}

#[test]
fn a_failed_validation_shows_the_cas_problem_and_a_new_challenge_recovers() {
    let pebble = Pebble::builder().http01(Http01::Challtestsrv).start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let request = create(
        &cd,
        &[
            "--domain",
            "nobody.example.com",
            "--key",
            "p256",
            "--keystore",
            "pem",
            "--challenge",
            "http-01",
        ],
    );
    let id = id_of(&request);
    // Nothing published: Pebble's VA gets a 404 from the web server.
    let failed = cd.run(["request", "verify", &id]);
    failed.assert_code(2);
    assert!(
        failed.stderr.contains("urn:ietf:params:acme:error:"),
        "{failed}"
    );
    assert!(
        failed.stderr.contains("nobody.example.com"),
        "the subproblem names the name: {failed}"
    );
    let shown = cd.json(["request", "show", &id]);
    assert_eq!(shown["status"], "failed");
    assert!(shown["problem"]["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:ietf:params:acme:error:"));
    assert!(
        !shown["problem"]["subproblems"]
            .as_array()
            .unwrap()
            .is_empty()
            || shown["problem"]["detail"].is_string()
    );

    let fresh = cd.json(["request", "new-challenge", &id]);
    assert_eq!(fresh["status"], "pending");
    assert_ne!(
        fresh["challenges"][0]["token"],
        request["challenges"][0]["token"]
    );
    publish(&pebble, &fresh);
    assert_eq!(
        cd.json(["request", "verify", &id])[0]["status"],
        "available"
    );
}

#[test]
fn one_command_issues_and_saves_several_certificates_concurrently() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    // Ten at once: sled 0.34 used to deadlock here when commits overlapped.
    let mut args: Vec<String> = vec!["request".into(), "create".into(), "--each".into()];
    for i in 0..10 {
        args.extend(["--domain".into(), format!("c{i}.example.com")]);
    }
    for a in [
        "--key",
        "p256",
        "--keystore",
        "pem",
        "--challenge",
        "http-01",
        "--save",
    ] {
        args.push(a.into());
    }
    args.extend(["--http-listen".into(), listen.clone()]);
    let results = cd.json(&args);
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 10);
    for r in results {
        assert_eq!(r["status"], "saved", "{r}");
        assert_eq!(r["names"].as_array().unwrap().len(), 1);
    }
    let certs = cd.json(["cert", "list"]);
    assert_eq!(certs.as_array().unwrap().len(), 10);

    // The built-in responder answers http-01 only; dns-01 needs a DNS account.
    let dns = cd.run(Create::new(&["d.example.com"], "dns-01").with(["--http-listen", &listen]));
    dns.assert_code(1);
    assert!(dns.stderr.contains("through a DNS account only"), "{dns}");
}

#[test]
fn a_profile_the_ca_does_not_offer_is_refused_and_recorded() {
    // Pebble 2.10 always lists profiles: the proxy takes them out of its directory.
    let pebble = Pebble::start();
    let proxy = CaProxy::start(&pebble);
    proxy.control(serde_json::json!({ "profiles": false }));
    let cd = Certdesk::new();
    register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
    let out = cd.run(Create::new(&["p.example.com"], "http-01").with(["--profile", "shortlived"]));
    out.assert_code(1);
    assert!(
        out.stderr.contains("offers no certificate profiles"),
        "{out}"
    );
    let requests = cd.json(["request", "list"]);
    let failed = &requests[0];
    assert_eq!(failed["status"], "failed");
    assert!(failed["next_step"]
        .as_str()
        .unwrap()
        .contains("offers no certificate profiles"));
}

#[test]
fn a_ca_that_requires_external_account_binding_gets_it() {
    // The HMAC key as CAs show it: base64url without padding.
    let hmac = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let pebble = Pebble::builder()
        .config("externalAccountBindingRequired", serde_json::json!(true))
        .config(
            "externalAccountMACKeys",
            serde_json::json!({ "kid-1": hmac }),
        )
        .start();
    let cd = Certdesk::new();
    let dir = pebble.directory_url();
    let root = pebble.ca_root_path().to_str().unwrap().to_owned();
    let base = [
        "account",
        "register",
        "--name",
        "eab",
        "--email",
        "admin@example.com",
        "--agree-tos",
        "--directory",
        &dir,
        "--ca-root",
        &root,
    ];
    let without = cd.run(base);
    without.assert_code(1);
    assert!(
        without.stderr.contains("External Account Binding"),
        "{without}"
    );

    let mut wrong = base.to_vec();
    wrong.extend(["--eab-kid", "kid-1", "--eab-hmac", "bm90IHRoZSBrZXk"]);
    let refused = cd.run(&wrong);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("urn:ietf:params:acme:error:"),
        "{refused}"
    );

    let mut right = base.to_vec();
    right.extend(["--eab-kid", "kid-1", "--eab-hmac", hmac]);
    let account = cd.json(&right);
    assert_eq!(account["status"], "active");
}

#[test]
fn a_preferred_chain_picks_the_cas_alternate_chain() {
    let pebble = Pebble::builder().env("PEBBLE_ALTERNATE_ROOTS", "1").start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let alternate_root = pebble
        .management_get("/roots/1")
        .expect("Pebble has a second root");
    let alternate_root = write(cd.dir(), "root1.pem", &alternate_root);
    let default_root = write(cd.dir(), "root0.pem", &pebble.issuance_root_pem());
    let subject = openssl([
        "x509",
        "-in",
        alternate_root.to_str().unwrap(),
        "-noout",
        "-subject",
    ]);
    let cn = subject
        .split("CN")
        .nth(1)
        .unwrap()
        .trim_start_matches([' ', '='])
        .trim()
        .to_owned();

    let mut chains = Vec::new();
    for (name, preferred) in [
        ("default.example.com", None),
        ("alternate.example.com", Some(cn.as_str())),
    ] {
        let args = Create::new(&[name], "http-01")
            .with(["--http-listen", &listen, "--save"])
            .with(
                preferred
                    .map(|cn| ["--preferred-chain", cn])
                    .into_iter()
                    .flatten(),
            );
        let id = id_of(&cd.json(args));
        chains.push(export(&cd, &id, "pem", &[]));
    }
    let verifies = |bundle: &PathBuf, root: &PathBuf| verify_chain(bundle, root).is_ok();
    assert!(
        verifies(&chains[0], &default_root),
        "the default chain leads to root 0"
    );
    assert!(
        verifies(&chains[1], &alternate_root),
        "the preferred chain leads to {cn}"
    );
    assert!(
        !verifies(&chains[1], &default_root),
        "and not to the default root"
    );
}
