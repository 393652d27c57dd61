//! Tracked certificates (`certdesk cert import`): files made by `openssl` (a PEM leaf with its
//! chain and key out of order, a DER leaf alone, PKCS#12 in OpenSSL 3's default profile and
//! with `-legacy` RC2) and by `keytool` (a JKS PrivateKeyEntry) are listed and shown as tracked
//! with their names and expiry, export to files `openssl` reads, refuse to renew, are logged,
//! and are replaced with ACME by a request of their names and key type; an unreadable file, a
//! symlink, a wrong password, a file with two leaves and a key that is not the certificate's are
//! refused with their reason, leaving the list as it was.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{ec_csr, keytool, openssl, register, self_signed_ec, Certdesk, Create, Pebble};

const PASSWORD: &str = "import-pass 1";

/// A root, an intermediate and a leaf for `names` (valid 30 days), made by openssl in `dir`:
/// the PEM files `root.pem`, `int.pem`, `leaf.pem` and the leaf's `leaf.key`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(dir: &Path, names: &[&str]) -> Pki {
        Pki::with_leaf_curve(dir, names, "P-256")
    }

    /// As [`Pki::new`], the leaf's key on `curve` (e.g. `P-384`).
    fn with_leaf_curve(dir: &Path, names: &[&str], curve: &str) -> Pki {
        let pki = Pki {
            dir: dir.join("pki"),
        };
        fs::create_dir_all(&pki.dir).expect("pki dir");
        let p = |name: &str| pki.path(name);
        let ca_ext = p("ca.ext");
        fs::write(
            &ca_ext,
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
        )
        .expect("ca.ext");
        let san: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
        let leaf_ext = p("leaf.ext");
        fs::write(&leaf_ext, format!("subjectAltName={}\n", san.join(","))).expect("leaf.ext");
        let (root_key, root) = (p("root.key"), p("root.pem"));
        self_signed_ec(
            "P-256",
            "/CN=Import Test Root",
            365,
            &[],
            root_key.as_ref(),
            root.as_ref(),
        );
        pki.issue(
            "int",
            "/CN=Import Test Intermediate",
            "root",
            &ca_ext,
            365,
            "P-256",
        );
        pki.issue(
            "leaf",
            &format!("/CN={}", names[0]),
            "int",
            &leaf_ext,
            30,
            curve,
        );
        pki
    }

    /// `name.key` (on `curve`) and `name.pem`, for `subject`, signed by `issuer`'s key.
    fn issue(&self, name: &str, subject: &str, issuer: &str, ext: &str, days: u32, curve: &str) {
        let p = |n: &str| self.path(n);
        let (key, csr) = (p(&format!("{name}.key")), p(&format!("{name}.csr")));
        ec_csr(curve, subject, &[], key.as_ref(), csr.as_ref());
        openssl([
            "x509",
            "-req",
            "-in",
            &p(&format!("{name}.csr")),
            "-CA",
            &p(&format!("{issuer}.pem")),
            "-CAkey",
            &p(&format!("{issuer}.key")),
            "-set_serial",
            &format!("0x{:x}", days * 1000 + name.len() as u32),
            "-days",
            &days.to_string(),
            "-extfile",
            ext,
            "-out",
            &p(&format!("{name}.pem")),
        ]);
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("UTF-8").to_owned()
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).expect("pki file")
    }

    /// A file of the given parts, concatenated.
    fn file(&self, name: &str, parts: &[&str]) -> String {
        let text: String = parts.iter().map(|part| self.read(part)).collect();
        fs::write(self.path(name), text).expect("write");
        self.path(name)
    }

    /// A PKCS#12 of the leaf, its key and chain (`extra`: e.g. `-legacy`).
    fn pkcs12(&self, name: &str, extra: &[&str]) -> String {
        let chain = self.file("chain.pem", &["int.pem", "root.pem"]);
        let mut args = vec![
            "pkcs12".to_owned(),
            "-export".to_owned(),
            "-in".to_owned(),
            self.path("leaf.pem"),
            "-inkey".to_owned(),
            self.path("leaf.key"),
            "-certfile".to_owned(),
            chain,
            "-passout".to_owned(),
            format!("pass:{PASSWORD}"),
            "-out".to_owned(),
            self.path(name),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        openssl(args);
        self.path(name)
    }
}

/// The password file `cert import --password-file` reads.
fn password_file(cd: &Certdesk, password: &str) -> String {
    let path = cd.dir().join(format!("password-{}", password.len()));
    fs::write(&path, format!("{password}\n")).expect("password file");
    path.to_str().expect("UTF-8").to_owned()
}

/// Imports `file` and returns the tracked certificate as `cert show --json` shows it.
fn imported(cd: &Certdesk, args: &[&str]) -> Value {
    let mut command = vec!["cert", "import"];
    command.extend_from_slice(args);
    let id = cd.json(&command)["id"].as_str().expect("an id").to_owned();
    cd.json(["cert", "show", &id])
}

fn id(cert: &Value) -> &str {
    cert["id"].as_str().expect("id")
}

/// Exports `cert` as `format` and returns the file's path.
fn exported(cd: &Certdesk, cert: &Value, format: &str) -> String {
    let out = cd.dir().join(format!("{}.{format}", id(cert)));
    let out = out.to_str().expect("UTF-8").to_owned();
    cd.run([
        "cert",
        "export",
        id(cert),
        "--format",
        format,
        "--out",
        &out,
    ])
    .assert_success();
    out
}

fn assert_tracked(cert: &Value, names: &[&str], private_key: bool) {
    assert_eq!(cert["names"], serde_json::json!(names), "{cert}");
    assert_eq!(cert["origin"]["kind"], "tracked", "{cert}");
    assert_eq!(cert["private_key"], private_key, "{cert}");
    assert_eq!(cert["status"], "valid", "{cert}");
    let days = cert["days_left"].as_i64().expect("days_left");
    assert!((29..=30).contains(&days), "{cert}");
}

#[test]
fn a_pem_leaf_with_its_chain_and_key_is_tracked_exported_and_not_renewed() {
    let cd = Certdesk::new();
    let pki = Pki::new(cd.dir(), &["pem.example.com", "www.pem.example.com"]);
    // Out of order: the leaf is found as the one that issued no other.
    let file = pki.file(
        "bundle.pem",
        &["int.pem", "leaf.key", "root.pem", "leaf.pem"],
    );
    let cert = imported(&cd, &[&file, "--name", "Web front"]);
    assert_tracked(&cert, &["pem.example.com", "www.pem.example.com"], true);
    assert_eq!(cert["origin"]["label"], "Web front");
    assert_eq!(cert["origin"]["format"], "pem");

    let shown = cd.run(["cert", "show", id(&cert)]);
    assert!(
        shown
            .assert_success()
            .stdout
            .contains("tracked: not renewed by certdesk (Web front)"),
        "{shown}"
    );
    let listed = cd.run(["cert", "list"]);
    assert!(
        listed
            .assert_success()
            .stdout
            .contains("tracked: not renewed by certdesk"),
        "{listed}"
    );

    let pem = exported(&cd, &cert, "pem");
    let subject = openssl(["x509", "-noout", "-subject", "-in", &pem]);
    assert!(subject.contains("CN = pem.example.com"), "{subject}");
    let text = fs::read_to_string(&pem).expect("export");
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");
    let from_cert = openssl(["x509", "-noout", "-pubkey", "-in", &pem]);
    let from_key = openssl(["pkey", "-pubout", "-in", &pem]);
    assert_eq!(
        from_cert, from_key,
        "the sealed key came back with its certificate"
    );

    let renew = cd.run(["cert", "renew", id(&cert)]);
    renew.assert_failure();
    assert!(
        renew
            .stderr
            .contains("is tracked: certdesk did not issue it"),
        "{renew}"
    );
    let revoke = cd.run(["cert", "revoke", id(&cert)]);
    assert!(
        revoke.assert_failure().stderr.contains("is tracked"),
        "{revoke}"
    );

    let log = cd.json(["log"]);
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["outcome"]["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(actions[0], ("import_certificate", "ok"), "{log}");
    assert!(actions.contains(&("renew", "failed")), "{log}");
}

#[test]
fn a_der_leaf_alone_is_tracked_without_a_key() {
    let cd = Certdesk::new();
    let pki = Pki::new(cd.dir(), &["der.example.com"]);
    let der = pki.path("leaf.der");
    openssl([
        "x509",
        "-in",
        &pki.path("leaf.pem"),
        "-outform",
        "DER",
        "-out",
        &der,
    ]);
    let cert = imported(&cd, &[&der]);
    assert_tracked(&cert, &["der.example.com"], false);
    assert_eq!(cert["origin"]["format"], "der");

    let back = exported(&cd, &cert, "der");
    assert_eq!(fs::read(&back).expect("der"), fs::read(&der).expect("der"));
    let pem = exported(&cd, &cert, "pem");
    let subject = openssl(["x509", "-noout", "-subject", "-in", &pem]);
    assert!(subject.contains("CN = der.example.com"), "{subject}");
    let out = cd.dir().join("x.p12");
    let refused = cd.run([
        "cert",
        "export",
        id(&cert),
        "--format",
        "pkcs12",
        "--out",
        out.to_str().expect("UTF-8"),
        "--password-file",
        &password_file(&cd, PASSWORD),
    ]);
    assert!(
        refused
            .assert_failure()
            .stderr
            .contains("without its private key"),
        "{refused}"
    );
}

#[test]
fn pkcs12_files_of_openssl_3_and_legacy_rc2_are_tracked_with_their_key() {
    let cd = Certdesk::new();
    let pki = Pki::new(cd.dir(), &["p12.example.com"]);
    let modern = pki.pkcs12("modern.p12", &[]);
    let legacy = pki.pkcs12("legacy.p12", &["-legacy"]);
    // openssl says what a PKCS#12 file is made of on stderr.
    let info = std::process::Command::new("openssl")
        .args(["pkcs12", "-info", "-noout", "-legacy", "-passin"])
        .arg(format!("pass:{PASSWORD}"))
        .arg("-in")
        .arg(&legacy)
        .output()
        .expect("openssl runs");
    let info = String::from_utf8_lossy(&info.stderr);
    assert!(info.contains("40BitRC2-CBC"), "a legacy file: {info}");
    let password = password_file(&cd, PASSWORD);
    for file in [&modern, &legacy] {
        let cert = imported(&cd, &[file, "--password-file", &password]);
        assert_tracked(&cert, &["p12.example.com"], true);
        assert_eq!(cert["origin"]["format"], "pkcs12");
        let pem = exported(&cd, &cert, "pem");
        let text = fs::read_to_string(&pem).expect("export");
        assert_eq!(
            text.matches("BEGIN CERTIFICATE").count(),
            3,
            "{file}: {text}"
        );
        let from_cert = openssl(["x509", "-noout", "-pubkey", "-in", &pem]);
        let from_key = openssl(["pkey", "-pubout", "-in", &pem]);
        assert_eq!(from_cert, from_key, "{file}");
    }
    assert_eq!(cd.json(["cert", "list"]).as_array().map(Vec::len), Some(2));
}

#[test]
fn a_keytool_jks_private_key_entry_is_tracked() {
    let cd = Certdesk::new();
    let jks = cd.dir().join("server.jks");
    let jks = jks.to_str().expect("UTF-8");
    keytool([
        "-genkeypair",
        "-noprompt",
        "-storetype",
        "JKS",
        "-keystore",
        jks,
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD,
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=jks.example.com",
        "-ext",
        "SAN=dns:jks.example.com",
        "-validity",
        "30",
    ]);
    let cert = imported(
        &cd,
        &[jks, "--password-file", &password_file(&cd, PASSWORD)],
    );
    assert_tracked(&cert, &["jks.example.com"], true);
    assert_eq!(cert["origin"]["format"], "jks");
    let pem = exported(&cd, &cert, "pem");
    let subject = openssl(["x509", "-noout", "-subject", "-in", &pem]);
    assert!(subject.contains("CN = jks.example.com"), "{subject}");
    let from_cert = openssl(["x509", "-noout", "-pubkey", "-in", &pem]);
    let from_key = openssl(["pkey", "-pubout", "-in", &pem]);
    assert_eq!(from_cert, from_key);
}

#[test]
fn a_tracked_certificate_is_replaced_with_acme_by_a_request_of_its_names_and_key() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let names = ["replace.example.com", "www.replace.example.com"];
    let pki = Pki::with_leaf_curve(cd.dir(), &names, "P-384");
    let cert = imported(&cd, &[&pki.file("leaf-only.pem", &["leaf.pem"])]);
    assert_eq!(cert["key_type"], "ECDSA P-384", "{cert}");
    let command = format!("certdesk request create --from-cert {}", id(&cert));
    let shown = cd.run(["cert", "show", id(&cert)]);
    assert!(shown.assert_success().stdout.contains(&command), "{shown}");
    let renew = cd.run(["cert", "renew", id(&cert)]);
    assert!(renew.assert_failure().stderr.contains(&command), "{renew}");

    let replace = |id: &str| {
        cd.run([
            "--json",
            "request",
            "create",
            "--from-cert",
            id,
            "--keystore",
            "pem",
            "--challenge",
            "dns-01",
        ])
    };
    let request = replace(id(&cert));
    let request = request.assert_success().json();
    assert_eq!(request["names"], serde_json::json!(names), "{request}");
    assert_eq!(request["key"], "p384", "{request}");
    assert_eq!(request["status"], "pending", "{request}");
    let shown = cd.json(["request", "show", request["id"].as_str().expect("id")]);
    assert_eq!(shown["names"], serde_json::json!(names), "{shown}");

    // A key certdesk does not issue for (P-521) proposes P-256 and says so; an IP SAN is kept.
    let (key, leaf) = (pki.path("p521.key"), pki.path("p521.pem"));
    let ip_san = ["-addext", "subjectAltName=IP:127.0.0.1"];
    let subject = "/CN=p521.replace.example.com";
    self_signed_ec("P-521", subject, 2, &ip_san, key.as_ref(), leaf.as_ref());
    let p521 = imported(&cd, &[&leaf]);
    let out = cd.run([
        "--json",
        "request",
        "create",
        "--from-cert",
        id(&p521),
        "--keystore",
        "pem",
        "--challenge",
        "http-01",
    ]);
    let request = out.assert_success().json();
    assert_eq!(
        request["names"],
        serde_json::json!(["127.0.0.1", "p521.replace.example.com"]),
        "{request}"
    );
    assert_eq!(request["key"], "p256", "{request}");
    assert!(
        out.stderr
            .contains("is not one certdesk issues for; ECDSA P-256 is proposed instead"),
        "{out}"
    );

    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let issued = cd.json(
        Create::new(&["issued.replace.example.com"], "http-01").with([
            "--http-listen",
            &listen,
            "--save",
        ]),
    );
    let issued_id = issued["id"].as_str().expect("id");
    let refused = replace(issued_id);
    assert!(
        refused.assert_failure().stderr.contains(&format!(
            "certificate {issued_id} was issued by certdesk: renew it instead \
             (certdesk cert renew {issued_id})"
        )),
        "{refused}"
    );

    // The inventory: the three (the P-521 one too), in one CSV, each with its origin.
    let csv = cd.run(["cert", "list", "--csv"]);
    let csv = &csv.assert_success().stdout;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some(
            r#""id","names","origin","label","status","not_before","not_after","days_left","issuer","key_type","serial","sha256_fingerprint","versions","private_key""#
        ),
        "{csv}"
    );
    let row_of = |id: &str| {
        let row = csv
            .lines()
            .find(|r| r.starts_with(&format!("\"{id}\",")))
            .unwrap_or_else(|| panic!("no row of {id}:\n{csv}"));
        row.to_owned()
    };
    let tracked = row_of(id(&cert));
    assert!(
        tracked.contains(r#""replace.example.com www.replace.example.com","tracked","","valid""#)
            && tracked.contains(r#""ECDSA P-384""#),
        "{tracked}"
    );
    let issued = row_of(issued_id);
    assert!(
        issued.contains(r#""issued.replace.example.com","issued","","valid""#)
            && issued.ends_with(r#""1","true""#),
        "{issued}"
    );
    assert_eq!(rows.count(), 3, "{csv}");
}

#[test]
fn bad_files_are_refused_with_their_reason_and_nothing_is_imported() {
    let cd = Certdesk::new();
    let pki = Pki::new(cd.dir(), &["bad.example.com"]);
    let other = Pki::new(&cd.dir().join("other"), &["other.example.com"]);
    let two_leaves = pki.path("two-leaves.pem");
    fs::write(
        &two_leaves,
        format!("{}{}", pki.read("leaf.pem"), other.read("leaf.pem")),
    )
    .expect("write");
    let foreign_key = pki.path("foreign-key.pem");
    fs::write(
        &foreign_key,
        format!("{}{}", pki.read("leaf.pem"), other.read("leaf.key")),
    )
    .expect("write");
    let link = cd.dir().join("link.pem");
    std::os::unix::fs::symlink(pki.path("leaf.pem"), &link).expect("symlink");
    let p12 = pki.pkcs12("bad.p12", &[]);
    let wrong = password_file(&cd, "not the password");
    let missing = cd.dir().join("missing.pem");
    let junk = cd.dir().join("junk.bin");
    fs::write(&junk, b"certainly not a certificate").expect("write");

    let before = cd.json(["cert", "list"]);
    let cases: [(Vec<&str>, &str); 8] = [
        (vec![missing.to_str().expect("UTF-8")], "missing.pem"),
        (vec![link.to_str().expect("UTF-8")], "is a symbolic link"),
        (vec![pki.dir.to_str().expect("UTF-8")], "not a regular file"),
        (vec![junk.to_str().expect("UTF-8")], "is not a certificate"),
        (
            vec![&two_leaves],
            "holds 2 certificates that are not the issuer of another",
        ),
        (vec![&foreign_key], "does not belong to its certificate"),
        (vec![&p12, "--password-file", &wrong], "wrong password"),
        (vec![&p12], "give its password"),
    ];
    for (args, message) in cases {
        let mut command = vec!["cert", "import"];
        command.extend_from_slice(&args);
        let out = cd.run(&command);
        out.assert_failure();
        assert!(out.stderr.contains(message), "{message}:\n{out}");
    }
    assert_eq!(cd.json(["cert", "list"]), before, "nothing was imported");
    let log = cd.json(["log"]);
    let refused = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["action"] == "import_certificate" && e["outcome"]["status"] == "failed")
        .count();
    assert_eq!(refused, 8, "each refusal is logged: {log}");
}
