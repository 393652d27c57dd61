//! A throw-away BIND 9 (`named`) on a free loopback port: primary for the zones a test names,
//! each accepting TXT (and, for delegation tests, CNAME) updates signed with one hmac-sha256 TSIG
//! key, and TXT at `_acme-challenge.ZONE` only with the least-privilege keys. Pebble resolves
//! through it (`PebbleBuilder::dns_server`), certdesk's RFC 2136 provider writes to it, and the
//! HTTP fakes of the other providers mirror their records into it with [`Bind::nsupdate`].

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::dns_zone::{self, secret_of, TsigKey};
use super::{free_port, kill_and_reap, open_log, read_lossy, tail, wait_until, TempDir};

pub use super::dns_zone::KEY_NAME;

/// More keys with the same grants, for the legacy algorithms: (name, algorithm).
pub const LEGACY_KEYS: [(&str, &str); 2] =
    [("certdesk-sha1", "hmac-sha1"), ("certdesk-md5", "hmac-md5")];

pub struct Bind {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    key: TsigKey,
    legacy: Vec<TsigKey>,
    restricted: Vec<TsigKey>,
}

impl Bind {
    /// Starts `named` as primary for `zones`, each with [`dns_zone::zone_file`], and waits until
    /// it answers for every zone.
    pub fn start(zones: &[&str]) -> Bind {
        let dir = TempDir::new("certdesk-bind");
        let port = free_port();
        let key = TsigKey::generate(KEY_NAME, "hmac-sha256");
        let secret = &key.secret;
        let legacy: Vec<TsigKey> = LEGACY_KEYS
            .iter()
            .map(|(name, alg)| TsigKey::generate(name, alg))
            .collect();
        let restricted = TsigKey::restricted();
        let d = dir.path().display();
        let mut conf = format!(
            "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  \
             session-keyfile \"{d}/session.key\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
             listen-on-v6 {{ none; }};\n  recursion no;\n  notify no;\n  \
             dnssec-validation no;\n}};\ncontrols {{ }};\n\
             key \"{KEY_NAME}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n"
        );
        let mut grants = format!("grant {KEY_NAME} zonesub TXT; grant {KEY_NAME} zonesub CNAME;");
        for k in legacy.iter().chain(&restricted) {
            conf.push_str(&format!(
                "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
                k.name, k.algorithm, k.secret
            ));
        }
        for k in &legacy {
            grants.push_str(&format!(" grant {} zonesub TXT;", k.name));
        }
        for zone in zones {
            fs::write(
                dir.path().join(format!("{zone}.zone")),
                dns_zone::zone_file(zone),
            )
            .expect("write zone file");
            // Least privilege: TXT at this one name, as the README recommends.
            let restricted_grants: String = restricted
                .iter()
                .map(|k| format!(" grant {} name _acme-challenge.{zone}. TXT;", k.name))
                .collect();
            conf.push_str(&format!(
                "zone \"{zone}\" {{ type primary; file \"{d}/{zone}.zone\"; \
                 update-policy {{ {grants}{restricted_grants} }}; }};\n"
            ));
        }
        let conf_path = dir.path().join("named.conf");
        fs::write(&conf_path, conf).expect("write named.conf");
        let (out, err) = open_log(&dir.path().join("named.log"));
        let child = Command::new("named")
            .args(["-g", "-4", "-c"])
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::not_found("named", &e)));
        let bind = Bind {
            dir,
            child: Some(child),
            port,
            key,
            legacy,
            restricted,
        };
        for zone in zones {
            wait_until(
                &format!("BIND to serve {zone}"),
                Duration::from_secs(30),
                || bind.dig(zone, "SOA").contains("hostmaster"),
            );
        }
        bind
    }

    /// `127.0.0.1:PORT`, for Pebble's `-dnsserver` and a DNS account's `nameservers`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base64 secret of [`KEY_NAME`].
    pub fn secret(&self) -> &str {
        &self.key.secret
    }

    /// The base64 secret of the legacy key `name` (one of [`LEGACY_KEYS`]).
    pub fn legacy_secret(&self, name: &str) -> &str {
        secret_of(&self.legacy, name)
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

    /// Runs `nsupdate` with `commands` (e.g. `update add x.example.test. 60 TXT "v"`), signed
    /// with the fixture's key; panics with its output on failure.
    pub fn nsupdate(&self, commands: &str) {
        dns_zone::nsupdate(self.port, &self.key, commands);
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
                port = self.port,
                secret = self.key.secret,
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

    pub fn log(&self) -> String {
        tail(&read_lossy(&self.dir.path().join("named.log")), 60)
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] BIND log:\n{}", self.log());
        }
    }
}
