//! `certdesk-agent` on its own, before any certdesk pairs with it: what an administrator sees
//! when setting it up. (The paired agent is tested with certdesk in the workspace's
//! `tests/e2e/agent.rs`, which runs the binary that `cargo test --workspace` builds for this
//! file; alone, that module needs `cargo build -p certdesk-agent` first.)

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const AGENT: &str = env!("CARGO_BIN_EXE_certdesk-agent");

struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str, config: &str) -> Setup {
        let dir =
            std::env::temp_dir().join(format!("certdesk-agent-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("agent.json"), config).expect("config");
        Setup { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(AGENT);
        cmd.arg("--config")
            .arg(self.dir.join("agent.json"))
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run certdesk-agent")
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_configuration_mistake_is_named_with_the_file() {
    let setup = Setup::new(
        "bad",
        r#"{"listen": "8443", "names": ["example.com"], "webroot": "/srv/www"}"#,
    );
    let out = setup.run(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("agent.json") && err.contains("IP:PORT"),
        "{err}"
    );

    let missing = setup.dir.join("nowhere.json");
    let out = Command::new(AGENT)
        .args(["run", "--config"])
        .arg(&missing)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nowhere.json"));
}

#[test]
fn the_fingerprint_is_the_one_openssl_reads_and_an_unpaired_agent_answers_nobody() {
    let port = free_port();
    let setup = Setup::new(
        "unpaired",
        &format!(
            r#"{{"listen": "127.0.0.1:{port}", "names": ["example.com"], "webroot": "/nonexistent/www"}}"#
        ),
    );
    let out = setup.run(&["fingerprint"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let fingerprint = printed
        .trim()
        .strip_prefix("fingerprint SHA256 ")
        .unwrap_or_else(|| panic!("{printed}"));
    let cert = setup.dir.join("agent-cert.pem");
    let openssl = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl");
    assert_eq!(
        text(&openssl.stdout).trim(),
        format!("sha256 Fingerprint={fingerprint}"),
        "the agent prints the fingerprint as openssl does"
    );
    assert_eq!(mode(&setup.dir.join("agent-key.pem")), 0o600);

    let _agent = Running(
        setup
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start"),
    );
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the agent did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = |token: Option<&str>| {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sk",
            "--noproxy",
            "*",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ]);
        if let Some(t) = token {
            cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        let out = cmd
            .arg(format!("https://127.0.0.1:{port}/v1/health"))
            .output()
            .expect("curl");
        text(&out.stdout)
    };
    assert_eq!(status(None), "401");
    assert_eq!(status(Some(&"A".repeat(43))), "403");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("file").permissions().mode() & 0o777
}
