//! An RFC 9773 `renewalInfo` endpoint beside Pebble (`tests/fakes/ari_proxy.py`): a TLS proxy
//! with its own small CA that adds ARI to Pebble's directory, answers renewalInfo with the window
//! the test sets, records the `replaces` of new orders, and can play a CA that is down or hold
//! requests (to kill a client mid-order).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{
    free_port, kill_and_reap, make_listener_certs, open_log, read_lossy, tail, tcp_accepts,
    wait_until, Pebble, TempDir,
};

pub struct AriProxy {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: PathBuf,
}

impl AriProxy {
    /// Starts the proxy in front of `pebble` with an empty control file (ARI on, no window).
    pub fn start(pebble: &Pebble) -> AriProxy {
        let dir = TempDir::new("certdesk-ari");
        let (ca, cert, key) = make_listener_certs(dir.path());
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/ari_proxy.py");
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
            .unwrap_or_else(|e| panic!("{}", super::not_found("python3", &e)));
        let proxy = AriProxy {
            dir,
            child: Some(child),
            port,
            ca,
        };
        wait_until("the ARI proxy to listen", Duration::from_secs(30), || {
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

    /// Replaces the control file (see `tests/fakes/ari_proxy.py`), atomically.
    pub fn control(&self, value: Value) {
        let tmp = self.dir.path().join("control.tmp");
        fs::write(&tmp, value.to_string()).expect("write control");
        fs::rename(&tmp, self.dir.path().join("control.json")).expect("move control");
    }

    /// Everything the proxy recorded: `{"event": "renewalInfo", "certID"}`, `{"event":
    /// "newOrder", "replaces"}`, `{"event": "down"|"held", "path"}`.
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

impl Drop for AriProxy {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] ARI proxy log:\n{}", tail(&self.log(), 60));
        }
    }
}
