//! dns-01 TXT records in the zones of this server's DNS Server role ([`DnsServer`], a
//! [`TxtRecords`]). Compiled and tested on Windows only.

use certdesk_base::agent_api::{Action, TxtChange};
use certdesk_base::Result;

use super::TxtRecords;
use crate::powershell::powershell;

/// TXT records in a zone this server's DNS Server role hosts, through its PowerShell cmdlets.
pub struct DnsServer;

/// Adds `$env:CERTDESK_VALUE` at `$env:CERTDESK_NAME` (relative) in `$env:CERTDESK_ZONE`.
const ADD_TXT: &str = r#"
$ErrorActionPreference = 'Stop'
Add-DnsServerResourceRecord -ZoneName $env:CERTDESK_ZONE -Name $env:CERTDESK_NAME -Txt -DescriptiveText $env:CERTDESK_VALUE -TimeToLive (New-TimeSpan -Seconds 60)
"#;

/// Removes that value only; other TXT values at the name stay, and a value already gone is fine.
const REMOVE_TXT: &str = r#"
$ErrorActionPreference = 'Stop'
Get-DnsServerResourceRecord -ZoneName $env:CERTDESK_ZONE -Name $env:CERTDESK_NAME -RRType Txt -ErrorAction SilentlyContinue |
  Where-Object { $_.RecordData.DescriptiveText -eq $env:CERTDESK_VALUE } |
  Remove-DnsServerResourceRecord -ZoneName $env:CERTDESK_ZONE -Force
"#;

#[async_trait::async_trait]
impl TxtRecords for DnsServer {
    fn describe(&self) -> String {
        "the DNS Server on this machine (Add-DnsServerResourceRecord)".into()
    }

    async fn change(&self, change: &TxtChange) -> Result<()> {
        let script = match change.action {
            Action::Present => ADD_TXT,
            Action::Cleanup => REMOVE_TXT,
        };
        let name = change.relative_name();
        let value = change.value();
        powershell(
            script,
            &[
                ("CERTDESK_ZONE", change.zone.as_str()),
                ("CERTDESK_NAME", name.as_str()),
                ("CERTDESK_VALUE", value.as_str()),
            ],
        )
        .await
        .map(drop)
    }
}
