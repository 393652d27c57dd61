//! Started where there is no graphical session (a server, an SSH login, a CI job), the window
//! says so in one line and exits non-zero, before it opens or creates anything.

use std::process::Command;

#[cfg(target_os = "linux")]
#[test]
fn without_a_display_the_app_says_so_in_one_line() {
    let data = std::env::temp_dir().join(format!("certdesk-no-display-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_certdesk-app"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("CERTDESK_DATA_DIR", &data)
        .output()
        .expect("certdesk-app runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("certdesk: the window needs a graphical session")
            && stderr.contains("DISPLAY and WAYLAND_DISPLAY are unset")
            && stderr.contains("certdesk daemon"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!data.exists(), "nothing was created: {}", data.display());
}
