//! A throw-away OpenSSH server (`/usr/sbin/sshd -D`) on a free loopback port, with its own host
//! key and a key-only login for the user running the tests (root in CI: `PermitRootLogin
//! prohibit-password`). SFTP is sshd's built-in `internal-sftp`.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};

pub struct Sshd {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    host_key_type: &'static str,
}

/// A client key for [`Sshd::authorize_new_key`].
pub struct ClientKey<'a> {
    /// `ssh-keygen -t`: ed25519, ecdsa or rsa.
    pub key_type: &'a str,
    /// Written as PEM (`ssh-keygen -m PEM`) instead of OpenSSH's own format.
    pub pem: bool,
    /// Empty for none.
    pub passphrase: &'a str,
}

impl Sshd {
    /// Starts sshd with a fresh ed25519 host key and a fresh client key authorised for the
    /// current user, and waits until it accepts connections.
    pub fn start() -> Sshd {
        Self::start_with_host_key("ed25519")
    }

    /// [`Sshd::start`] with a host key of another `ssh-keygen -t` type, the only one the server
    /// offers.
    pub fn start_with_host_key(host_key_type: &'static str) -> Sshd {
        let dir = TempDir::new("certdesk-sshd");
        let port = free_port();
        keygen(&dir.path().join("client_key"), "ed25519");
        fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .expect("write authorized_keys");
        let d = dir.path().display();
        fs::write(
            dir.path().join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n"
            ),
        )
        .expect("write sshd_config");
        // sshd refuses to start without its privilege separation directory.
        fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let mut sshd = Sshd {
            dir,
            child: None,
            port,
            host_key_type,
        };
        sshd.new_host_key();
        sshd.spawn();
        sshd
    }

    fn spawn(&mut self) {
        let (out, err) = open_log(&self.dir.path().join("sshd.log"));
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("/usr/sbin/sshd", &e)));
        self.child = Some(child);
        let port = self.port;
        wait_until(
            "sshd to accept connections",
            Duration::from_secs(30),
            || tcp_accepts(port),
        );
    }

    fn new_host_key(&self) {
        let key = self.dir.path().join("host_key");
        let _ = fs::remove_file(&key);
        let _ = fs::remove_file(key.with_extension("pub"));
        keygen(&key, self.host_key_type);
    }

    /// The server is "reinstalled": a new host key, same port.
    pub fn replace_host_key(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        let port = self.port;
        wait_until(
            "the old sshd to close its port",
            Duration::from_secs(10),
            || !tcp_accepts(port),
        );
        self.new_host_key();
        self.spawn();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user the tests log in as: whoever runs them.
    pub fn user(&self) -> String {
        super::tools::tool("id", ["-un"]).trim().to_owned()
    }

    /// The client's private key, OpenSSH text, as a mapping's `private_key`.
    pub fn client_key(&self) -> String {
        fs::read_to_string(self.dir.path().join("client_key")).expect("read client key")
    }

    /// A further client key, authorised like the first; its private key text.
    pub fn authorize_new_key(&self, key: ClientKey) -> String {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let path = self.dir.path().join(format!(
            "client_key_{}",
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        let path_text = path.to_str().expect("UTF-8 temp dir");
        let mut args = vec![
            "-q",
            "-t",
            key.key_type,
            "-N",
            key.passphrase,
            "-f",
            path_text,
        ];
        if key.pem {
            args.extend(["-m", "PEM"]);
        }
        super::tools::tool("ssh-keygen", args);
        let public = fs::read_to_string(path.with_extension("pub")).expect("read public key");
        let authorized = self.dir.path().join("authorized_keys");
        let mut all = fs::read_to_string(&authorized).expect("read authorized_keys");
        all.push_str(&public);
        fs::write(&authorized, all).expect("write authorized_keys");
        fs::read_to_string(path).expect("read client key")
    }

    /// `SHA256:…` of the host key, as `ssh-keygen -lf` prints it.
    pub fn host_key_sha256(&self) -> String {
        let out = super::tools::tool(
            "ssh-keygen",
            [
                "-lf",
                self.dir
                    .path()
                    .join("host_key.pub")
                    .to_str()
                    .expect("UTF-8"),
            ],
        );
        out.split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected ssh-keygen output: {out}"))
            .to_owned()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        tail(&read_lossy(&self.dir.path().join("sshd.log")), 40)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] sshd log:\n{}", self.log());
        }
    }
}

/// A new key pair of `key_type` at `path` and `path.pub`, without a passphrase.
fn keygen(path: &Path, key_type: &str) {
    super::tools::tool(
        "ssh-keygen",
        [
            "-q",
            "-t",
            key_type,
            "-N",
            "",
            "-C",
            "certdesk-test",
            "-f",
            path.to_str().expect("UTF-8 temp dir"),
        ],
    );
}
