//! The agent as a systemd unit: `install` copies the running binary to
//! `/usr/local/lib/certdesk-agent/certdesk-agent` (root's alone), writes
//! `/etc/systemd/system/certdesk-agent.service`, hardened as far as the agent's work allows, and
//! enables it; `start`, `stop` and `uninstall` call `systemctl`.

use std::path::{Path, PathBuf};
use std::process::Command;

use certdesk_base::{Error, Result};

use super::location::{check_root_only, place_binary};
use super::{ServiceControl, NAME};
use crate::config::{Config, Http01};

/// Stages the install under this folder instead of `/` (packagers, tests): the binary and the
/// unit are written below it and `systemctl` is left alone.
pub const DESTDIR_ENV: &str = "CERTDESK_AGENT_DESTDIR";

pub struct Systemd {
    /// `/`, or the staging folder.
    root: PathBuf,
    /// Whether `systemctl` runs (not when staging).
    live: bool,
}

impl Systemd {
    pub fn system() -> Self {
        match std::env::var_os(DESTDIR_ENV) {
            Some(dir) => Self {
                root: PathBuf::from(dir),
                live: false,
            },
            None => Self {
                root: PathBuf::from("/"),
                live: true,
            },
        }
    }

    fn unit_path(&self) -> PathBuf {
        self.root
            .join("etc/systemd/system")
            .join(format!("{NAME}.service"))
    }
}

/// Where the installed binary lives, as the unit names it.
const BINARY_DIR: &str = "/usr/local/lib/certdesk-agent";

/// The folders the agent writes: its state, the web root, and the folders of the certificate
/// files (each file is staged and backed up beside itself). Everything else is read-only to it.
fn writable_paths(config: &Config) -> Vec<PathBuf> {
    let mut paths = vec![config.state_dir.clone()];
    if let Some(Http01::Webroot(root)) = &config.http01 {
        paths.push(root.clone());
    }
    for file in &config.files {
        if let Some(dir) = Path::new(&file.path).parent() {
            paths.push(dir.to_path_buf());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The unit: restarted when it fails, after the network is up (it listens on an address), and
/// kept from what its work does not need. It runs as root (it binds port 80, writes files other
/// users own and runs the administrator's reload command), so the sandbox does the narrowing:
/// the file system is read-only but for [`writable_paths`], home folders are read-only, no
/// privilege can be gained, only IP and local sockets can be opened, the kernel's settings,
/// modules, logs and clock are out of reach.
fn unit_text(exe: &Path, config: &Config) -> String {
    let writable = writable_paths(config);
    // A path under /tmp would vanish behind a private /tmp.
    let private_tmp = !writable
        .iter()
        .any(|p| p.starts_with("/tmp") || p.starts_with("/var/tmp"));
    let read_write: Vec<String> = writable
        .iter()
        .map(|p| format!("\"-{}\"", p.display()))
        .collect();
    format!(
        "[Unit]\n\
         Description=certdesk agent: answers http-01 and installs certificates for certdesk\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         ExecStart=\"{}\" run --config \"{}\"\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         NoNewPrivileges=yes\n\
         ProtectSystem=strict\n\
         ReadWritePaths={}\n\
         ProtectHome=read-only\n\
         PrivateTmp={}\n\
         PrivateDevices=yes\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         SystemCallArchitectures=native\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        exe.display(),
        config.path.display(),
        read_write.join(" "),
        if private_tmp { "yes" } else { "no" },
    )
}

fn systemctl(args: &[&str]) -> Result<String> {
    let shown = format!("systemctl {}", args.join(" "));
    let output = Command::new("systemctl").args(args).output().map_err(|e| {
        Error::input(format!(
            "cannot run `{shown}` ({e}): is this a systemd system? Otherwise run \
             `certdesk-agent run` from your init system"
        ))
    })?;
    if output.status.success() {
        Ok(format!("ran `{shown}`"))
    } else {
        Err(Error::input(format!(
            "`{shown}` failed: {} (are you root?)",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

impl ServiceControl for Systemd {
    fn install(&self, exe: &Path, config: &Config) -> Result<Vec<String>> {
        // The configuration says which commands run as root, and the state folder holds the
        // token's hash: only root may be able to change either.
        check_root_only(&config.path, "the configuration")?;
        // A state folder not made yet is made at the first run, under its nearest folder.
        let state = config
            .state_dir
            .ancestors()
            .find(|dir| dir.exists())
            .unwrap_or(Path::new("/"));
        check_root_only(state, "the state folder")?;
        let staged_dir = self.root.join(BINARY_DIR.trim_start_matches('/'));
        let placed = place_binary(exe, &staged_dir, NAME)?;
        let installed = Path::new(BINARY_DIR).join(NAME);
        let path = self.unit_path();
        std::fs::write(&path, unit_text(&installed, config)).map_err(|e| {
            Error::input(format!(
                "cannot write {} ({e}): run `certdesk-agent install` as root",
                path.display()
            ))
        })?;
        let mut done = vec![
            format!("copied {} to {}", exe.display(), placed.display()),
            format!("wrote {}", path.display()),
        ];
        if self.live {
            done.push(systemctl(&["daemon-reload"])?);
            done.push(systemctl(&["enable", NAME])?);
            done.push(format!(
                "start it with `certdesk-agent start` (or `systemctl start {NAME}`)"
            ));
        } else {
            done.push(format!(
                "staged under {} ({DESTDIR_ENV}): systemctl was not run",
                self.root.display()
            ));
        }
        Ok(done)
    }

    fn start(&self) -> Result<Vec<String>> {
        Ok(vec![systemctl(&["start", NAME])?])
    }

    fn stop(&self) -> Result<Vec<String>> {
        Ok(vec![systemctl(&["stop", NAME])?])
    }

    fn uninstall(&self) -> Result<Vec<String>> {
        let path = self.unit_path();
        // The installed binary stays: a running `certdesk-agent uninstall` may be it.
        let mut done = vec![systemctl(&["disable", "--now", NAME])?];
        std::fs::remove_file(&path).map_err(|e| Error::file(&path, e))?;
        done.push(format!("removed {}", path.display()));
        done.push(systemctl(&["daemon-reload"])?);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/etc/certdesk-agent/agent.json"), text).unwrap()
    }

    #[test]
    fn the_unit_runs_the_agent_sandboxed_with_write_access_where_it_works() {
        let text = unit_text(
            Path::new("/usr/local/lib/certdesk-agent/certdesk-agent"),
            &config(
                r#"{"listen": "0.0.0.0:8443", "names": ["example.com"],
                    "webroot": "/var/www/html",
                    "files": [{"path": "/etc/nginx/tls/site.pem", "format": "fullchain"},
                              {"path": "/etc/nginx/tls/site.key", "format": "key"}]}"#,
            ),
        );
        assert!(text.contains(
            "ExecStart=\"/usr/local/lib/certdesk-agent/certdesk-agent\" run --config \"/etc/certdesk-agent/agent.json\""
        ));
        assert!(text.contains(
            "ReadWritePaths=\"-/etc/certdesk-agent\" \"-/etc/nginx/tls\" \"-/var/www/html\"\n"
        ));
        for line in [
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
        ] {
            assert!(text.contains(line), "{line}:\n{text}");
        }
        assert!(text.contains("WantedBy=multi-user.target"));
    }

    /// systemd's own check of the unit, when systemd-analyze is installed (Debian's systemd
    /// package): no warning, and every setting known.
    #[test]
    fn systemd_analyze_finds_nothing_wrong_with_the_unit() {
        let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
            eprintln!("skipped: no systemd-analyze");
            return;
        };
        assert!(probe.status.success());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/unit-tests")
            .join(std::process::id().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let unit = dir.join(format!("{NAME}.service"));
        let exe = std::env::current_exe().unwrap();
        let text = unit_text(
            &exe,
            &config(r#"{"listen": "0.0.0.0:8443", "names": ["example.com"]}"#),
        );
        std::fs::write(&unit, text).unwrap();
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&unit)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(out.status.success() && said.trim().is_empty(), "{said}");
    }
}
