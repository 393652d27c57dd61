//! Shared fixtures for certdesk's end-to-end tests.
//!
//! Every integration test file says `mod common;` and uses what it needs:
//!
//! - [`Pebble`]: a throw-away ACME CA (Debian's `pebble` + `pebble-challtestsrv`) on free loopback
//!   ports, with its own small TLS CA for its HTTPS listener ([`Pebble::ca_root_path`] is what a
//!   user passes as `--ca-root`).
//! - [`Certdesk`]: runs the CLI binary with a private `--data-dir`.
//! - [`openssl`], [`keytool`], [`tool`]: run a verifier and return its stdout.
//! - [`bind::Bind`]: a BIND 9 primary for the test's zones, with a TSIG key for updates.
//! - [`knot::Knot`]: the same with Knot DNS, its keys limited by an acl to `_acme-challenge`.
//! - [`smtp::SmtpSink`]: an SMTP server (aiosmtpd) that keeps each message, parsed, for the test.
//! - [`free_port`], [`wait_until`], [`TempDir`], [`require_keychain`].
//!
//! Only `std` and `serde_json` (a normal dependency of the `certdesk` package) are used.
//! Every process started here talks to 127.0.0.1 only: proxies are removed from its environment
//! and Pebble resolves every name through `pebble-challtestsrv` (never the system resolver).
//!
//! Set `CERTDESK_TEST_KEEP=1` to keep the temporary directories (their paths are printed);
//! they are also kept, and the servers' logs printed, when a test panics.
#![allow(dead_code)]

pub mod agent;
pub mod ari;
pub mod bind;
pub mod dns_zone;
pub mod fake;
pub mod knot;
pub mod moto;
pub mod nginx;
pub mod smtp;
pub mod sshd;

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a server may take to come up (Pebble generates a fresh root at each start: 0.3–1.7 s).
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit for one CLI run; change it with [`Certdesk::timeout`].
const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

/// A random number from std's per-process random hash keys (no `rand` needed).
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one((
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Instant::now(),
        std::process::id(),
    ))
}

/// Removes proxy settings so that nothing started by a test sends loopback traffic to a proxy.
fn scrub_env(cmd: &mut Command) {
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "ftp_proxy",
        "FTP_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "*").env("no_proxy", "*");
}

/// Polls `check` every 20 ms until it returns true; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if check() {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(POLL);
    }
}

/// Waits for `child` to exit, at most `timeout`; `None` if it is still running.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if start.elapsed() > timeout => return None,
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for child {}: {e}", child.id()),
        }
    }
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn keep_dirs() -> bool {
    std::env::var_os("CERTDESK_TEST_KEEP").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A temporary directory (mode 0700) removed on drop, unless the thread is panicking or
/// `CERTDESK_TEST_KEEP` is set, in which case its path is printed.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let base = std::env::temp_dir();
        loop {
            let path = base.join(format!(
                "{prefix}-{}-{:012x}",
                std::process::id(),
                random_u64() >> 16
            ));
            match fs::create_dir(&path) {
                Ok(()) => {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
                        .expect("chmod temp dir");
                    return TempDir { path };
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create a temp dir in {}: {e}", base.display()),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if keep_dirs() || std::thread::panicking() {
            eprintln!("[fixture] kept {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/// A loopback port that is free for both TCP and UDP on 127.0.0.1, never handed out twice in this
/// process. Chosen at random in 20000–31999, below Linux's ephemeral range (32768–60999), so an
/// outgoing connection cannot grab it between this check and the server's bind.
pub fn free_port() -> u16 {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let handed_out = HANDED_OUT.get_or_init(|| Mutex::new(HashSet::new()));
    for _ in 0..2000 {
        let port = 20000 + (random_u64() % 12000) as u16;
        let mut set = handed_out.lock().unwrap_or_else(|e| e.into_inner());
        if set.contains(&port) {
            continue;
        }
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, port));
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, port));
        if tcp.is_ok() && udp.is_ok() {
            set.insert(port);
            return port;
        }
    }
    panic!("no free loopback port found in 20000-31999");
}

fn tcp_accepts(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

// ---------------------------------------------------------------------------------------------
// External tools
// ---------------------------------------------------------------------------------------------

fn not_found(program: &str, e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound {
        format!("`{program}` is not installed: run `.ci/setup` (as root) to install the test dependencies")
    } else {
        format!("cannot run `{program}`: {e}")
    }
}

fn describe(program: &str, args: &[OsString]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `program args…` (stdin from `input`, or empty) and returns its stdout; panics with its
/// stderr and stdout if it fails.
pub fn tool_with_stdin<I, S>(program: &str, args: I, input: Option<&[u8]>) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new(program);
    scrub_env(&mut cmd);
    cmd.args(&args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{}", not_found(program, &e)));
    let writer = input.map(|data| {
        let mut stdin = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("wait for tool");
    if let Some(w) = writer {
        let _ = w.join();
    }
    if !out.status.success() {
        panic!(
            "`{}` failed ({}):\n--- stderr ---\n{}\n--- stdout ---\n{}",
            describe(program, &args),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `program args…` and returns its stdout; panics with its stderr if it fails.
pub fn tool<I, S>(program: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool_with_stdin(program, args, None)
}

/// `openssl args…` → stdout (panics with stderr on failure).
pub fn openssl<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool("openssl", args)
}

/// `openssl args…` with `input` on stdin → stdout.
pub fn openssl_stdin<I, S>(args: I, input: &[u8]) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool_with_stdin("openssl", args, Some(input))
}

/// Writes a self-signed P-256 certificate for `subject` (`/CN=…`), valid two days, to `cert`
/// and its key to `key` (PEM): a server's own certificate before certdesk installs one.
pub fn self_signed(subject: &str, key: &Path, cert: &Path) {
    openssl([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        subject,
        "-days",
        "2",
        "-keyout",
        key.to_str().expect("UTF-8"),
        "-out",
        cert.to_str().expect("UTF-8"),
    ]);
}

/// `keytool args…` (Java 17, default-jre-headless) → stdout (panics with its output on failure).
pub fn keytool<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool("keytool", args)
}

/// Panics unless the tests run inside a D-Bus session (where `.ci/test` has unlocked a fresh
/// gnome-keyring): certdesk keeps its secrets in the Secret Service.
pub fn require_keychain() {
    let set = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    if !set {
        panic!(
            "DBUS_SESSION_BUS_ADDRESS is not set, so there is no keychain for certdesk's secrets.\n\
             Run the tests with the README's test command, `.ci/test` (it runs `cargo test \
             --workspace --locked` inside dbus-run-session with a fresh HOME and an unlocked \
             gnome-keyring; extra arguments go to cargo test, e.g. `.ci/test --test issue`).\n\
             Install its dependencies once with `.ci/setup` (as root)."
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP through curl (loopback only, proxies off)
// ---------------------------------------------------------------------------------------------

/// One curl request. Returns (status, body) or curl's error text.
pub fn curl(args: &[&str]) -> Result<(u16, String), String> {
    let mut cmd = Command::new("curl");
    scrub_env(&mut cmd);
    cmd.args([
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        "10",
        "-w",
        "\n%{http_code}",
    ])
    .args(args)
    .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| not_found("curl", &e))?;
    if !out.status.success() {
        return Err(format!(
            "curl {args:?}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let code = code
        .trim()
        .parse()
        .map_err(|_| format!("curl {args:?}: bad status {code:?}"))?;
    Ok((code, body.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Pebble
// ---------------------------------------------------------------------------------------------

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
    strict: bool,
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

    /// Percentage of authorization reuse (`PEBBLE_AUTHZREUSE`, default 0).
    pub fn authz_reuse(self, percent: u8) -> Self {
        self.env("PEBBLE_AUTHZREUSE", &percent.to_string())
    }

    /// `PEBBLE_VA_ALWAYS_VALID=1`: every challenge validates without a request.
    pub fn always_valid(self) -> Self {
        self.env("PEBBLE_VA_ALWAYS_VALID", "1")
    }

    /// Who answers http-01 on [`Pebble::http_port`] (default [`Http01::Client`]).
    pub fn http01(mut self, who: Http01) -> Self {
        self.http01 = who;
        self
    }

    /// Let `pebble-challtestsrv` answer http-01 ([`Pebble::add_http01`]).
    pub fn challtestsrv_http01(self) -> Self {
        self.http01(Http01::Challtestsrv)
    }

    /// Pebble's `-dnsserver` (default: the fixture's challtestsrv, [`Pebble::dns_server`]); e.g. a
    /// test's own BIND on `127.0.0.1:PORT`. Must be a loopback address.
    pub fn dns_server(mut self, addr: &str) -> Self {
        assert!(
            addr.starts_with("127.") || addr.starts_with("[::1]"),
            "Pebble's DNS server must be on loopback, got {addr}"
        );
        self.dns_server = Some(addr.to_string());
        self
    }

    /// `-strict=true`.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
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
            strict: false,
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

/// Does this `pebble-challtestsrv` know `-doh` (Pebble ≥ 2.5, listening on :8443 by default)?
fn challtestsrv_has_doh() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        Command::new("pebble-challtestsrv")
            .arg("-h")
            .stdin(Stdio::null())
            .output()
            .map(|o| {
                let text = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&text).contains("-doh")
            })
            .unwrap_or(false)
    })
}

fn open_log(path: &Path) -> (File, File) {
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    let g = f.try_clone().expect("clone log");
    (f, g)
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
        let mut cmd = Command::new("pebble-challtestsrv");
        scrub_env(&mut cmd);
        cmd.args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{}", p.dns)])
            .args(["-management", &format!("127.0.0.1:{}", p.challtestsrv)])
            .args(["-http01", &http01, "-https01", "", "-tlsalpn01", ""]);
        if challtestsrv_has_doh() {
            cmd.args(["-doh", ""]);
        }
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
        let mut cmd = Command::new("pebble");
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
        if self.opts.strict {
            cmd.arg("-strict=true");
        }
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

    /// Kill Pebble and start it again on the same ports (see [`Pebble::start_pebble`]).
    pub fn restart_pebble(&mut self) {
        self.stop_pebble();
        self.start_pebble();
    }

    /// `https://127.0.0.1:PORT/dir`.
    pub fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.ports.acme)
    }

    /// PEM file of the CA that signed Pebble's HTTPS listener certificate (`--ca-root`).
    pub fn ca_root_path(&self) -> &Path {
        &self.ca_path
    }

    pub fn ca_root_pem(&self) -> String {
        fs::read_to_string(&self.ca_path).expect("read test CA")
    }

    /// The port Pebble's VA connects to (on 127.0.0.1) for http-01.
    pub fn http_port(&self) -> u16 {
        self.ports.http
    }

    /// The port Pebble's VA connects to (on 127.0.0.1) for tls-alpn-01.
    pub fn tls_port(&self) -> u16 {
        self.ports.tls
    }

    pub fn acme_port(&self) -> u16 {
        self.ports.acme
    }

    /// challtestsrv's DNS port (UDP and TCP on 127.0.0.1).
    pub fn dns_port(&self) -> u16 {
        self.ports.dns
    }

    /// `127.0.0.1:PORT` of challtestsrv's DNS, for the CLI's propagation checks.
    pub fn dns_server(&self) -> String {
        format!("127.0.0.1:{}", self.ports.dns)
    }

    /// `https://127.0.0.1:PORT` of Pebble's management interface (same TLS cert as the ACME port).
    pub fn management_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.ports.management)
    }

    /// `http://127.0.0.1:PORT` of challtestsrv's management API.
    pub fn challtestsrv_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.challtestsrv)
    }

    /// The fixture's temp dir (config, listener certs, `pebble.log`, `challtestsrv.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
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

    /// Pebble's issuing root (PEM, `GET /roots/0`). New at every (re)start.
    pub fn issuance_root_pem(&self) -> String {
        self.management_get("/roots/0").expect("/roots/0 not found")
    }

    /// Pebble's intermediate (PEM, `GET /intermediates/0`).
    pub fn issuance_intermediate_pem(&self) -> String {
        self.management_get("/intermediates/0")
            .expect("/intermediates/0 not found")
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

    /// Removes every TXT value at `host`.
    pub fn clear_txt(&self, host: &str) {
        self.challtestsrv_post("/clear-txt", &json!({ "host": fqdn(host) }));
    }

    /// A records for `host` instead of the default 127.0.0.1.
    pub fn add_a(&self, host: &str, addresses: &[&str]) {
        self.challtestsrv_post(
            "/add-a",
            &json!({ "host": fqdn(host), "addresses": addresses }),
        );
    }

    /// Serve `content` at `/.well-known/acme-challenge/<token>` (needs [`Http01::Challtestsrv`]).
    pub fn add_http01(&self, token: &str, content: &str) {
        self.assert_challtestsrv_http01();
        self.challtestsrv_post(
            "/add-http01",
            &json!({ "token": token, "content": content }),
        );
    }

    pub fn del_http01(&self, token: &str) {
        self.assert_challtestsrv_http01();
        self.challtestsrv_post("/del-http01", &json!({ "token": token }));
    }

    fn assert_challtestsrv_http01(&self) {
        assert_eq!(
            self.opts.http01,
            Http01::Challtestsrv,
            "challtestsrv does not answer http-01 here: use Pebble::builder().challtestsrv_http01()"
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

fn kill_and_reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
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

/// Makes a small CA and a leaf (127.0.0.1, ::1, localhost) for Pebble's HTTPS listener; Go refuses
/// a self-signed CA:TRUE certificate as the end entity. Returns (ca.pem, cert.pem, key.pem).
fn make_listener_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    fs::write(
        dir.join("openssl.cnf"),
        "[req]\n\
         distinguished_name = dn\n\
         prompt = no\n\
         [dn]\n\
         CN = certdesk test CA\n\
         [v3_ca]\n\
         basicConstraints = critical,CA:TRUE,pathlen:0\n\
         keyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [v3_leaf]\n\
         basicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n",
    )
    .expect("write openssl.cnf");
    let p = |name: &str| dir.join(name).to_str().expect("UTF-8 temp dir").to_string();
    let (ca, ca_key, cert, key, csr) = (
        p("ca.pem"),
        p("ca.key"),
        p("pebble-cert.pem"),
        p("pebble-key.pem"),
        p("pebble.csr"),
    );
    let cnf = p("openssl.cnf");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca_subject = format!("/CN=certdesk test CA {:08x}", random_u64() as u32);
    let mut args = vec!["req", "-x509", "-config", &cnf, "-extensions", "v3_ca"];
    args.extend([
        "-subj",
        &ca_subject,
        "-days",
        "30",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    args.extend(ec);
    openssl(&args);
    let mut args = vec!["req", "-new", "-config", &cnf, "-subj", "/CN=localhost"];
    args.extend(["-keyout", &key, "-out", &csr]);
    args.extend(ec);
    openssl(&args);
    let serial = format!("0x{:016x}", (random_u64() >> 2) | 1);
    openssl([
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-set_serial",
        &serial,
        "-days",
        "30",
        "-extfile",
        &cnf,
        "-extensions",
        "v3_leaf",
        "-out",
        &cert,
    ]);
    let _ = fs::remove_file(&csr);
    (PathBuf::from(ca), PathBuf::from(cert), PathBuf::from(key))
}

// ---------------------------------------------------------------------------------------------
// The CLI under test
// ---------------------------------------------------------------------------------------------

/// The result of one CLI run.
#[derive(Clone, Debug)]
pub struct Output {
    pub command: String,
    /// `None` if killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics (printing everything) unless the exit code is 0.
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected success:\n{self}");
        self
    }

    /// Panics unless the run failed (non-zero exit).
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected failure:\n{self}");
        self
    }

    /// Panics unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// stdout parsed as JSON (panics with the whole output if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or("killed by a signal".to_string(), |c| c.to_string());
        write!(
            f,
            "$ {}\nexit code: {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.stdout, self.stderr
        )
    }
}

/// Runs the `certdesk` binary with its own `--data-dir` (a fresh temp dir). Global options go
/// before the subcommand: `certdesk --data-dir DIR [--json] ARGS…`. Stdin is empty unless given,
/// proxies and inherited `CERTDESK_*` variables are removed, `NO_COLOR=1` is set.
pub struct Certdesk {
    data_dir: PathBuf,
    json: bool,
    env: Vec<(OsString, Option<OsString>)>,
    timeout: Duration,
    runs: AtomicU64,
    dir: TempDir,
}

impl Certdesk {
    /// A fresh data dir. Panics (see [`require_keychain`]) outside a D-Bus session.
    pub fn new() -> Certdesk {
        require_keychain();
        let dir = TempDir::new("certdesk-cli");
        let data_dir = dir.path().join("data");
        fs::create_dir(&data_dir).expect("create data dir");
        fs::create_dir(dir.path().join("logs")).expect("create logs dir");
        Certdesk {
            data_dir,
            json: false,
            env: Vec::new(),
            timeout: DEFAULT_RUN_TIMEOUT,
            runs: AtomicU64::new(0),
            dir,
        }
    }

    /// Use another data dir (e.g. to share one between two runners). Created if missing.
    pub fn with_data_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_dir = path.into();
        fs::create_dir_all(&self.data_dir).expect("create data dir");
        self
    }

    /// Add `--json` to every run.
    pub fn json_output(mut self, on: bool) -> Self {
        self.json = on;
        self
    }

    /// Set an environment variable for every run.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Remove an inherited environment variable for every run.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Limit for one [`Certdesk::run`] (default 180 s); the child is killed and the test fails.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A scratch directory for the test's own files (next to the data dir, removed with it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn binary() -> &'static str {
        env!("CARGO_BIN_EXE_certdesk")
    }

    /// The full command (`--data-dir`, `--json` if set, then `args`), for custom use.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command_with(args, self.json)
    }

    fn command_with<I, S>(&self, args: I, json: bool) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(Self::binary());
        scrub_env(&mut cmd);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CERTDESK_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1");
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        cmd.arg("--data-dir").arg(&self.data_dir);
        // clap refuses a flag given twice: add --json only if the test did not.
        if json && !args.iter().any(|a| a == "--json") {
            cmd.arg("--json");
        }
        cmd.args(&args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    fn log_paths(&self, kind: &str) -> (PathBuf, PathBuf) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let logs = self.dir.path().join("logs");
        (
            logs.join(format!("{kind}-{n}.stdout")),
            logs.join(format!("{kind}-{n}.stderr")),
        )
    }

    fn run_inner(&self, mut cmd: Command, input: Option<&[u8]>) -> Output {
        let command = format!("{cmd:?}");
        let (out_path, err_path) = self.log_paths("run");
        cmd.stdout(File::create(&out_path).expect("stdout file"))
            .stderr(File::create(&err_path).expect("stderr file"));
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", Self::binary()));
        let writer = input.map(|data| {
            let mut stdin = child.stdin.take().expect("stdin");
            let data = data.to_vec();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            })
        });
        let status = wait_timeout(&mut child, self.timeout);
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(w) = writer {
            let _ = w.join();
        }
        let output = Output {
            command,
            code: status.and_then(|s| s.code()),
            stdout: read_lossy(&out_path),
            stderr: read_lossy(&err_path),
        };
        if status.is_none() {
            panic!(
                "certdesk did not finish within {:?}, killed:\n{output}",
                self.timeout
            );
        }
        output
    }

    /// Runs `certdesk --data-dir D [--json] args…` to completion.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_inner(self.command(args), None)
    }

    /// Like [`Certdesk::run`], on a pseudo-terminal (util-linux `script`) as an administrator at
    /// a terminal runs it: `stdout` holds all it printed, stderr included.
    pub fn run_on_terminal<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let inner = self.command(args);
        let line: Vec<String> = std::iter::once(inner.get_program())
            .chain(inner.get_args())
            .map(|w| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''")))
            .collect();
        let mut cmd = Command::new("script");
        cmd.args([
            "--quiet",
            "--return",
            "--command",
            &line.join(" "),
            "/dev/null",
        ]);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.current_dir(self.dir.path()).stdin(Stdio::null());
        self.run_inner(cmd, None)
    }

    /// Like [`Certdesk::run`] with `input` on stdin.
    pub fn run_stdin<I, S>(&self, args: I, input: &[u8]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_inner(self.command(args), Some(input))
    }

    /// Runs with `--json`, asserts exit 0 and returns stdout parsed as JSON.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run_inner(self.command_with(args, true), None);
        out.assert_success();
        out.json()
    }

    /// Starts `certdesk --data-dir D [--json] args…` in the background (stdout/stderr to files).
    /// The child is killed when the handle is dropped.
    pub fn spawn<I, S>(&self, args: I) -> CertdeskChild
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(args);
        let command = format!("{cmd:?}");
        let (stdout_path, stderr_path) = self.log_paths("spawn");
        cmd.stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", Self::binary()));
        CertdeskChild {
            child,
            command,
            stdout_path,
            stderr_path,
            status: None,
        }
    }
}

impl Default for Certdesk {
    fn default() -> Self {
        Certdesk::new()
    }
}

/// A background `certdesk` process ([`Certdesk::spawn`]); killed on drop.
pub struct CertdeskChild {
    pub child: Child,
    command: String,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    status: Option<ExitStatus>,
}

impl CertdeskChild {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Output so far.
    pub fn stdout(&self) -> String {
        read_lossy(&self.stdout_path)
    }

    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr_path)
    }

    /// `Some(status)` once it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Sends a signal by name (`"TERM"`, `"INT"`, `"HUP"`, …) through the shell's `kill`.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("sh")
            .args([
                "-c",
                "kill -s \"$1\" \"$2\"",
                "sh",
                name,
                &self.child.id().to_string(),
            ])
            .stdin(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -s {name} {} failed", self.child.id());
    }

    /// Polls until stdout or stderr contains `needle`; panics (with the output) after `timeout`
    /// or if the process exits first.
    pub fn wait_for_output(&mut self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            if self.stdout().contains(needle) || self.stderr().contains(needle) {
                return;
            }
            if self.try_wait().is_some() || start.elapsed() > timeout {
                let why = if self.status.is_some() {
                    "exited"
                } else {
                    "timed out"
                };
                panic!("{why} before printing {needle:?}:\n{}", self.output());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for exit at most `timeout` (panics after killing it otherwise).
    pub fn wait(&mut self, timeout: Duration) -> Output {
        if self.status.is_none() {
            self.status = wait_timeout(&mut self.child, timeout);
        }
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
            panic!(
                "certdesk did not exit within {timeout:?}, killed:\n{}",
                self.output()
            );
        }
        self.output()
    }

    /// SIGKILL, then the output.
    pub fn kill(&mut self) -> Output {
        if self.try_wait().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
        self.output()
    }

    fn output(&self) -> Output {
        Output {
            command: self.command.clone(),
            code: self.status.and_then(|s| s.code()),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for CertdeskChild {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Steps most tests share
// ---------------------------------------------------------------------------------------------

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
    register_at(
        cd,
        &pebble.directory_url(),
        pebble.ca_root_path().to_str().expect("UTF-8 temp path"),
    )
}

/// [`register`] at the CA whose directory is `directory`, its HTTPS served under `ca_root`.
pub fn register_at(cd: &Certdesk, directory: &str, ca_root: &str) -> Value {
    cd.json(register_args(directory, ca_root))
}

/// The arguments of `certdesk account register` for the account `pebble` at the CA whose
/// directory is `directory`, its HTTPS served under `ca_root`; for a test that expects a refusal.
pub fn register_args<'a>(directory: &'a str, ca_root: &'a str) -> [&'a str; 11] {
    [
        "account",
        "register",
        "--name",
        "pebble",
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
