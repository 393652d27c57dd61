//! Installing into the LocalMachine\My certificate store with the IIS site's https binding
//! ([`IisStore`], an [`Installer`]). Compiled and tested on Windows only.

use std::path::PathBuf;

use certdesk_base::agent_api::{InstallBundle, Installed};
use certdesk_base::deploy::served::served_serial;
use certdesk_base::keystore::{keystore_for, write_file_0600, ExportFormat};
use certdesk_base::{Error, Result};

use super::Installer;
use crate::powershell::powershell;

/// Installs into LocalMachine\My and points the IIS site's https binding at the new certificate;
/// the previous certificate stays in the store, and the binding goes back to it when the check
/// fails.
pub struct IisStore {
    site: String,
    check: Option<String>,
    state_dir: PathBuf,
}

impl IisStore {
    pub fn new(config: &crate::config::Config, site: String) -> Self {
        Self {
            site,
            check: config.check.clone(),
            state_dir: config.state_dir.clone(),
        }
    }
}

/// Imports the PFX and rebinds; prints `NEWHASH OLDHASH`.
const IMPORT_AND_BIND: &str = r#"
$ErrorActionPreference = 'Stop'
Import-Module WebAdministration
$password = ConvertTo-SecureString -String $env:CERTDESK_PFX_PASSWORD -AsPlainText -Force
$cert = Import-PfxCertificate -FilePath $env:CERTDESK_PFX -CertStoreLocation Cert:\LocalMachine\My -Password $password
$binding = Get-WebBinding -Name $env:CERTDESK_IIS_SITE -Protocol https | Select-Object -First 1
if (-not $binding) { throw "the IIS site '$env:CERTDESK_IIS_SITE' has no https binding: add one in IIS Manager" }
$old = $binding.certificateHash
$binding.AddSslCertificate($cert.Thumbprint, 'My')
Write-Output "$($cert.Thumbprint) $old"
"#;

/// Points the binding back at `$env:CERTDESK_OLD_HASH`.
const REBIND: &str = r#"
$ErrorActionPreference = 'Stop'
Import-Module WebAdministration
$binding = Get-WebBinding -Name $env:CERTDESK_IIS_SITE -Protocol https | Select-Object -First 1
$binding.AddSslCertificate($env:CERTDESK_OLD_HASH, 'My')
"#;

#[async_trait::async_trait]
impl Installer for IisStore {
    fn describe(&self) -> String {
        format!(
            "LocalMachine\\My, bound to IIS site {:?}'s https binding",
            self.site
        )
    }

    async fn install(&self, bundle: &InstallBundle) -> Result<Installed> {
        let cert = bundle.cert_bundle()?;
        let password = certdesk_base::agent_api::new_token();
        let pfx = keystore_for(ExportFormat::Pkcs12).write(&cert, Some(password.as_str()))?;
        let pfx_path = self.state_dir.join("install.pfx");
        write_file_0600(&pfx_path, &pfx)?;
        let pfx_text = pfx_path.display().to_string();
        let bound = powershell(
            IMPORT_AND_BIND,
            &[
                ("CERTDESK_PFX", pfx_text.as_str()),
                ("CERTDESK_PFX_PASSWORD", password.as_str()),
                ("CERTDESK_IIS_SITE", self.site.as_str()),
            ],
        )
        .await;
        let _ = std::fs::remove_file(&pfx_path);
        let bound = bound?;
        let (new_hash, old_hash) = bound.split_once(' ').unwrap_or((bound.as_str(), ""));
        let changes = vec![
            format!("imported {new_hash} into LocalMachine\\My"),
            format!("bound IIS site {:?} to {new_hash}", self.site),
        ];
        let served = match (&self.check, bundle.names.first()) {
            (Some(address), Some(name)) => match served_serial(address, name).await {
                Ok(serial) if serial == bundle.serial => Some(serial),
                outcome => {
                    let cause = match outcome {
                        Ok(serial) => {
                            format!("{address} serves {serial}, not the new {}", bundle.serial)
                        }
                        Err(e) => e.to_string(),
                    };
                    let restored = if old_hash.is_empty() {
                        Err(Error::Deploy(
                            "the binding had no certificate before".into(),
                        ))
                    } else {
                        powershell(
                            REBIND,
                            &[
                                ("CERTDESK_IIS_SITE", self.site.as_str()),
                                ("CERTDESK_OLD_HASH", old_hash),
                            ],
                        )
                        .await
                    };
                    return Err(Error::Deploy(match restored {
                        Ok(_) => format!("{cause}; the binding was put back to {old_hash}"),
                        Err(e) => format!("{cause}; putting the binding back failed: {e}"),
                    }));
                }
            },
            _ => None,
        };
        Ok(Installed {
            changes,
            reload: None,
            served_serial: served,
        })
    }
}
