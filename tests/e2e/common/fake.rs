//! A local HTTPS stand-in for a DNS provider's API (`tests/fakes/<provider>.py`), with its own
//! small TLS CA, mirroring its TXT records into the test's BIND.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::bind::{Bind, KEY_NAME};
use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};
use super::tools::make_listener_certs;

pub struct FakeApi {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: PathBuf,
}

impl FakeApi {
    /// Starts `tests/fakes/<script>` with the BIND it mirrors into and `extra` arguments of its
    /// own, and waits until it accepts connections.
    pub fn start(script: &str, bind: &Bind, extra: &[&str]) -> FakeApi {
        let dir = TempDir::new("certdesk-fake");
        let (ca, cert, key) = make_listener_certs(dir.path());
        let port = free_port();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fakes")
            .join(script);
        let (out, err) = open_log(&dir.path().join("fake.log"));
        let child = Command::new("python3")
            .arg(&path)
            .args(["--port", &port.to_string()])
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .args(["--bind", &bind.addr()])
            .args(["--tsig", &format!("{KEY_NAME}:{}", bind.secret())])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("python3", &e)));
        let fake = FakeApi {
            dir,
            child: Some(child),
            port,
            ca,
        };
        wait_until(
            &format!("the fake API {script} to listen"),
            Duration::from_secs(30),
            || tcp_accepts(port),
        );
        fake
    }

    /// `https://127.0.0.1:PORT`: the DNS account's `endpoint`.
    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The PEM root the fake's certificate chains to: the DNS account's `ca_certificate`.
    pub fn ca_path(&self) -> &str {
        self.ca.to_str().expect("UTF-8 temp path")
    }

    /// What the fake logged: each request and each refusal with its reason.
    pub fn log(&self) -> String {
        read_lossy(&self.dir.path().join("fake.log"))
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] fake API log:\n{}", tail(&self.log(), 80));
        }
    }
}
