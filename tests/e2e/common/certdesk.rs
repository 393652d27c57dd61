//! The CLI under test: runs of `certdesk` with a private `--data-dir`, in the foreground or in
//! the background.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::process::{read_lossy, scrub_env, wait_timeout, TempDir, POLL};

/// The limit for one CLI run: the child is killed and the test fails past it.
const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// Panics unless the tests run inside a D-Bus session (where `.ci/test` has unlocked a fresh
/// gnome-keyring): certdesk keeps its secrets in the Secret Service.
pub fn require_keychain() {
    let set = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    if !set {
        panic!(
            "DBUS_SESSION_BUS_ADDRESS is not set, so there is no keychain for certdesk's secrets.\n\
             Run the tests with the README's test command, `.ci/test` (it runs `cargo test \
             --workspace --locked` inside dbus-run-session with a fresh HOME and an unlocked \
             gnome-keyring; extra arguments go to cargo test, e.g. \
             `.ci/test --test e2e -- issuance::`).\n\
             Install its dependencies once with `.ci/setup` (as root)."
        );
    }
}

/// The result of one CLI run.
#[derive(Clone, Debug)]
pub struct Output {
    pub command: String,
    /// `None` if killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics (printing everything) unless the exit code is 0.
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "expected success:\n{self}");
        self
    }

    /// Panics unless the run failed (non-zero exit).
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "expected failure:\n{self}");
        self
    }

    /// Panics unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// stdout parsed as JSON (panics with the whole output if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or("killed by a signal".to_string(), |c| c.to_string());
        write!(
            f,
            "$ {}\nexit code: {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.stdout, self.stderr
        )
    }
}

/// Runs the `certdesk` binary with its own `--data-dir` (a fresh temp dir). Global options go
/// before the subcommand: `certdesk --data-dir DIR [--json] ARGS…`. Stdin is empty unless given,
/// proxies and inherited `CERTDESK_*` variables are removed, `NO_COLOR=1` is set.
pub struct Certdesk {
    data_dir: PathBuf,
    json: bool,
    env: Vec<(OsString, Option<OsString>)>,
    /// The `resolv.conf` every run sees as `/etc/resolv.conf` ([`Certdesk::resolving_through`]).
    resolv_conf: Option<PathBuf>,
    runs: AtomicU64,
    dir: TempDir,
}

impl Certdesk {
    /// A fresh data dir. Panics (see [`require_keychain`]) outside a D-Bus session.
    pub fn new() -> Certdesk {
        require_keychain();
        let dir = TempDir::new("certdesk-cli");
        let data_dir = dir.path().join("data");
        fs::create_dir(&data_dir).expect("create data dir");
        fs::create_dir(dir.path().join("logs")).expect("create logs dir");
        Certdesk {
            data_dir,
            json: false,
            env: Vec::new(),
            resolv_conf: None,
            runs: AtomicU64::new(0),
            dir,
        }
    }

    /// Use another data dir (e.g. to share one between two runners). Created if missing.
    pub fn with_data_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_dir = path.into();
        fs::create_dir_all(&self.data_dir).expect("create data dir");
        self
    }

    /// Add `--json` to every run.
    pub fn json_output(mut self, on: bool) -> Self {
        self.json = on;
        self
    }

    /// Set an environment variable for every run.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Remove an inherited environment variable for every run.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Runs every command in a mount namespace of its own where `/etc/resolv.conf` is
    /// `resolv_conf`: the system's resolver of certdesk's lookups (a request with no DNS
    /// account) becomes a test's server, the machine's own file untouched. Needs `unshare`
    /// and the right to mount (root).
    pub fn resolving_through(mut self, resolv_conf: PathBuf) -> Self {
        self.resolv_conf = Some(resolv_conf);
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A scratch directory for the test's own files (next to the data dir, removed with it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn binary() -> &'static str {
        env!("CARGO_BIN_EXE_certdesk")
    }

    /// The full command (`--data-dir`, `--json` if set, then `args`), for custom use.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command_with(args, self.json)
    }

    fn command_with<I, S>(&self, args: I, json: bool) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = match &self.resolv_conf {
            Some(conf) => {
                let mut cmd = Command::new("unshare");
                cmd.args([
                    "--mount",
                    "sh",
                    "-c",
                    "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
                ])
                .arg(conf)
                .arg(Self::binary());
                cmd
            }
            None => Command::new(Self::binary()),
        };
        scrub_env(&mut cmd);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CERTDESK_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1");
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        cmd.arg("--data-dir").arg(&self.data_dir);
        // clap refuses a flag given twice: add --json only if the test did not.
        if json && !args.iter().any(|a| a == "--json") {
            cmd.arg("--json");
        }
        cmd.args(&args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    fn log_paths(&self, kind: &str) -> (PathBuf, PathBuf) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let logs = self.dir.path().join("logs");
        (
            logs.join(format!("{kind}-{n}.stdout")),
            logs.join(format!("{kind}-{n}.stderr")),
        )
    }

    fn run_inner(&self, mut cmd: Command, input: Option<&[u8]>) -> Output {
        let command = format!("{cmd:?}");
        let (out_path, err_path) = self.log_paths("run");
        cmd.stdout(File::create(&out_path).expect("stdout file"))
            .stderr(File::create(&err_path).expect("stderr file"));
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", Self::binary()));
        let writer = input.map(|data| {
            let mut stdin = child.stdin.take().expect("stdin");
            let data = data.to_vec();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            })
        });
        let status = wait_timeout(&mut child, DEFAULT_RUN_TIMEOUT);
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(w) = writer {
            let _ = w.join();
        }
        let output = Output {
            command,
            code: status.and_then(|s| s.code()),
            stdout: read_lossy(&out_path),
            stderr: read_lossy(&err_path),
        };
        if status.is_none() {
            panic!("certdesk did not finish within {DEFAULT_RUN_TIMEOUT:?}, killed:\n{output}");
        }
        output
    }

    /// Runs `certdesk --data-dir D [--json] args…` to completion.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_inner(self.command(args), None)
    }

    /// Like [`Certdesk::run`], on a pseudo-terminal (util-linux `script`) as an administrator at
    /// a terminal runs it: `stdout` holds all it printed, stderr included.
    pub fn run_on_terminal<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let inner = self.command(args);
        let line: Vec<String> = std::iter::once(inner.get_program())
            .chain(inner.get_args())
            .map(|w| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''")))
            .collect();
        let mut cmd = Command::new("script");
        cmd.args([
            "--quiet",
            "--return",
            "--command",
            &line.join(" "),
            "/dev/null",
        ]);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.current_dir(self.dir.path()).stdin(Stdio::null());
        self.run_inner(cmd, None)
    }

    /// Runs with `--json`, asserts exit 0 and returns stdout parsed as JSON.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run_inner(self.command_with(args, true), None);
        out.assert_success();
        out.json()
    }

    /// Starts `certdesk --data-dir D [--json] args…` in the background (stdout/stderr to files).
    /// The child is killed when the handle is dropped.
    pub fn spawn<I, S>(&self, args: I) -> CertdeskChild
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(args);
        let command = format!("{cmd:?}");
        let (stdout_path, stderr_path) = self.log_paths("spawn");
        cmd.stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", Self::binary()));
        CertdeskChild {
            child,
            command,
            stdout_path,
            stderr_path,
            status: None,
        }
    }
}

impl Default for Certdesk {
    fn default() -> Self {
        Certdesk::new()
    }
}

/// A background `certdesk` process ([`Certdesk::spawn`]); killed on drop.
pub struct CertdeskChild {
    pub child: Child,
    command: String,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    status: Option<ExitStatus>,
}

impl CertdeskChild {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Output so far.
    pub fn stdout(&self) -> String {
        read_lossy(&self.stdout_path)
    }

    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr_path)
    }

    /// `Some(status)` once it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Sends a signal by name (`"TERM"`, `"INT"`, `"HUP"`, …) through the shell's `kill`.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("sh")
            .args([
                "-c",
                "kill -s \"$1\" \"$2\"",
                "sh",
                name,
                &self.child.id().to_string(),
            ])
            .stdin(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -s {name} {} failed", self.child.id());
    }

    /// Polls until stdout or stderr contains `needle`; panics (with the output) after `timeout`
    /// or if the process exits first.
    pub fn wait_for_output(&mut self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            if self.stdout().contains(needle) || self.stderr().contains(needle) {
                return;
            }
            if self.try_wait().is_some() || start.elapsed() > timeout {
                let why = if self.status.is_some() {
                    "exited"
                } else {
                    "timed out"
                };
                panic!("{why} before printing {needle:?}:\n{}", self.output());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for exit at most `timeout` (panics after killing it otherwise).
    pub fn wait(&mut self, timeout: Duration) -> Output {
        if self.status.is_none() {
            self.status = wait_timeout(&mut self.child, timeout);
        }
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
            panic!(
                "certdesk did not exit within {timeout:?}, killed:\n{}",
                self.output()
            );
        }
        self.output()
    }

    /// SIGKILL, then the output.
    pub fn kill(&mut self) -> Output {
        if self.try_wait().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
        self.output()
    }

    fn output(&self) -> Output {
        Output {
            command: self.command.clone(),
            code: self.status.and_then(|s| s.code()),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for CertdeskChild {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
