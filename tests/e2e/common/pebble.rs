//! Pebble 2.10.1, a throw-away ACME CA, with `pebble-challtestsrv` answering its DNS on loopback.
//!
//! The binaries are the ones `.ci/setup` puts in [`PEBBLE_DIR`] (built from
//! `../shared/pebble` when it exists, else by `go install …@v2.10.1`): never a `pebble` on PATH,
//! which on Debian 12 is 2.4 (no ARI, no profiles).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::process::{
    free_port, kill_and_reap, not_found, open_log, read_lossy, scrub_env, tail, tcp_accepts,
    TempDir, POLL,
};
use super::tools::{curl, make_listener_certs};

/// Where `.ci/setup` installs `pebble` and `pebble-challtestsrv` 2.10.1, relative to the
/// repository.
pub const PEBBLE_DIR: &str = "target/pebble-2.10.1";

/// The validity of Pebble's default profile unless a test says otherwise: 90 days, Let's
/// Encrypt's classic certificate (and Pebble's own default).
const DEFAULT_VALIDITY_DAYS: u64 = 90;

/// How long a server may take to come up (Pebble generates a fresh root at each start: 0.3–1.7 s).
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Who answers Pebble's http-01 validations on 127.0.0.1:[`Pebble::http_port`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Http01 {
    /// Nobody: the port is left free for the client under test (certdesk's standalone server,
    /// or nginx serving a webroot). The default.
    Client,
    /// `pebble-challtestsrv`, fed with [`Pebble::add_http01`].
    Challtestsrv,
}

/// Options for [`Pebble`]; start with [`Pebble::builder`].
#[derive(Clone, Debug)]
pub struct PebbleBuilder {
    env: Vec<(String, String)>,
    http01: Http01,
    dns_server: Option<String>,
    validity_days: u64,
    /// Profiles beside `default`: name → (description, validity in seconds).
    profiles: Vec<(String, String, u64)>,
    config: serde_json::Map<String, Value>,
}

impl PebbleBuilder {
    /// Any environment variable for `pebble` (e.g. `PEBBLE_CHAIN_LENGTH`); overrides the defaults
    /// `PEBBLE_VA_NOSLEEP=1`, `PEBBLE_WFE_NONCEREJECT=0`, `PEBBLE_AUTHZREUSE=0`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Percentage of good nonces Pebble rejects with badNonce (`PEBBLE_WFE_NONCEREJECT`, default 0).
    pub fn nonce_reject(self, percent: u8) -> Self {
        self.env("PEBBLE_WFE_NONCEREJECT", &percent.to_string())
    }

    /// Who answers http-01 on [`Pebble::http_port`] (default [`Http01::Client`]).
    pub fn http01(mut self, who: Http01) -> Self {
        self.http01 = who;
        self
    }

    /// Pebble's `-dnsserver` (default: the fixture's challtestsrv); e.g. a test's own BIND on
    /// `127.0.0.1:PORT`. Must be a loopback address.
    pub fn dns_server(mut self, addr: &str) -> Self {
        assert!(
            addr.starts_with("127.") || addr.starts_with("[::1]"),
            "Pebble's DNS server must be on loopback, got {addr}"
        );
        self.dns_server = Some(addr.to_string());
        self
    }

    /// How long the certificates of Pebble's `default` profile are valid (default 90 days).
    /// Pebble 2.10 ignores 2.4's `certificateValidityPeriod`: the period is the profile's.
    pub fn validity_days(mut self, days: u64) -> Self {
        self.validity_days = days;
        self
    }

    /// A certificate profile beside `default` (Pebble's `profiles` config: its description in
    /// the directory's `meta.profiles`, its certificates valid `validity_secs`), e.g.
    /// `.profile("short", "Six days", 6 * 86400)`.
    pub fn profile(mut self, name: &str, description: &str, validity_secs: u64) -> Self {
        self.profiles.retain(|(n, _, _)| n != name);
        self.profiles
            .push((name.to_string(), description.to_string(), validity_secs));
        self
    }

    /// An extra field in the `"pebble"` config object (e.g. `"domainBlocklist"`).
    pub fn config(mut self, key: &str, value: Value) -> Self {
        self.config.insert(key.to_string(), value);
        self
    }

    pub fn start(self) -> Pebble {
        Pebble::start_with(self)
    }
}

impl Default for PebbleBuilder {
    fn default() -> Self {
        PebbleBuilder {
            env: vec![
                ("PEBBLE_VA_NOSLEEP".into(), "1".into()),
                ("PEBBLE_WFE_NONCEREJECT".into(), "0".into()),
                ("PEBBLE_AUTHZREUSE".into(), "0".into()),
            ],
            http01: Http01::Client,
            dns_server: None,
            validity_days: DEFAULT_VALIDITY_DAYS,
            profiles: Vec::new(),
            config: serde_json::Map::new(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct PebblePorts {
    acme: u16,
    management: u16,
    http: u16,
    tls: u16,
    dns: u16,
    challtestsrv: u16,
}

impl PebblePorts {
    fn pick() -> Self {
        PebblePorts {
            acme: free_port(),
            management: free_port(),
            http: free_port(),
            tls: free_port(),
            dns: free_port(),
            challtestsrv: free_port(),
        }
    }
}

/// A running Pebble ACME CA plus `pebble-challtestsrv` (DNS for every name → A 127.0.0.1, no
/// AAAA), all on 127.0.0.1 with free ports. Dropping it kills both.
pub struct Pebble {
    opts: PebbleBuilder,
    ports: PebblePorts,
    pebble: Option<Child>,
    challtestsrv: Option<Child>,
    config_path: PathBuf,
    ca_path: PathBuf,
    // Last field: dropped after the processes are killed.
    dir: TempDir,
}

/// The path of one of the binaries `.ci/setup` installs in [`PEBBLE_DIR`], in the repository:
/// the workspace's folder (the one with `Cargo.lock`), above the package's when the app's tests
/// include these fixtures from `src-tauri/`.
fn pebble_bin(name: &str) -> Result<PathBuf, String> {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repository = package
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(package);
    let path = repository.join(PEBBLE_DIR).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run `.ci/setup` to install Pebble 2.10.1 there",
            path.display()
        ))
    }
}

impl Pebble {
    /// Pebble with the defaults: no nonce rejection, no authz reuse, no VA sleeps, http-01 left
    /// for the client under test.
    pub fn start() -> Pebble {
        Pebble::builder().start()
    }

    pub fn builder() -> PebbleBuilder {
        PebbleBuilder::default()
    }

    fn start_with(opts: PebbleBuilder) -> Pebble {
        let dir = TempDir::new("certdesk-pebble");
        let (ca_path, cert_path, key_path) = make_listener_certs(dir.path());
        let mut pebble = Pebble {
            opts,
            ports: PebblePorts::pick(),
            pebble: None,
            challtestsrv: None,
            config_path: dir.path().join("pebble-config.json"),
            ca_path,
            dir,
        };
        // Ports are only probed, not held: another process may take one first. Retry then.
        let mut attempt = 0;
        loop {
            pebble.write_config(&cert_path, &key_path);
            match pebble
                .spawn_challtestsrv()
                .and_then(|()| pebble.spawn_pebble())
            {
                Ok(()) => return pebble,
                Err(e) if attempt < 2 && e.contains("address already in use") => {
                    pebble.kill_all();
                    pebble.ports = PebblePorts::pick();
                    attempt += 1;
                }
                // Drop (while panicking) kills both servers and prints their logs.
                Err(e) => panic!("Pebble did not start: {e}"),
            }
        }
    }

    fn write_config(&self, cert_path: &Path, key_path: &Path) {
        let ports = self.ports;
        let mut cfg = serde_json::Map::new();
        cfg.insert(
            "listenAddress".into(),
            json!(format!("127.0.0.1:{}", ports.acme)),
        );
        cfg.insert(
            "managementListenAddress".into(),
            json!(format!("127.0.0.1:{}", ports.management)),
        );
        cfg.insert("certificate".into(), json!(cert_path));
        cfg.insert("privateKey".into(), json!(key_path));
        cfg.insert("httpPort".into(), json!(ports.http));
        cfg.insert("tlsPort".into(), json!(ports.tls));
        cfg.insert("ocspResponderURL".into(), json!(""));
        cfg.insert("externalAccountBindingRequired".into(), json!(false));
        // A common name, as in Let's Encrypt's classic profile (and every Pebble 2.4
        // certificate).
        let mut profiles = serde_json::Map::new();
        profiles.insert(
            "default".into(),
            json!({
                "description": "The default profile",
                "validityPeriod": self.opts.validity_days * 86_400,
                "promoteCommonName": true,
            }),
        );
        for (name, description, validity_secs) in &self.opts.profiles {
            profiles.insert(
                name.clone(),
                json!({
                    "description": description,
                    "validityPeriod": validity_secs,
                    "promoteCommonName": true,
                }),
            );
        }
        cfg.insert("profiles".into(), Value::Object(profiles));
        for (k, v) in &self.opts.config {
            cfg.insert(k.clone(), v.clone());
        }
        let config = json!({ "pebble": Value::Object(cfg) });
        fs::write(
            &self.config_path,
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .expect("write pebble config");
    }

    fn spawn_challtestsrv(&mut self) -> Result<(), String> {
        let p = self.ports;
        let http01 = match self.opts.http01 {
            Http01::Client => String::new(),
            Http01::Challtestsrv => format!("127.0.0.1:{}", p.http),
        };
        let log = self.dir.path().join("challtestsrv.log");
        let (out, err) = open_log(&log);
        let mut cmd = Command::new(pebble_bin("pebble-challtestsrv")?);
        scrub_env(&mut cmd);
        cmd.args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dnsserver", &format!("127.0.0.1:{}", p.dns)])
            .args(["-management", &format!("127.0.0.1:{}", p.challtestsrv)])
            .args(["-http01", &http01, "-https01", "", "-tlsalpn01", ""])
            // Its DNS-over-HTTPS listener would take :8443 on every interface.
            .args(["-doh", ""]);
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .map_err(|e| not_found("pebble-challtestsrv", &e))?;
        self.challtestsrv = Some(child);
        let start = Instant::now();
        loop {
            let ready = tcp_accepts(p.challtestsrv)
                && tcp_accepts(p.dns)
                && (self.opts.http01 == Http01::Client || tcp_accepts(p.http));
            if ready {
                return Ok(());
            }
            if let Some(status) = self.challtestsrv.as_mut().unwrap().try_wait().unwrap() {
                return Err(format!(
                    "pebble-challtestsrv exited ({status}):\n{}",
                    tail(&read_lossy(&log), 30)
                ));
            }
            if start.elapsed() > SERVER_START_TIMEOUT {
                return Err(format!(
                    "pebble-challtestsrv not ready after {SERVER_START_TIMEOUT:?}:\n{}",
                    tail(&read_lossy(&log), 30)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn spawn_pebble(&mut self) -> Result<(), String> {
        let p = self.ports;
        let log = self.dir.path().join("pebble.log");
        let (out, err) = open_log(&log);
        let dns = self
            .opts
            .dns_server
            .clone()
            .unwrap_or_else(|| format!("127.0.0.1:{}", p.dns));
        let mut cmd = Command::new(pebble_bin("pebble")?);
        scrub_env(&mut cmd);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PEBBLE_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.opts.env.iter().map(|(k, v)| (k, v)))
            .arg("-config")
            .arg(&self.config_path)
            .args(["-dnsserver", &dns]);
        cmd.current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn().map_err(|e| not_found("pebble", &e))?;
        self.pebble = Some(child);
        let ca = self.ca_path.to_string_lossy().into_owned();
        let dir_url = self.directory_url();
        let roots_url = format!("{}/roots/0", self.management_url());
        let start = Instant::now();
        let mut last;
        loop {
            // Ready once the directory answers over HTTPS trusting the test CA, and the
            // management interface serves the issuing root.
            match curl(&["--cacert", &ca, &dir_url]) {
                Ok((200, body)) if body.contains("newOrder") => {
                    match curl(&["--cacert", &ca, &roots_url]) {
                        Ok((200, root)) if root.contains("BEGIN CERTIFICATE") => return Ok(()),
                        Ok((code, body)) => last = format!("/roots/0: HTTP {code}: {body}"),
                        Err(e) => last = e,
                    }
                }
                Ok((code, body)) => last = format!("/dir: HTTP {code}: {body}"),
                Err(e) => last = e,
            }
            if let Some(status) = self.pebble.as_mut().unwrap().try_wait().unwrap() {
                return Err(format!(
                    "pebble exited ({status}):\n{}",
                    tail(&read_lossy(&log), 30)
                ));
            }
            if start.elapsed() > SERVER_START_TIMEOUT {
                return Err(format!(
                    "pebble's directory not ready after {SERVER_START_TIMEOUT:?} (last: {last}):\n{}",
                    tail(&read_lossy(&log), 30)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    fn kill_all(&mut self) {
        for child in [self.pebble.take(), self.challtestsrv.take()]
            .into_iter()
            .flatten()
        {
            kill_and_reap(child);
        }
    }

    /// Kills Pebble (challtestsrv keeps running). The ACME ports refuse connections until
    /// [`Pebble::start_pebble`].
    pub fn stop_pebble(&mut self) {
        if let Some(child) = self.pebble.take() {
            kill_and_reap(child);
        }
    }

    /// Starts Pebble again on the same ports after [`Pebble::stop_pebble`] and waits for its
    /// directory. Pebble keeps nothing across restarts: new roots, no accounts, orders or certs.
    pub fn start_pebble(&mut self) {
        assert!(self.pebble.is_none(), "pebble is already running");
        let log = self.dir.path().join("pebble.log");
        let _ = fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .and_then(|mut f| writeln!(f, "----- [fixture] restarting pebble -----"));
        if let Err(e) = self.spawn_pebble() {
            panic!("pebble did not restart: {e}");
        }
    }

    /// `https://127.0.0.1:PORT/dir`.
    pub fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.ports.acme)
    }

    /// PEM file of the CA that signed Pebble's HTTPS listener certificate (`--ca-root`).
    pub fn ca_root_path(&self) -> &Path {
        &self.ca_path
    }

    /// The port Pebble's VA connects to (on 127.0.0.1) for http-01.
    pub fn http_port(&self) -> u16 {
        self.ports.http
    }

    /// The port Pebble's VA connects to (on the identifier's address) for tls-alpn-01.
    pub fn tls_port(&self) -> u16 {
        self.ports.tls
    }

    pub fn acme_port(&self) -> u16 {
        self.ports.acme
    }

    /// `https://127.0.0.1:PORT` of Pebble's management interface (same TLS cert as the ACME port).
    pub fn management_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.ports.management)
    }

    /// `http://127.0.0.1:PORT` of challtestsrv's management API.
    pub fn challtestsrv_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.challtestsrv)
    }

    pub fn pebble_log(&self) -> String {
        read_lossy(&self.dir.path().join("pebble.log"))
    }

    pub fn challtestsrv_log(&self) -> String {
        read_lossy(&self.dir.path().join("challtestsrv.log"))
    }

    /// GET on the management interface: `Some(body)` on 200, `None` on 404.
    pub fn management_get(&self, path: &str) -> Option<String> {
        let url = format!("{}{path}", self.management_url());
        let ca = self.ca_path.to_string_lossy().into_owned();
        match curl(&["--cacert", &ca, &url]) {
            Ok((200, body)) => Some(body),
            Ok((404, _)) => None,
            Ok((code, body)) => panic!("GET {url}: HTTP {code}: {body}"),
            Err(e) => panic!("GET {url}: {e}"),
        }
    }

    /// Makes Pebble answer `ari_response` (any text, even malformed JSON; Retry-After is always
    /// 6 hours) to renewalInfo requests about the certificate `cert_pem`, in place of its own
    /// window (centred two thirds into the lifetime): `POST /set-renewal-info/`.
    pub fn set_renewal_info(&self, cert_pem: &str, ari_response: &str) {
        let url = format!("{}/set-renewal-info/", self.management_url());
        let ca = self.ca_path.to_string_lossy().into_owned();
        let data = json!({ "Certificate": cert_pem, "ARIResponse": ari_response }).to_string();
        match curl(&["--cacert", &ca, "-X", "POST", "--data-binary", &data, &url]) {
            Ok((200, _)) => {}
            Ok((code, body)) => panic!("POST {url}: HTTP {code}: {body}"),
            Err(e) => panic!("POST {url}: {e}"),
        }
    }

    /// Pebble's issuing root (PEM, `GET /roots/0`). New at every (re)start.
    pub fn issuance_root_pem(&self) -> String {
        self.management_get("/roots/0").expect("/roots/0 not found")
    }

    /// `GET /cert-status-by-serial/<hex>`: `{"Certificate", "Serial", "Status": "Valid"|"Revoked",
    /// "Reason", "RevokedAt"}`. Accepts openssl's `serial=0A1B…` form, colons, `0x`, any case,
    /// leading zeros. `None` if Pebble does not know the serial.
    pub fn try_cert_status(&self, serial_hex: &str) -> Option<Value> {
        let s = serial_hex.trim();
        let s = s.strip_prefix("serial=").unwrap_or(s);
        let s = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        let mut hex: String = s
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_lowercase();
        assert!(
            !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "not a hex serial: {serial_hex:?}"
        );
        let trimmed = hex.trim_start_matches('0');
        hex = if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        };
        self.management_get(&format!("/cert-status-by-serial/{hex}"))
            .map(|body| {
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("cert status {body:?}: {e}"))
            })
    }

    /// Like [`Pebble::try_cert_status`], panicking if the serial is unknown.
    pub fn cert_status(&self, serial_hex: &str) -> Value {
        self.try_cert_status(serial_hex)
            .unwrap_or_else(|| panic!("Pebble knows no certificate with serial {serial_hex}"))
    }

    /// POST a JSON body to challtestsrv's management API (e.g. `/add-a`, `/add-caa`,
    /// `/set-servfail`, `/dns-request-history`); returns the body.
    pub fn challtestsrv_post(&self, path: &str, body: &Value) -> String {
        let url = format!("{}{path}", self.challtestsrv_url());
        let data = body.to_string();
        match curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &data,
            &url,
        ]) {
            Ok((200, body)) => body,
            Ok((code, body)) => panic!("POST {url} {data}: HTTP {code}: {body}"),
            Err(e) => panic!("POST {url} {data}: {e}"),
        }
    }

    /// Adds a TXT value at `host` (e.g. `_acme-challenge.a.example.com`; a trailing dot is added).
    /// Values accumulate until [`Pebble::clear_txt`].
    pub fn set_txt(&self, host: &str, value: &str) {
        self.challtestsrv_post("/set-txt", &json!({ "host": fqdn(host), "value": value }));
    }

    /// Serve `content` at `/.well-known/acme-challenge/<token>` (needs [`Http01::Challtestsrv`]).
    pub fn add_http01(&self, token: &str, content: &str) {
        self.assert_challtestsrv_http01();
        self.challtestsrv_post(
            "/add-http01",
            &json!({ "token": token, "content": content }),
        );
    }

    fn assert_challtestsrv_http01(&self) {
        assert_eq!(
            self.opts.http01,
            Http01::Challtestsrv,
            "challtestsrv does not answer http-01 here: use Pebble::builder().http01(Http01::Challtestsrv)"
        );
    }
}

fn fqdn(host: &str) -> String {
    if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.kill_all();
        if std::thread::panicking() {
            eprintln!(
                "[fixture] pebble.log (tail):\n{}\n[fixture] challtestsrv.log (tail):\n{}",
                tail(&self.pebble_log(), 40),
                tail(&self.challtestsrv_log(), 20)
            );
        }
    }
}
