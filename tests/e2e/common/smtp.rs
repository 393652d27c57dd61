//! A real SMTP server for the mail tests: `tests/fakes/smtp_sink.py` (aiosmtpd) on a free
//! loopback port, plain, STARTTLS or TLS with its own small CA, optionally requiring a login. It
//! keeps each message it accepts, parsed by Python's `email` package, for the test to inspect.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::certdesk::Certdesk;
use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};
use super::tools::make_listener_certs;

/// The sender and recipient the tests configure.
pub const FROM: &str = "certdesk@example.com";
pub const TO: &str = "admin@example.com";

/// Points `cd` at the SMTP server on `port` with `security`, from [`FROM`] to [`TO`].
pub fn configure(cd: &Certdesk, port: u16, security: Security) {
    cd.json([
        "settings",
        "set",
        "smtp.from",
        FROM,
        "smtp.to",
        TO,
        "smtp.host",
        "127.0.0.1",
        "smtp.port",
        &port.to_string(),
        "smtp.security",
        security.id(),
    ]);
}

/// How the sink protects its connections (the `smtp.security` setting that reaches it).
#[derive(Clone, Copy)]
pub enum Security {
    None,
    Starttls,
    Tls,
}

impl Security {
    pub fn id(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Starttls => "starttls",
            Self::Tls => "tls",
        }
    }
}

pub struct SmtpSink {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    ca: Option<PathBuf>,
}

impl SmtpSink {
    /// A plain SMTP server without login.
    pub fn start() -> SmtpSink {
        Self::start_with(Security::None, None)
    }

    /// A server with `security` (TLS certificates from a fresh CA, see [`SmtpSink::ca_path`])
    /// that, given `login` (user, password), refuses mail from anyone who has not logged in.
    pub fn start_with(security: Security, login: Option<(&str, &str)>) -> SmtpSink {
        let dir = TempDir::new("certdesk-smtp");
        let mail = dir.path().join("mail");
        fs::create_dir(&mail).expect("create mail dir");
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .args(["--port", &port.to_string(), "--security", security.id()])
            .arg("--dir")
            .arg(&mail);
        let ca = match security {
            Security::None => None,
            Security::Starttls | Security::Tls => {
                let (ca, cert, key) = make_listener_certs(dir.path());
                cmd.arg("--cert").arg(cert).arg("--key").arg(key);
                Some(ca)
            }
        };
        if let Some((user, password)) = login {
            cmd.args(["--user", user, "--password", password]);
        }
        let (out, err) = open_log(&dir.path().join("smtp.log"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("python3", &e)));
        let sink = SmtpSink {
            dir,
            child: Some(child),
            port,
            ca,
        };
        wait_until("the SMTP sink to listen", Duration::from_secs(30), || {
            tcp_accepts(port)
        });
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM root of the server's certificate (TLS and STARTTLS sinks).
    pub fn ca_path(&self) -> &Path {
        self.ca.as_deref().expect("a TLS sink")
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The number of messages accepted so far.
    pub fn count(&self) -> usize {
        fs::read_dir(self.mail_dir())
            .expect("read mail dir")
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.ends_with(".json") && !name.starts_with('.')
            })
            .count()
    }

    /// Message `n` (1-based) once it has arrived: envelope, From/To/Subject, text body and
    /// attachments (`path` of each, saved beside it).
    pub fn message(&self, n: usize) -> Value {
        let path = self.mail_dir().join(format!("{n}.json"));
        wait_until(
            &format!("message {n} to arrive"),
            Duration::from_secs(30),
            || path.exists(),
        );
        serde_json::from_str(&read_lossy(&path)).expect("message summary is JSON")
    }

    /// The raw message `n` as received.
    pub fn raw(&self, n: usize) -> String {
        read_lossy(&self.mail_dir().join(format!("{n}.eml")))
    }

    pub fn log(&self) -> String {
        read_lossy(&self.dir.path().join("smtp.log"))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] SMTP sink log:\n{}", tail(&self.log(), 60));
        }
    }
}
