//! An RFC 9773 `renewalInfo` endpoint beside Pebble (`tests/fakes/ari_proxy.py`): a TLS proxy
//! with its own small CA that adds ARI to Pebble's directory, answers renewalInfo with the window
//! the test sets, records the `replaces` of new orders, and can play a CA that is down, one that
//! refuses new orders with a problem (a rate limit), or hold requests (to kill a client
//! mid-order).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::certdesk::Certdesk;
use super::pebble::Pebble;
use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};
use super::tools::make_listener_certs;

pub struct AriProxy {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: PathBuf,
}

impl AriProxy {
    /// Starts the proxy in front of `pebble` with an empty control file (ARI on, no window).
    pub fn start(pebble: &Pebble) -> AriProxy {
        AriProxy::start_script(pebble, "ari_proxy.py")
    }

    /// [`AriProxy::start`] with another proxy of `tests/fakes/` that takes the same arguments
    /// (e.g. `hostile_ca.py`, which builds on this one).
    pub fn start_script(pebble: &Pebble, script: &str) -> AriProxy {
        let dir = TempDir::new("certdesk-ari");
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

/// One saved certificate issued by Pebble through the ARI proxy, with the built-in responder set
/// in the settings so that its renewals are automated.
pub struct Saved {
    /// The CA behind the proxy.
    pub pebble: Pebble,
    pub proxy: AriProxy,
    pub cd: Certdesk,
    pub id: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Saved {
    /// A certificate for `name` valid `days` days, saved; the proxy answers ARI when `ari`.
    pub fn issue(name: &str, days: u64, ari: bool) -> Saved {
        let pebble = Pebble::builder()
            .config("certificateValidityPeriod", json!(days * 86_400))
            .start();
        let proxy = AriProxy::start(&pebble);
        proxy.control(json!({ "ari": ari }));
        let cd = Certdesk::new();
        super::steps::register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
        let listen = format!("127.0.0.1:{}", pebble.http_port());
        cd.json(["settings", "set", "http01.listen", &listen]);
        let created = cd.json(super::Create::new(&[name], "http-01").with([
            "--http-listen",
            &listen,
            "--save",
        ]));
        assert_eq!(created["status"], "saved", "{created:#}");
        let id = created["id"].as_str().expect("an id").to_owned();
        let cert = cd.json(["cert", "show", &id]);
        Saved {
            not_before: time_of(&cert["not_before"]),
            not_after: time_of(&cert["not_after"]),
            pebble,
            proxy,
            cd,
            id,
        }
    }
}

/// A time as certdesk prints it (RFC 3339).
pub fn time_of(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("a time"), &Rfc3339).expect("an RFC 3339 time")
}

/// The arguments of `certdesk renew --due --dry-run` as if it were `now`, listing what is due
/// by `by`; for [`super::Certdesk::run`] or [`super::Certdesk::json`].
pub fn due_by(now: OffsetDateTime, by: OffsetDateTime) -> [String; 7] {
    [
        "renew".into(),
        "--due".into(),
        "--dry-run".into(),
        "--now".into(),
        rfc(now),
        "--at".into(),
        rfc(by),
    ]
}

/// A time as certdesk takes it (`--now`, `--at`).
pub fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("format")
}
