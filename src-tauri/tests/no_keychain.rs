//! Started in a desktop session without a Secret Service (a bare window manager, a kiosk), the app
//! says so in one line and exits 3, as the CLI does, instead of a window that cannot open anything.
//!
//! The session is made here: Xvfb for the display and a D-Bus session bus of its own whose
//! configuration activates no services, so no Secret Service (and no notification daemon) can
//! start on it.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A session bus with no service directories: nothing can be activated on it.
const BARE_SESSION_BUS: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

fn installed(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A bare session bus, ended when dropped. Started here rather than by `dbus-run-session`, whose
/// daemon writes its own warnings (an fd limit it may not raise) to the stderr under test.
struct BareBus {
    daemon: Child,
    address: String,
}

impl BareBus {
    fn start(config: &Path) -> Self {
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        let stdout = daemon.stdout.take().expect("the daemon's stdout");
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        Self {
            daemon,
            address: address.trim().to_owned(),
        }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[test]
fn without_a_secret_service_the_app_says_so_in_one_line_and_exits_3() {
    if !(installed("xvfb-run") && installed("dbus-daemon")) {
        eprintln!("skipped: xvfb-run and dbus-daemon are needed (.ci/setup app)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("certdesk-no-keychain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let config = dir.join("session.conf");
    std::fs::write(&config, BARE_SESSION_BUS).expect("the bus configuration is written");
    let bus = BareBus::start(&config);
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 800x600x24"])
        .arg(env!("CARGO_BIN_EXE_certdesk-app"))
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("CERTDESK_DATA_DIR", dir.join("data"))
        // A desktop session has an accessibility bus; this bare one has none, and GTK would warn
        // about it on stderr.
        .env("NO_AT_BRIDGE", "1")
        .output()
        .expect("xvfb-run runs");
    drop(bus);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("certdesk: the OS keychain is not available")
            && stderr.contains("Secret Service"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
