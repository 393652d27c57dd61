//! The agent as a systemd unit: `install` writes `/etc/systemd/system/certdesk-agent.service`
//! and enables it; `start`, `stop` and `uninstall` call `systemctl`.

use std::path::{Path, PathBuf};
use std::process::Command;

use certdesk_engine::{Error, Result};

use super::{ServiceControl, NAME};

pub struct Systemd {
    unit_dir: PathBuf,
}

impl Systemd {
    pub fn system() -> Self {
        Self {
            unit_dir: PathBuf::from("/etc/systemd/system"),
        }
    }

    fn unit_path(&self) -> PathBuf {
        self.unit_dir.join(format!("{NAME}.service"))
    }
}

/// The unit: restarted when it fails, after the network is up (it listens on an address).
fn unit_text(exe: &Path, config: &Path) -> String {
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
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        exe.display(),
        config.display()
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
    fn install(&self, exe: &Path, config: &Path) -> Result<Vec<String>> {
        let path = self.unit_path();
        std::fs::write(&path, unit_text(exe, config)).map_err(|e| {
            Error::input(format!(
                "cannot write {} ({e}): run `certdesk-agent install` as root",
                path.display()
            ))
        })?;
        Ok(vec![
            format!("wrote {}", path.display()),
            systemctl(&["daemon-reload"])?,
            systemctl(&["enable", NAME])?,
            format!("start it with `certdesk-agent start` (or `systemctl start {NAME}`)"),
        ])
    }

    fn start(&self) -> Result<Vec<String>> {
        Ok(vec![systemctl(&["start", NAME])?])
    }

    fn stop(&self) -> Result<Vec<String>> {
        Ok(vec![systemctl(&["stop", NAME])?])
    }

    fn uninstall(&self) -> Result<Vec<String>> {
        let path = self.unit_path();
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

    #[test]
    fn the_unit_runs_the_agent_with_its_configuration() {
        let text = unit_text(
            Path::new("/usr/local/bin/certdesk-agent"),
            Path::new("/etc/certdesk-agent/agent.json"),
        );
        assert!(text.contains(
            "ExecStart=\"/usr/local/bin/certdesk-agent\" run --config \"/etc/certdesk-agent/agent.json\""
        ));
        assert!(text.contains("WantedBy=multi-user.target"));
    }
}
