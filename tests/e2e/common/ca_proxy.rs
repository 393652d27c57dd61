//! A TLS proxy in front of Pebble (`tests/fakes/ca_proxy.py`) with its own small CA, for what
//! Pebble 2.10 cannot do itself: record the requests a client makes (renewalInfo lookups, new
//! orders with their `replaces`), be a CA without ARI or without profiles, send another Retry-After with renewal
//! information, be down, refuse new orders with a problem (a rate limit), hold a request (to
//! kill a client mid-order), drip or flood an answer, or list other URLs in its directory.
//! Renewal information itself is Pebble's ([`super::Pebble::set_renewal_info`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::pebble::Pebble;
use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};
use super::tools::make_listener_certs;

pub struct CaProxy {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: PathBuf,
}

impl CaProxy {
    /// Starts the proxy in front of `pebble` with an empty control file: everything passed on
    /// (Pebble's own renewalInfo included) and recorded.
    pub fn start(pebble: &Pebble) -> CaProxy {
        CaProxy::start_script(pebble, "ca_proxy.py")
    }

    /// [`CaProxy::start`] with another proxy of `tests/fakes/` that takes the same arguments
    /// (e.g. `hostile_ca.py`, which builds on this one).
    pub fn start_script(pebble: &Pebble, script: &str) -> CaProxy {
        let dir = TempDir::new("certdesk-ca-proxy");
        let (ca, cert, key) = make_listener_certs(dir.path());
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fakes")
            .join(script);
        let (out, err) = open_log(&dir.path().join("proxy.log"));
        fs::write(dir.path().join("control.json"), "{}").expect("write control");
        let child = Command::new("python3")
            .arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .args(["--upstream", &format!("127.0.0.1:{}", pebble.acme_port())])
            .arg("--upstream-ca")
            .arg(pebble.ca_root_path())
            .arg("--control")
            .arg(dir.path().join("control.json"))
            .arg("--record")
            .arg(dir.path().join("record.jsonl"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("python3", &e)));
        let proxy = CaProxy {
            dir,
            child: Some(child),
            port,
            ca,
        };
        wait_until("the CA proxy to listen", Duration::from_secs(30), || {
            tcp_accepts(port)
        });
        proxy
    }

    /// The directory certdesk registers with (`--directory`).
    pub fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    /// The root of the proxy's TLS certificate (`--ca-root`).
    pub fn ca_root_path(&self) -> &str {
        self.ca.to_str().expect("UTF-8 temp path")
    }

    /// Replaces the control file (see `tests/fakes/ca_proxy.py`), atomically.
    pub fn control(&self, value: Value) {
        let tmp = self.dir.path().join("control.tmp");
        fs::write(&tmp, value.to_string()).expect("write control");
        fs::rename(&tmp, self.dir.path().join("control.json")).expect("move control");
    }

    /// Everything the proxy recorded: `{"event": "renewalInfo", "certID"}`, `{"event":
    /// "newOrder", "replaces", "refused"}`, `{"event": "down"|"held", "path"}`.
    pub fn events(&self) -> Vec<Value> {
        read_lossy(&self.dir.path().join("record.jsonl"))
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON record line"))
            .collect()
    }

    /// The recorded events of one kind.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == kind)
            .collect()
    }

    pub fn log(&self) -> String {
        read_lossy(&self.dir.path().join("proxy.log"))
    }
}

impl Drop for CaProxy {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] CA proxy log:\n{}", tail(&self.log(), 60));
        }
    }
}
