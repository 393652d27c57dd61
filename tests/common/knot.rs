//! A throw-away Knot DNS (`knotd`) on a free loopback port, the sibling of [`super::bind::Bind`]:
//! primary for the zones a test names, with the least-privilege keys of
//! [`super::dns_zone::RESTRICTED_KEYS`] limited by an acl to TXT at `_acme-challenge.ZONE` (`update-type`,
//! `update-owner`), and [`KEY_NAME`] for the test's own records. Knot is stricter than BIND in
//! two ways certdesk must handle: it finds a TSIG key only by its canonical (lower-case) name, and
//! it answers a key its acl denies with NOTAUTH and an unsigned BADKEY.

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::dns_zone::{self, secret_of, TsigKey};
use super::{free_port, kill_and_reap, open_log, read_lossy, tail, wait_until, TempDir};

pub use super::dns_zone::KEY_NAME;

pub struct Knot {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    key: TsigKey,
    restricted: Vec<TsigKey>,
}

impl Knot {
    /// Starts `knotd` as primary for `zones`, each with [`dns_zone::zone_file`], and waits until
    /// it answers for every zone. Updates live in memory only (no journal, zone files untouched).
    pub fn start(zones: &[&str]) -> Knot {
        let dir = TempDir::new("certdesk-knot");
        let port = free_port();
        let key = TsigKey::generate(KEY_NAME, "hmac-sha256");
        let restricted = TsigKey::restricted();
        let d = dir.path().display();
        let keys: String = std::iter::once(&key)
            .chain(&restricted)
            .map(|k| {
                format!(
                    "  - id: {}\n    algorithm: {}\n    secret: {}\n",
                    k.name, k.algorithm, k.secret
                )
            })
            .collect();
        let restricted_names: Vec<&str> = restricted.iter().map(|k| k.name).collect();
        let conf = format!(
            "server:\n  rundir: {d}\n  listen: 127.0.0.1@{port}\n\
             database:\n  storage: {d}/db\n\
             log:\n  - target: stderr\n    any: debug\n\
             key:\n{keys}\
             acl:\n  - id: tests\n    key: {KEY_NAME}\n    action: update\n\
             \x20 - id: acme-challenge\n    key: [{restricted}]\n    action: update\n    \
             update-type: [TXT]\n    update-owner: name\n    update-owner-match: equal\n    \
             update-owner-name: [_acme-challenge]\n\
             template:\n  - id: default\n    storage: {d}\n    zonefile-sync: -1\n    \
             zonefile-load: whole\n    journal-content: none\n    acl: [tests, acme-challenge]\n\
             zone:\n{zones}",
            restricted = restricted_names.join(", "),
            zones = zones
                .iter()
                .map(|z| format!("  - domain: {z}\n"))
                .collect::<String>(),
        );
        for zone in zones {
            fs::write(
                dir.path().join(format!("{zone}.zone")),
                dns_zone::zone_file(zone),
            )
            .expect("write zone file");
        }
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).expect("write knot.conf");
        let (out, err) = open_log(&dir.path().join("knotd.log"));
        let child = Command::new("knotd")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::not_found("knotd", &e)));
        let knot = Knot {
            dir,
            child: Some(child),
            port,
            key,
            restricted,
        };
        for zone in zones {
            wait_until(
                &format!("Knot to serve {zone}"),
                Duration::from_secs(30),
                || knot.dig(zone, "SOA").contains("hostmaster"),
            );
        }
        knot
    }

    /// `127.0.0.1:PORT`, for Pebble's `-dnsserver` and a DNS account's `server`/`nameservers`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The base64 secret of the least-privilege key `name` (one of
    /// [`super::dns_zone::RESTRICTED_KEYS`]).
    pub fn restricted_secret(&self, name: &str) -> &str {
        secret_of(&self.restricted, name)
    }

    /// `dig +short` for `name`/`rtype` at this server.
    pub fn dig(&self, name: &str, rtype: &str) -> String {
        dns_zone::dig(self.port, name, rtype)
    }

    /// The TXT values at `name`, unquoted, sorted.
    pub fn txt(&self, name: &str) -> Vec<String> {
        dns_zone::txt(self.port, name)
    }

    /// The SOA serial of `zone`, raised by every update the server accepts.
    pub fn serial(&self, zone: &str) -> u32 {
        dns_zone::serial(self.port, zone)
    }

    /// Runs `nsupdate` with `commands`, signed with [`KEY_NAME`] (any TXT); panics on failure.
    pub fn nsupdate(&self, commands: &str) {
        dns_zone::nsupdate(self.port, &self.key, commands);
    }

    pub fn log(&self) -> String {
        tail(&read_lossy(&self.dir.path().join("knotd.log")), 60)
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] Knot log:\n{}", self.log());
        }
    }
}
