//! Publishing dns-01 TXT records for the paired certdesk. [`TxtRecords`] is the seam between the
//! API and the platform: the administrator's DNS command (any platform, run the way
//! [`certdesk_base::dns::command`] describes) or the Windows DNS Server's cmdlets
//! (`windows_dns`, compiled on Windows only). certdesk waits for the nameservers itself.

use certdesk_base::agent_api::TxtChange;
use certdesk_base::dns::command::DnsCommand;
use certdesk_base::{Error, Result};

use crate::config::Dns01;

#[cfg(windows)]
mod windows_dns;

#[async_trait::async_trait]
pub trait TxtRecords: Send + Sync {
    /// How the records are published, in words, for the health call.
    fn describe(&self) -> String;

    /// Adds or removes one value ([`TxtChange::value`], checked by the API beforehand), as
    /// `change.action` says; a value already gone is fine.
    async fn change(&self, change: &TxtChange) -> Result<()>;
}

/// The publisher the configuration asks for; none when the agent does not answer dns-01.
pub fn for_config(config: Option<&Dns01>) -> Option<Box<dyn TxtRecords>> {
    let records: Box<dyn TxtRecords> = match config? {
        Dns01::Command(command) => Box::new(Command(command.clone())),
        #[cfg(windows)]
        Dns01::WindowsDnsServer => Box::new(windows_dns::DnsServer),
    };
    Some(records)
}

struct Command(DnsCommand);

#[async_trait::async_trait]
impl TxtRecords for Command {
    fn describe(&self) -> String {
        format!("its DNS command {}", self.0.describe())
    }

    async fn change(&self, change: &TxtChange) -> Result<()> {
        self.0
            .run_here(change.action, &change.fqdn, &change.value())
            .await
            .map_err(|why| {
                Error::Deploy(format!(
                    "{} on the agent's server failed: {why}",
                    self.0.doing(change.action, &change.fqdn)
                ))
            })
    }
}
