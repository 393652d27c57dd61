//! The real `certdesk-agent run` on loopback, for the tests that pair with it or attack it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{json, Value};

use super::certdesk::Certdesk;
use super::process::{free_port, wait_until, TempDir};
use super::tools::curl;

/// `certdesk-agent`, built into the same folder as the `certdesk` binary under test (cargo only
/// gives the path of a package's own binaries to its tests).
pub fn agent_binary() -> PathBuf {
    let path = Path::new(Certdesk::binary()).with_file_name("certdesk-agent");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p certdesk-agent`",
        path.display()
    );
    path
}

/// A running `certdesk-agent run` with its own configuration and state folder, killed on drop.
pub struct Agent {
    child: Child,
    /// The agent's folder: `agent.json`, its state, what it printed (`agent.out`, `agent.log`).
    pub dir: TempDir,
    /// The loopback port its API listens on.
    pub port: u16,
    /// `SHA256 AB:CD:…`'s value as the agent printed it at start.
    pub fingerprint: String,
    /// The `ulimit -n` it runs under, kept for [`Agent::start_again`].
    max_files: Option<u32>,
}

impl Agent {
    /// Writes `agent.json` (`listen` on a free loopback port plus `settings`) and starts the
    /// agent.
    pub fn start(settings: Value) -> Agent {
        Self::start_limited(settings, None)
    }

    /// [`Agent::start`], allowed `max_files` open file descriptors (the shell's `ulimit -n`)
    /// when given.
    pub fn start_limited(settings: Value, max_files: Option<u32>) -> Agent {
        let dir = TempDir::new("certdesk-agent");
        let port = free_port();
        let mut agent = Agent {
            child: Self::spawn(&dir, port, &settings, max_files),
            dir,
            port,
            fingerprint: String::new(),
            max_files,
        };
        agent.wait_started();
        agent.fingerprint = agent
            .stdout()
            .lines()
            .find_map(|l| l.strip_prefix("fingerprint SHA256 "))
            .unwrap_or_else(|| panic!("no fingerprint in:\n{}", agent.stdout()))
            .trim()
            .to_owned();
        agent
    }

    fn spawn(dir: &TempDir, port: u16, settings: &Value, max_files: Option<u32>) -> Child {
        let mut config = json!({"listen": format!("127.0.0.1:{port}")});
        for (k, v) in settings.as_object().expect("an object of settings") {
            config[k] = v.clone();
        }
        fs::write(dir.path().join("agent.json"), config.to_string()).expect("write agent.json");
        let mut command = Command::new("sh");
        let limit = max_files.map_or_else(String::new, |n| format!("ulimit -n {n} && "));
        command.args(["-c", &format!("{limit}exec \"$0\" \"$@\"")]);
        command
            .arg(agent_binary())
            .arg("--config")
            .arg(dir.path().join("agent.json"))
            .arg("run")
            .stdout(fs::File::create(dir.path().join("agent.out")).expect("stdout file"))
            .stderr(fs::File::create(dir.path().join("agent.log")).expect("log"))
            .spawn()
            .expect("start certdesk-agent")
    }

    fn wait_started(&mut self) {
        wait_until("certdesk-agent to start", Duration::from_secs(30), || {
            assert!(
                self.child.try_wait().expect("agent status").is_none(),
                "certdesk-agent stopped:\n{}\n{}",
                self.stdout(),
                self.log()
            );
            self.stdout().contains("installs:")
        });
    }

    /// The agent's process id (the shell `exec`s it, so this is the agent itself).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the agent; its identity and pairing stay in its folder.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the stopped agent again, same folder and port, with `settings` as its settings.
    pub fn start_again(&mut self, settings: Value) {
        self.child = Self::spawn(&self.dir, self.port, &settings, self.max_files);
        self.wait_started();
        assert!(
            self.stdout().contains(&self.fingerprint),
            "the agent kept its identity:\n{}",
            self.stdout()
        );
    }

    /// `certdesk-agent --config DIR/agent.json ARGS…`, for its other subcommands.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(agent_binary());
        cmd.arg("--config")
            .arg(self.dir.path().join("agent.json"))
            .args(args);
        cmd
    }

    /// What the agent printed, as an administrator reads it.
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.dir.path().join("agent.out")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The agent's log (its stderr): one line a request.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// `certdesk-agent pair --token-file FILE` on the server.
    pub fn pair(&self, token_file: &Path) {
        let out = self
            .command(&["pair", "--token-file"])
            .arg(token_file)
            .output()
            .expect("run certdesk-agent pair");
        assert!(
            out.status.success(),
            "certdesk-agent pair failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A raw call to the agent's API with `curl` (the agent's certificate is self-signed).
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> u16 {
        self.answer(method, path, token, body).0
    }

    /// [`Agent::call`] with the answer's body.
    pub fn answer(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let url = format!("{}{path}", self.url());
        let auth = token.map(|t| format!("Authorization: Bearer {t}"));
        let mut args = vec!["-k", "-X", method, url.as_str()];
        if let Some(auth) = &auth {
            args.extend(["-H", auth.as_str()]);
        }
        if let Some(body) = body {
            args.extend(["-H", "Content-Type: application/json", "--data", body]);
        }
        curl(&args).expect("curl")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("[agent]\n{}{}", self.stdout(), self.log());
        }
    }
}
