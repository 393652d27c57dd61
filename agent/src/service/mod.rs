//! Running the agent as a system service. [`ServiceControl`] is the seam: systemd on Linux
//! ([`systemd`]), the Service Control Manager on Windows (`windows`, compiled there only).

#[cfg(unix)]
mod location;
#[cfg(not(windows))]
pub mod systemd;
#[cfg(windows)]
pub mod windows;

use std::path::Path;

use certdesk_base::Result;

use crate::config::Config;

/// The agent's service on this machine, named `certdesk-agent`.
pub trait ServiceControl {
    /// Registers the service to run `exe run --config CONFIG` at boot; returns what it did.
    fn install(&self, exe: &Path, config: &Config) -> Result<Vec<String>>;
    fn start(&self) -> Result<Vec<String>>;
    fn stop(&self) -> Result<Vec<String>>;
    /// Stops and unregisters the service; the configuration and state stay.
    fn uninstall(&self) -> Result<Vec<String>>;
}

/// This platform's service manager.
pub fn manager() -> Box<dyn ServiceControl> {
    #[cfg(windows)]
    {
        Box::new(windows::Scm)
    }
    #[cfg(not(windows))]
    {
        Box::new(systemd::Systemd::system())
    }
}

pub const NAME: &str = "certdesk-agent";
