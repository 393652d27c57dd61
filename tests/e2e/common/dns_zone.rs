//! What the DNS server fixtures share (BIND in [`super::bind`], Knot DNS in [`super::knot`]): the
//! zone file, the TSIG keys and their grants, the running server ([`Server`]: start, wait for
//! its zones, stop) and the queries and `nsupdate` calls tests make.

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{free_port, kill_and_reap, open_log, read_lossy, tail, wait_until, TempDir};

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
        let out = super::tools::tool("tsig-keygen", ["-a", algorithm, name]);
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
        .unwrap_or_else(|e| panic!("{}", super::process::not_found("dig", &e)));
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
    super::tools::tool_with_stdin("nsupdate", Vec::<&str>::new(), Some(script.as_bytes()));
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

/// Asserts that `out`, an issue through a DNS account, stopped (exit 2) at adding TXT at `fqdn`
/// with `expected` in certdesk's own words, not as a bug to report.
pub fn assert_update_refused(out: &super::Output, fqdn: &str, expected: &str) {
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!("adding TXT {fqdn}")) && out.stderr.contains(expected),
        "{out}"
    );
    assert!(!out.stderr.contains("file an issue"), "{out}");
}

/// What a DNS fixture writes its configuration from: a fresh folder already holding
/// `ZONE.zone` ([`zone_file`]) for each zone, a free port, the tests' key ([`KEY_NAME`]) and the
/// least-privilege keys ([`RESTRICTED_KEYS`]).
pub struct Setup {
    pub dir: TempDir,
    pub port: u16,
    pub key: TsigKey,
    pub restricted: Vec<TsigKey>,
}

impl Setup {
    /// A folder named after `prefix` with the zone files of `zones`, a port and fresh keys.
    pub fn new(prefix: &str, zones: &[&str]) -> Setup {
        let dir = TempDir::new(prefix);
        for zone in zones {
            fs::write(dir.path().join(format!("{zone}.zone")), zone_file(zone))
                .expect("write zone file");
        }
        Setup {
            dir,
            port: free_port(),
            key: TsigKey::generate(KEY_NAME, "hmac-sha256"),
            restricted: TsigKey::restricted(),
        }
    }

    /// Writes `conf` to `conf_name` in the folder, runs `program ARGS… CONF` with its output in
    /// `program.log` there, and waits until it answers the SOA of every zone in `zones`.
    /// `label` names the server in the wait and in the log a failing test prints.
    pub fn spawn(
        self,
        label: &'static str,
        program: &'static str,
        args: &[&str],
        conf_name: &str,
        conf: &str,
        zones: &[&str],
    ) -> Server {
        let conf_path = self.dir.path().join(conf_name);
        fs::write(&conf_path, conf).unwrap_or_else(|e| panic!("write {conf_name}: {e}"));
        let log_name = format!("{program}.log");
        let (out, err) = open_log(&self.dir.path().join(&log_name));
        let child = Command::new(program)
            .args(args)
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found(program, &e)));
        let server = Server {
            label,
            log_name,
            dir: self.dir,
            child: Some(child),
            port: self.port,
            key: self.key,
            restricted: self.restricted,
        };
        for zone in zones {
            wait_until(
                &format!("{label} to serve {zone}"),
                Duration::from_secs(30),
                || server.dig(zone, "SOA").contains("hostmaster"),
            );
        }
        server
    }
}

/// A DNS server a fixture started on 127.0.0.1: what tests ask of it whichever server it is.
/// Stopped (and its log printed if the test is failing) when dropped.
pub struct Server {
    label: &'static str,
    log_name: String,
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    key: TsigKey,
    restricted: Vec<TsigKey>,
}

impl Server {
    /// `127.0.0.1:PORT`, for Pebble's `-dnsserver` and a DNS account's `server`/`nameservers`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's folder (its configuration, zones and log).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The base64 secret of [`KEY_NAME`].
    pub fn secret(&self) -> &str {
        &self.key.secret
    }

    /// The base64 secret of the least-privilege key `name` (one of [`RESTRICTED_KEYS`]).
    pub fn restricted_secret(&self, name: &str) -> &str {
        secret_of(&self.restricted, name)
    }

    /// `dig +short` for `name`/`rtype` at this server.
    pub fn dig(&self, name: &str, rtype: &str) -> String {
        dig(self.port, name, rtype)
    }

    /// The TXT values at `name`, unquoted, sorted.
    pub fn txt(&self, name: &str) -> Vec<String> {
        txt(self.port, name)
    }

    /// The SOA serial of `zone`, raised by every update the server accepts.
    pub fn serial(&self, zone: &str) -> u32 {
        serial(self.port, zone)
    }

    /// Runs `nsupdate` with `commands` (e.g. `update add x.example.test. 60 TXT "v"`), signed
    /// with [`KEY_NAME`] (any TXT); panics with its output on failure.
    pub fn nsupdate(&self, commands: &str) {
        nsupdate(self.port, &self.key, commands);
    }

    /// The last lines of the server's log.
    pub fn log(&self) -> String {
        tail(&read_lossy(&self.dir.path().join(&self.log_name)), 60)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] {} log:\n{}", self.label, self.log());
        }
    }
}
