//! Processes and their scratch space: spawning with a clean environment, waiting, logs, free
//! loopback ports and temporary directories.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often the fixtures poll for a condition.
pub const POLL: Duration = Duration::from_millis(20);

/// A random number from std's per-process random hash keys (no `rand` needed).
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one((
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Instant::now(),
        std::process::id(),
    ))
}

/// Removes proxy settings so that nothing started by a test sends loopback traffic to a proxy.
pub fn scrub_env(cmd: &mut Command) {
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
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
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

pub fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

pub fn tail(text: &str, lines: usize) -> String {
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

pub fn tcp_accepts(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

pub fn not_found(program: &str, e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound {
        format!("`{program}` is not installed: run `.ci/setup` (as root) to install the test dependencies")
    } else {
        format!("cannot run `{program}`: {e}")
    }
}

pub fn describe(program: &str, args: &[OsString]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn open_log(path: &Path) -> (File, File) {
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    let g = f.try_clone().expect("clone log");
    (f, g)
}

pub fn kill_and_reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}
