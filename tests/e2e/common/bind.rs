//! A throw-away BIND 9 (`named`) on a free loopback port: primary for the zones a test names,
//! each accepting TXT (and, for delegation tests, CNAME) updates signed with one hmac-sha256 TSIG
//! key, and TXT at `_acme-challenge.ZONE` only with the least-privilege keys. Pebble resolves
//! through it (`PebbleBuilder::dns_server`), certdesk's RFC 2136 provider writes to it, and the
//! HTTP fakes of the other providers mirror their records into it with [`Server::nsupdate`].

use std::fs;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use super::dns_zone::{secret_of, Server, Setup, TsigKey};

pub use super::dns_zone::KEY_NAME;

/// More keys with the same grants, for the legacy algorithms: (name, algorithm).
pub const LEGACY_KEYS: [(&str, &str); 2] =
    [("certdesk-sha1", "hmac-sha1"), ("certdesk-md5", "hmac-md5")];

/// The running `named`; what tests ask of it beyond its legacy keys and hook script is
/// [`Server`]'s.
pub struct Bind {
    server: Server,
    legacy: Vec<TsigKey>,
    /// Held while this server answers at [`RESOLVER_IP`].
    resolver: Option<MutexGuard<'static, ()>>,
}

/// The address [`Bind::start_as_resolver`] answers on, port 53 (no other fixture uses it):
/// BIND listens only on an interface's own address, and the zones' `ns` is there already.
pub const RESOLVER_IP: &str = "127.0.0.1";

impl Bind {
    /// Starts `named` as primary for `zones`, each with [`super::dns_zone::zone_file`], and waits
    /// until it answers for every zone.
    pub fn start(zones: &[&str]) -> Bind {
        Bind::start_with(zones, None)
    }

    /// [`Bind::start`], also answering on port 53 of [`RESOLVER_IP`], for a certdesk whose
    /// system resolver it is ([`Bind::resolv_conf`], [`super::Certdesk::resolving_through`]): a
    /// resolver has no port but 53, and the lookups of a request with no DNS account go to the
    /// system's resolvers and the zone's own nameservers. One at a time: the port is fixed.
    pub fn start_as_resolver(zones: &[&str]) -> Bind {
        Bind::start_with(zones, Some(super::exclusive::resolver()))
    }

    fn start_with(zones: &[&str], resolver: Option<MutexGuard<'static, ()>>) -> Bind {
        let setup = Setup::new("certdesk-bind", zones);
        let also = if resolver.is_some() {
            let conf = setup.dir.path().join("resolv.conf");
            fs::write(&conf, format!("nameserver {RESOLVER_IP}\n")).expect("resolv.conf");
            format!("listen-on port 53 {{ {RESOLVER_IP}; }};\n  ")
        } else {
            String::new()
        };
        let (d, port, secret) = (setup.dir.path().display(), setup.port, &setup.key.secret);
        let legacy: Vec<TsigKey> = LEGACY_KEYS
            .iter()
            .map(|(name, alg)| TsigKey::generate(name, alg))
            .collect();
        let mut conf = format!(
            "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  \
             session-keyfile \"{d}/session.key\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
             {also}listen-on-v6 {{ none; }};\n  recursion no;\n  notify no;\n  \
             dnssec-validation no;\n}};\ncontrols {{ }};\n\
             key \"{KEY_NAME}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n"
        );
        // CAA for the CAA tests, which publish their policies with the same key.
        let mut grants = format!(
            "grant {KEY_NAME} zonesub TXT; grant {KEY_NAME} zonesub CNAME; \
             grant {KEY_NAME} zonesub CAA;"
        );
        for k in legacy.iter().chain(&setup.restricted) {
            conf.push_str(&format!(
                "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
                k.name, k.algorithm, k.secret
            ));
        }
        for k in &legacy {
            grants.push_str(&format!(" grant {} zonesub TXT;", k.name));
        }
        for zone in zones {
            // Least privilege: TXT at this one name, as the README recommends.
            let restricted_grants: String = setup
                .restricted
                .iter()
                .map(|k| format!(" grant {} name _acme-challenge.{zone}. TXT;", k.name))
                .collect();
            conf.push_str(&format!(
                "zone \"{zone}\" {{ type primary; file \"{d}/{zone}.zone\"; \
                 update-policy {{ {grants}{restricted_grants} }}; }};\n"
            ));
        }
        let server = setup.spawn(
            "BIND",
            "named",
            &["-g", "-4", "-c"],
            "named.conf",
            &conf,
            zones,
        );
        Bind {
            server,
            legacy,
            resolver,
        }
    }

    /// The `resolv.conf` naming this server, after [`Bind::start_as_resolver`].
    pub fn resolv_conf(&self) -> PathBuf {
        assert!(
            self.resolver.is_some(),
            "started with Bind::start_as_resolver"
        );
        self.server.dir().join("resolv.conf")
    }

    /// The base64 secret of the legacy key `name` (one of [`LEGACY_KEYS`]).
    pub fn legacy_secret(&self, name: &str) -> &str {
        secret_of(&self.legacy, name)
    }

    /// Writes `dir/dns-hook.sh`, an administrator's DNS command (`COMMAND present|cleanup FQDN
    /// VALUE`) that adds or deletes the value here with `nsupdate` and appends `ACTION FQDN` to
    /// `dir/dns-hook.log` for each call; with `fail_with`, it prints that to stderr and exits 3
    /// instead. Returns the script's path.
    pub fn hook_script(&self, dir: &Path, fail_with: Option<&str>) -> String {
        let path = dir.join("dns-hook.sh");
        let body = match fail_with {
            Some(text) => format!("echo '{text}' >&2\nexit 3\n"),
            None => format!(
                "case \"$1\" in\n  present) op=add ;;\n  cleanup) op=delete ;;\n  *) exit 64 ;;\nesac\n\
                 printf 'server 127.0.0.1 {port}\\nkey hmac-sha256:{KEY_NAME} {secret}\\n\
                 update %s %s. 60 TXT \"%s\"\\nsend\\n' \"$op\" \"$2\" \"$3\" | nsupdate\n",
                port = self.port(),
                secret = self.secret(),
            ),
        };
        let log = dir.join("dns-hook.log");
        fs::write(
            &path,
            format!("#!/bin/sh\necho \"$1 $2\" >> '{}'\n{body}", log.display()),
        )
        .expect("write hook");
        super::tool("chmod", ["755", path.to_str().expect("UTF-8")]);
        path.to_str().expect("UTF-8").to_owned()
    }

    /// The calls [`Bind::hook_script`] in `dir` logged, one `ACTION FQDN` each.
    pub fn hook_calls(dir: &Path) -> Vec<String> {
        fs::read_to_string(dir.join("dns-hook.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Deref for Bind {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}
