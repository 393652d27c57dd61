//! A throw-away Knot DNS (`knotd`) on a free loopback port, the sibling of [`super::bind::Bind`]:
//! primary for the zones a test names, with the least-privilege keys of
//! [`super::dns_zone::RESTRICTED_KEYS`] limited by an acl to TXT at `_acme-challenge.ZONE` (`update-type`,
//! `update-owner`), and [`KEY_NAME`] for the test's own records. Knot is stricter than BIND in
//! two ways certdesk must handle: it finds a TSIG key only by its canonical (lower-case) name, and
//! it answers a key its acl denies with NOTAUTH and an unsigned BADKEY.

use std::ops::Deref;

use super::dns_zone::{Server, Setup};

pub use super::dns_zone::KEY_NAME;

/// The running `knotd`; what tests ask of it is [`Server`]'s.
pub struct Knot(Server);

impl Knot {
    /// Starts `knotd` as primary for `zones`, each with [`super::dns_zone::zone_file`], and waits
    /// until it answers for every zone. Updates live in memory only (no journal, zone files
    /// untouched).
    pub fn start(zones: &[&str]) -> Knot {
        let setup = Setup::new("certdesk-knot", zones);
        let (d, port) = (setup.dir.path().display(), setup.port);
        let keys: String = std::iter::once(&setup.key)
            .chain(&setup.restricted)
            .map(|k| {
                format!(
                    "  - id: {}\n    algorithm: {}\n    secret: {}\n",
                    k.name, k.algorithm, k.secret
                )
            })
            .collect();
        let restricted_names: Vec<&str> = setup.restricted.iter().map(|k| k.name).collect();
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
        Knot(setup.spawn("Knot", "knotd", &["-c"], "knot.conf", &conf, zones))
    }
}

impl Deref for Knot {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.0
    }
}
