//! An HTTPS receiver of notice channels for the notify tests: `tests/fakes/notice_receiver.py`
//! on a free loopback port with a certificate of its own small CA ([`NoticeReceiver::ca_path`]
//! is what a channel's `ca_certificate` names). Each path plays one service (`/webhook`,
//! `/slack/…`, `/teams/…`, `/ntfy/TOPIC`, `/fail`, `/moved`) and accepts only the payload that
//! service documents; every request is kept, accepted or rejected, for the test to read.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};
use super::tools::make_listener_certs;

pub struct NoticeReceiver {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: PathBuf,
}

impl NoticeReceiver {
    /// A receiver whose webhook checks signatures under `secret` and whose ntfy wants `token`.
    pub fn start(secret: &str, token: &str) -> NoticeReceiver {
        let dir = TempDir::new("certdesk-notice");
        let records = dir.path().join("records");
        fs::create_dir(&records).expect("create the records dir");
        let (ca, cert, key) = make_listener_certs(dir.path());
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/notice_receiver.py");
        let (out, err) = open_log(&dir.path().join("receiver.log"));
        let child = Command::new("python3")
            .arg(&script)
            .args([
                "--port",
                &port.to_string(),
                "--secret",
                secret,
                "--token",
                token,
            ])
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--dir")
            .arg(&records)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("python3", &e)));
        let receiver = NoticeReceiver {
            dir,
            child: Some(child),
            port,
            ca,
        };
        wait_until(
            "the notice receiver to listen",
            Duration::from_secs(30),
            || tcp_accepts(port),
        );
        receiver
    }

    /// `https://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The PEM root of the receiver's certificate.
    pub fn ca_path(&self) -> &Path {
        &self.ca
    }

    /// The requests it accepted (`accepted`) or refused (`rejected`) so far, in arrival order:
    /// method, path, headers, body and why it refused.
    pub fn records(&self, kind: &str) -> Vec<Value> {
        let mut found: Vec<(usize, Value)> = fs::read_dir(self.dir.path().join("records"))
            .expect("read the records")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name
                    .strip_prefix(&format!("{kind}-"))?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((n, serde_json::from_str(&read_lossy(&e.path())).ok()?))
            })
            .collect();
        found.sort_by_key(|(n, _)| *n);
        found.into_iter().map(|(_, v)| v).collect()
    }

    /// The accepted requests to paths starting with `prefix`.
    pub fn accepted_at(&self, prefix: &str) -> Vec<Value> {
        self.records("accepted")
            .into_iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with(prefix)))
            .collect()
    }

    pub fn log(&self) -> String {
        read_lossy(&self.dir.path().join("receiver.log"))
    }
}

impl Drop for NoticeReceiver {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] notice receiver log:\n{}", tail(&self.log(), 60));
        }
    }
}
