//! Every input rule, as the administrator meets it on the command line: exit code 1 and a
//! message that says what is wrong and what to do. Most of these need no CA: input is checked
//! before anything goes on the network.

use crate::common;

use crate::common::{Certdesk, Output};

/// `request create` with `names` and otherwise valid settings.
fn create(cd: &Certdesk, names: &[&str], rest: &[&str]) -> Output {
    // `--domain=NAME`, so that a name starting with '-' stays a value.
    let mut args: Vec<String> = vec!["request".into(), "create".into()];
    args.extend(names.iter().map(|n| format!("--domain={n}")));
    args.extend(rest.iter().map(|s| s.to_string()));
    cd.run(args)
}

const HTTP: &[&str] = &[
    "--key",
    "p256",
    "--keystore",
    "pem",
    "--challenge",
    "http-01",
];
const DNS: &[&str] = &[
    "--key",
    "p256",
    "--keystore",
    "pem",
    "--challenge",
    "dns-01",
];

/// Names that pass every rule reach the next check: here, that no account exists yet.
fn assert_names_accepted(out: &Output) {
    out.assert_code(1);
    assert!(
        out.stderr.contains("there is no ACME account yet"),
        "the names should have been accepted:\n{out}"
    );
}

fn assert_rejected(out: &Output, parts: &[&str]) {
    out.assert_code(1);
    for p in parts {
        assert!(out.stderr.contains(p), "expected {p:?} in:\n{out}");
    }
}

#[test]
fn every_rejected_name_is_listed_with_its_reason() {
    let cd = Certdesk::new();
    let out = create(
        &cd,
        &[
            "ok.example.com",
            "foo_bar.example.com",
            "10.0.0.1",
            "localhost",
            "intranet",
            "printer.local",
            "db.internal",
            "web.test",
            "co.uk",
            "shop.notarealtld",
            "-bad.example.com",
        ],
        HTTP,
    );
    assert_rejected(
        &out,
        &[
            "10 names were rejected",
            "foo_bar.example.com: label \"foo_bar\" has a character that is not allowed",
            "10.0.0.1: IP addresses cannot be in a certificate",
            "localhost:",
            "intranet: \"intranet\" is a single label",
            "printer.local:",
            "db.internal:",
            "web.test:",
            "co.uk: \"co.uk\" is a public suffix",
            "shop.notarealtld:",
            "-bad.example.com:",
        ],
    );
    assert!(
        !out.stderr.contains("ok.example.com:"),
        "a good name is not listed:\n{out}"
    );
}

#[test]
fn wildcards_need_dns01() {
    let cd = Certdesk::new();
    assert_rejected(
        &create(&cd, &["*.example.com"], HTTP),
        &["*.example.com: wildcards need the dns-01 challenge"],
    );
    assert_names_accepted(&create(&cd, &["example.com", "*.example.com"], DNS));
    assert_rejected(
        &create(&cd, &["a.*.example.com"], DNS),
        &["a.*.example.com:"],
    );
    assert_rejected(&create(&cd, &["*.com"], DNS), &["*.com:"]);
}

#[test]
fn names_are_lower_cased_and_idn_becomes_punycode_before_duplicates_are_found() {
    let cd = Certdesk::new();
    assert_rejected(
        &create(&cd, &["Shop.Example.COM", "shop.example.com."], HTTP),
        &["shop.example.com.: is the same name as entry 1"],
    );
    assert_rejected(
        &create(&cd, &["münchen.de", "xn--mnchen-3ya.de"], HTTP),
        &["xn--mnchen-3ya.de: is the same name as entry 1"],
    );
    assert_names_accepted(&create(&cd, &["bücher.example.com"], HTTP));
}

#[test]
fn one_to_a_hundred_names() {
    let cd = Certdesk::new();
    let many: Vec<String> = (0..101).map(|i| format!("n{i}.example.com")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_rejected(&create(&cd, &refs, HTTP), &["101", "100"]);
    assert_names_accepted(&create(&cd, &refs[..100], HTTP));
    // No --domain at all is a usage error.
    create(&cd, &[], HTTP).assert_code(1);
}

#[test]
fn names_and_label_lengths() {
    let cd = Certdesk::new();
    let label = "a".repeat(64);
    assert_rejected(
        &create(&cd, &[&format!("{label}.example.com")], HTTP),
        &["63"],
    );
    // A first name longer than 64 characters cannot be the common name.
    let long = format!("{}.{}.example.com", "b".repeat(40), "c".repeat(40));
    assert_rejected(&create(&cd, &[&long], HTTP), &["64"]);
}

#[test]
fn key_signature_keystore_and_password_rules() {
    let cd = Certdesk::new();
    let name = ["key.example.com"];
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "rsa1024",
                "--keystore",
                "pem",
                "--challenge",
                "http-01",
            ],
        ),
        &["rsa2048, rsa3072, rsa4096, p256, p384"],
    );
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--signature",
                "sha512",
                "--keystore",
                "pem",
                "--challenge",
                "http-01",
            ],
        ),
        &["P-256", "sha256"],
    );
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--keystore",
                "pkcs12",
                "--challenge",
                "http-01",
            ],
        ),
        &["needs a password"],
    );
    let short = cd.dir().join("short");
    std::fs::write(&short, "abc\n").unwrap();
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--keystore",
                "jks",
                "--keystore-password-file",
                short.to_str().unwrap(),
                "--challenge",
                "http-01",
            ],
        ),
        &["too short", "6"],
    );
    let good = cd.dir().join("good");
    std::fs::write(&good, "long-enough\n").unwrap();
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--keystore",
                "pem",
                "--keystore-password-file",
                good.to_str().unwrap(),
                "--challenge",
                "http-01",
            ],
        ),
        &["PEM keystore has no password"],
    );
    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--keystore",
                "pem",
                "--challenge",
                "http-02",
            ],
        ),
        &["http-02"],
    );
}

#[test]
fn imported_keys_are_checked_for_algorithm_and_size() {
    let cd = Certdesk::new();
    let name = ["key.example.com"];
    let small = cd.dir().join("rsa1024.pem");
    common::openssl(["genrsa", "-out", small.to_str().unwrap(), "1024"]);
    let base = [
        "--keystore",
        "pem",
        "--challenge",
        "http-01",
        "--key-policy",
        "import",
        "--import-key",
    ];
    let mut args = vec!["--key", "rsa2048"];
    args.extend_from_slice(&base);
    args.push(small.to_str().unwrap());
    assert_rejected(&create(&cd, &name, &args), &["1024", "2048"]);

    let ec = cd.dir().join("p384.pem");
    common::openssl([
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        ec.to_str().unwrap(),
    ]);
    let mut args = vec!["--key", "p256"];
    args.extend_from_slice(&base);
    args.push(ec.to_str().unwrap());
    assert_rejected(&create(&cd, &name, &args), &["ECDSA P-384", "--key p384"]);

    let junk = cd.dir().join("junk.pem");
    std::fs::write(&junk, "not a key").unwrap();
    let mut args = vec!["--key", "p256"];
    args.extend_from_slice(&base);
    args.push(junk.to_str().unwrap());
    assert_rejected(&create(&cd, &name, &args), &["PEM"]);

    assert_rejected(
        &create(
            &cd,
            &name,
            &[
                "--key",
                "p256",
                "--keystore",
                "pem",
                "--challenge",
                "http-01",
                "--key-policy",
                "import",
            ],
        ),
        &["--import-key"],
    );
}

#[test]
fn account_inputs() {
    let cd = Certdesk::new();
    let register = |extra: &[&str]| {
        let mut args = vec!["account", "register", "--name", "main", "--agree-tos"];
        args.extend_from_slice(extra);
        cd.run(args)
    };
    assert_rejected(
        &register(&[
            "--email",
            "a@example.com",
            "--directory",
            "http://acme.example.com/dir",
        ]),
        &["must start with https://"],
    );
    assert_rejected(
        &register(&["--email", "a@example.com", "--directory", "not a url"]),
        &["not a URL"],
    );
    assert_rejected(
        &register(&["--email", "a@example.com", "--staging", "--production"]),
        &["choose exactly one CA"],
    );
    assert_rejected(
        &register(&[
            "--email",
            "no-at-sign",
            "--directory",
            "https://acme.example.com/dir",
        ]),
        &["e-mail address", "'@'"],
    );
    assert_rejected(
        &register(&[
            "--email",
            "a@example.com",
            "--directory",
            "https://acme.example.com/dir",
            "--eab-kid",
            "kid",
        ]),
        &["--eab-hmac"],
    );
    let bad_root = cd.dir().join("root.pem");
    std::fs::write(&bad_root, "hello").unwrap();
    assert_rejected(
        &register(&[
            "--email",
            "a@example.com",
            "--directory",
            "https://acme.example.com/dir",
            "--ca-root",
            bad_root.to_str().unwrap(),
        ]),
        &["root"],
    );
    let mut bad_name = cd.run([
        "account",
        "register",
        "--name",
        "has space",
        "--email",
        "a@example.com",
        "--agree-tos",
        "--staging",
    ]);
    assert_rejected(&bad_name, &["account name"]);
    bad_name = cd.run(["account", "show", "--account", "nobody"]);
    assert_rejected(&bad_name, &["no account named \"nobody\""]);
}

#[test]
fn unknown_ids_say_where_to_look() {
    let cd = Certdesk::new();
    assert_rejected(
        &cd.run(["request", "show", "nope"]),
        &["no request named \"nope\"", "request list"],
    );
    assert_rejected(
        &cd.run(["cert", "show", "nope"]),
        &["no certificate named \"nope\"", "cert list"],
    );
}
