//! Secrets never reach the data folder in clear: not the account key, not a certificate's key,
//! not a keystore password — neither as PEM nor as raw bytes, hex or base64.

use crate::common;

use std::fs;
use std::path::Path;

use crate::common::{openssl, register, Certdesk, Create, Pebble};

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The DER inside a PEM file.
fn pem_der(path: &Path) -> Vec<u8> {
    let der = path.with_extension("der");
    openssl([
        "pkey",
        "-in",
        path.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ]);
    fs::read(der).unwrap()
}

/// The private scalar of an EC key or the private exponent of an RSA key, as openssl prints it.
fn private_component(path: &Path) -> Vec<u8> {
    let text = openssl(["pkey", "-in", path.to_str().unwrap(), "-noout", "-text"]);
    let start = text
        .find("priv:")
        .or_else(|| text.find("privateExponent:"))
        .expect("openssl shows the private part");
    let rest = &text[start..];
    let rest = &rest[rest.find('\n').unwrap() + 1..];
    let digits: String = rest
        .lines()
        .take_while(|l| l.starts_with("    "))
        .flat_map(|l| l.trim().split(':'))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .concat();
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect();
    // Drop a leading zero byte openssl adds to keep the number positive.
    bytes.into_iter().skip_while(|b| *b == 0).collect()
}

#[test]
fn the_data_folder_holds_no_private_key_material_or_password() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let password = "Sesame-Open-4711";
    let password_file = cd.dir().join("pw");
    fs::write(&password_file, format!("{password}\n")).unwrap();
    let imported = cd.dir().join("imported.pem");
    openssl([
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        imported.to_str().unwrap(),
    ]);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let mut keys = vec![imported.clone()];
    for (name, key, extra) in [
        (
            "rsa.example.com",
            "rsa2048",
            vec![
                "--key-policy",
                "import",
                "--import-key",
                imported.to_str().unwrap(),
            ],
        ),
        ("ec.example.com", "p384", vec![]),
    ] {
        let args = Create::new(&[name], "http-01")
            .key(key)
            .keystore("pkcs12")
            .with(["--keystore-password-file", password_file.to_str().unwrap()])
            .with(extra);
        let id = cd.json(args)["id"].as_str().unwrap().to_owned();
        cd.json(["request", "verify", "--http-listen", &listen, &id]);
        cd.json(["cert", "save", &id]);
        let key = cd.dir().join(format!("{name}.key.pem"));
        common::export_key(&cd, &id, &key).assert_success();
        keys.push(key);
    }
    let account_key = cd.dir().join("account.pem");
    cd.run([
        "account",
        "export-key",
        "--out",
        account_key.to_str().unwrap(),
    ])
    .assert_success();
    keys.push(account_key);

    let mut files = Vec::new();
    all_files(cd.data_dir(), &mut files);
    assert!(!files.is_empty());
    let data: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| (f.display().to_string(), fs::read(f).unwrap()))
        .collect();
    for (file, bytes) in &data {
        assert!(
            !contains(bytes, b"PRIVATE KEY"),
            "{file} holds a PEM private key"
        );
        assert!(
            !contains(bytes, password.as_bytes()),
            "{file} holds the keystore password"
        );
    }
    for key in &keys {
        let der = pem_der(key);
        let private = private_component(key);
        assert!(
            private.len() >= 32,
            "{}: {} bytes",
            key.display(),
            private.len()
        );
        let pem_body: String = fs::read_to_string(key)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        for (file, bytes) in &data {
            assert!(
                !contains(bytes, &der),
                "{file} holds {} as DER",
                key.display()
            );
            assert!(
                !contains(bytes, &private),
                "{file} holds {}'s private part",
                key.display()
            );
            assert!(
                !contains(bytes, hex(&private).as_bytes()),
                "{file} holds it as hex"
            );
            assert!(
                !contains(bytes, &pem_body.as_bytes()[..48]),
                "{file} holds it as base64"
            );
        }
    }
}
