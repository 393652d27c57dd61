//! Steps most tests share: registering at the CA, creating and issuing requests, adding DNS
//! accounts, exporting keys.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::certdesk::{Certdesk, Output};
use super::pebble::Pebble;

/// `certdesk --json dns add --provider PROVIDER --name NAME` with `config` written to a file in
/// the CLI's folder, as an administrator would.
pub fn add_dns_account(cd: &Certdesk, provider: &str, name: &str, config: &Value) -> Output {
    let path = cd.dir().join(format!("{name}.json"));
    fs::write(&path, config.to_string()).expect("write the DNS account config");
    cd.run([
        "--json",
        "dns",
        "add",
        "--provider",
        provider,
        "--name",
        name,
        "--config",
        path.to_str().expect("UTF-8 temp path"),
    ])
}

/// `certdesk cert export ID --format key --out PATH`: the private key of the certificate `id`
/// written to `path`.
pub fn export_key(cd: &Certdesk, id: &str, path: &Path) -> Output {
    cd.run([
        "cert",
        "export",
        id,
        "--format",
        "key",
        "--out",
        path.to_str().expect("UTF-8 temp path"),
    ])
}

/// The names, sorted, of the certificate the `request create … --issue` run `out` saved; panics
/// unless it succeeded and saved one.
pub fn saved_cert_names(cd: &Certdesk, out: &Output) -> Vec<String> {
    out.assert_success();
    let request = out.json();
    assert_eq!(request["status"], "saved", "{request:#}");
    let cert = cd.json(["cert", "show", request["id"].as_str().expect("id")]);
    let mut names: Vec<String> = cert["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// The arguments of `certdesk request create` for a test: a P-256 key in a PEM keystore unless
/// told otherwise, the names (the first is the common name) and the challenge type; any other
/// flags with [`Create::with`]. Hand it to [`Certdesk::run`], [`Certdesk::json`] or
/// [`Certdesk::spawn`].
pub struct Create {
    names: Vec<String>,
    challenge: String,
    key: String,
    keystore: String,
    extra: Vec<String>,
}

impl Create {
    pub fn new(names: &[&str], challenge: &str) -> Create {
        Create {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            challenge: challenge.to_owned(),
            key: "p256".to_owned(),
            keystore: "pem".to_owned(),
            extra: Vec::new(),
        }
    }

    pub fn key(mut self, key: &str) -> Create {
        self.key = key.to_owned();
        self
    }

    pub fn keystore(mut self, keystore: &str) -> Create {
        self.keystore = keystore.to_owned();
        self
    }

    /// More flags, e.g. `["--save"]` or `["--dns-account", "bind"]`.
    pub fn with<'a>(mut self, args: impl IntoIterator<Item = &'a str>) -> Create {
        self.extra.extend(args.into_iter().map(str::to_owned));
        self
    }
}

impl IntoIterator for Create {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        let mut args: Vec<String> = ["request", "create", "--key"].map(String::from).to_vec();
        args.extend([self.key, "--keystore".into(), self.keystore]);
        args.extend(["--challenge".into(), self.challenge]);
        for name in self.names {
            args.extend(["--domain".into(), name]);
        }
        args.extend(self.extra);
        args.into_iter()
    }
}

/// `certdesk --json request create` for `names` (P-256, PEM) with the dns-01 challenges
/// published through the DNS account `account`, verified and saved in one go.
pub fn issue_dns(cd: &Certdesk, account: &str, names: &[&str]) -> Output {
    cd.run(Create::new(names, "dns-01").with(["--json", "--dns-account", account, "--save"]))
}

/// Registers the account "pebble" at `pebble` (terms accepted, Pebble's TLS root trusted) and
/// returns it as `account register --json` prints it.
pub fn register(cd: &Certdesk, pebble: &Pebble) -> Value {
    register_as(cd, "pebble", pebble)
}

/// [`register`] at the CA whose directory is `directory`, its HTTPS served under `ca_root`.
pub fn register_at(cd: &Certdesk, directory: &str, ca_root: &str) -> Value {
    cd.json(register_args(directory, ca_root))
}

/// The arguments of `certdesk account register` for the account `pebble` at the CA whose
/// directory is `directory`, its HTTPS served under `ca_root`; for a test that expects a refusal.
pub fn register_args<'a>(directory: &'a str, ca_root: &'a str) -> [&'a str; 11] {
    named_register_args("pebble", directory, ca_root)
}

/// [`register`] as the account `name` (a second CA's, say) at `pebble`.
pub fn register_as(cd: &Certdesk, name: &str, pebble: &Pebble) -> Value {
    let directory = pebble.directory_url();
    let ca_root = pebble.ca_root_path();
    cd.json(named_register_args(
        name,
        &directory,
        ca_root.to_str().expect("UTF-8 temp path"),
    ))
}

fn named_register_args<'a>(name: &'a str, directory: &'a str, ca_root: &'a str) -> [&'a str; 11] {
    [
        "account",
        "register",
        "--name",
        name,
        "--email",
        "admin@example.com",
        "--agree-tos",
        "--directory",
        directory,
        "--ca-root",
        ca_root,
    ]
}

/// `certdesk request create` of a dns-01 request for `names` (P-256, PEM), published by hand
/// until a mapping or a DNS account is set; its id.
pub fn dns_request(cd: &Certdesk, names: &[&str]) -> String {
    cd.json(Create::new(names, "dns-01"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}
