//! What the DNS server fixtures share (BIND in [`super::bind`], Knot DNS in [`super::knot`]): the
//! zone file, the TSIG keys and their grants, and the queries and `nsupdate` calls tests make.

use std::process::Command;

/// The hmac-sha256 TSIG key every zone grants all TXT updates to (the tests' own hand).
pub const KEY_NAME: &str = "certdesk-test";

/// Least-privilege keys, (name, algorithm): each may add and delete TXT at `_acme-challenge.ZONE`
/// and nothing else. Their names are in mixed case, as an administrator may type them: the
/// servers are configured with them as typed, and certdesk must sign them in canonical (lower
/// case) form or Knot does not recognise them.
pub const RESTRICTED_KEYS: [(&str, &str); 2] = [
    ("CertDesk-Net", "hmac-sha256"),
    ("CertDesk-Net-Sha1", "hmac-sha1"),
];

/// A TSIG key the fixture made: its name, algorithm and fresh base64 secret.
pub struct TsigKey {
    pub name: &'static str,
    pub algorithm: &'static str,
    pub secret: String,
}

impl TsigKey {
    /// `name` with a fresh secret for `algorithm` from `tsig-keygen`.
    pub fn generate(name: &'static str, algorithm: &'static str) -> TsigKey {
        let out = super::tool("tsig-keygen", ["-a", algorithm, name]);
        let secret = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("secret \""))
            .and_then(|l| l.strip_suffix("\";"))
            .unwrap_or_else(|| panic!("unexpected tsig-keygen output: {out}"))
            .to_owned();
        TsigKey {
            name,
            algorithm,
            secret,
        }
    }

    /// One fresh key for each of [`RESTRICTED_KEYS`].
    pub fn restricted() -> Vec<TsigKey> {
        RESTRICTED_KEYS
            .iter()
            .map(|(name, algorithm)| TsigKey::generate(name, algorithm))
            .collect()
    }
}

/// The secret of the key `name` among `keys`; panics (a test's mistake) when there is none.
pub fn secret_of<'a>(keys: &'a [TsigKey], name: &str) -> &'a str {
    &keys
        .iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("the fixture has no key {name}"))
        .secret
}

/// The zone file of `zone`: an SOA, `NS ns.ZONE.` and `ns.ZONE. A 127.0.0.1`.
pub fn zone_file(zone: &str) -> String {
    format!(
        "$TTL 60\n@ IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 60\n\
         @ IN NS ns.{zone}.\nns IN A 127.0.0.1\n"
    )
}

/// `dig +short` for `name`/`rtype` at 127.0.0.1:`port`.
pub fn dig(port: u16, name: &str, rtype: &str) -> String {
    let out = Command::new("dig")
        .args(["+short", "+time=2", "+tries=1", "-p"])
        .arg(port.to_string())
        .args(["@127.0.0.1", name, rtype])
        .output()
        .unwrap_or_else(|e| panic!("{}", super::not_found("dig", &e)));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The TXT values at `name` at 127.0.0.1:`port`, unquoted, sorted.
pub fn txt(port: u16, name: &str) -> Vec<String> {
    let mut values: Vec<String> = dig(port, name, "TXT")
        .lines()
        .map(|l| l.trim().trim_matches('"').replace("\" \"", ""))
        .filter(|l| !l.is_empty())
        .collect();
    values.sort();
    values
}

/// Runs `nsupdate` against 127.0.0.1:`port` with `commands`, signed with `key`; panics with its
/// output on failure.
pub fn nsupdate(port: u16, key: &TsigKey, commands: &str) {
    let script = format!(
        "server 127.0.0.1 {port}\nkey {}:{} {}\n{commands}\nsend\n",
        key.algorithm, key.name, key.secret
    );
    super::tool_with_stdin("nsupdate", Vec::<&str>::new(), Some(script.as_bytes()));
}

/// The SOA serial of `zone` at 127.0.0.1:`port`: each accepted update raises it, so an unchanged
/// serial proves that nothing was written.
pub fn serial(port: u16, zone: &str) -> u32 {
    let soa = dig(port, zone, "SOA");
    soa.split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no SOA serial for {zone} in {soa:?}"))
}
