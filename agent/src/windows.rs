//! Everything that exists only on Windows, behind one seam each: the Service Control Manager
//! ([`Scm`], a [`ServiceControl`]), running under it ([`run_service`]), installing into the
//! LocalMachine\My certificate store with the IIS site's https binding ([`IisStore`], an
//! [`Installer`]), and dns-01 TXT records in the DNS Server role's zones ([`DnsServer`], a
//! [`TxtRecords`]). Compiled and tested on Windows only; the rest of the agent is tested on Linux.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use certdesk_base::agent_api::{Action, InstallBundle, Installed, TxtChange};
use certdesk_base::deploy::served::served_serial;
use certdesk_base::keystore::{keystore_for, write_file_0600, ExportFormat};
use certdesk_base::{Error, Result};
use windows_service::service::{
    ServiceAccess, ServiceControl as Control, ServiceControlAccept, ServiceErrorControl,
    ServiceExitCode, ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

use crate::dns01::TxtRecords;
use crate::install::Installer;
use crate::service::{ServiceControl, NAME};

fn scm_error(doing: &str, e: windows_service::Error) -> Error {
    Error::input(format!(
        "cannot {doing} the {NAME} service ({e}): run this from an administrator's prompt"
    ))
}

fn manager(access: ServiceManagerAccess) -> Result<ServiceManager> {
    ServiceManager::local_computer(None::<&str>, access)
        .map_err(|e| scm_error("reach the Service Control Manager for", e))
}

/// The Windows Service Control Manager.
pub struct Scm;

impl ServiceControl for Scm {
    fn install(&self, exe: &Path, config: &crate::config::Config) -> Result<Vec<String>> {
        let info = ServiceInfo {
            name: OsString::from(NAME),
            display_name: OsString::from("certdesk agent"),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: exe.to_path_buf(),
            launch_arguments: vec![
                OsString::from("service"),
                OsString::from("--config"),
                config.path.as_os_str().to_owned(),
            ],
            dependencies: vec![],
            account_name: None,
            account_password: None,
        };
        manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?
            .create_service(&info, ServiceAccess::QUERY_STATUS)
            .map_err(|e| scm_error("create", e))?;
        Ok(vec![
            format!("registered the {NAME} service (starts at boot, runs as LocalSystem)"),
            format!("start it with `certdesk-agent start` (or `sc start {NAME}`)"),
        ])
    }

    fn start(&self) -> Result<Vec<String>> {
        manager(ServiceManagerAccess::CONNECT)?
            .open_service(NAME, ServiceAccess::START)
            .and_then(|s| s.start::<&str>(&[]))
            .map_err(|e| scm_error("start", e))?;
        Ok(vec![format!("started the {NAME} service")])
    }

    fn stop(&self) -> Result<Vec<String>> {
        manager(ServiceManagerAccess::CONNECT)?
            .open_service(NAME, ServiceAccess::STOP)
            .and_then(|s| s.stop())
            .map_err(|e| scm_error("stop", e))?;
        Ok(vec![format!("stopped the {NAME} service")])
    }

    fn uninstall(&self) -> Result<Vec<String>> {
        let service = manager(ServiceManagerAccess::CONNECT)?
            .open_service(
                NAME,
                ServiceAccess::STOP | ServiceAccess::QUERY_STATUS | ServiceAccess::DELETE,
            )
            .map_err(|e| scm_error("open", e))?;
        // A service that is not running refuses to stop: that is fine here.
        let _ = service.stop();
        service.delete().map_err(|e| scm_error("delete", e))?;
        Ok(vec![format!("removed the {NAME} service")])
    }
}

static SERVICE_CONFIG: OnceLock<PathBuf> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hands the process to the Service Control Manager, which calls [`service_main`].
pub fn run_service(config: &Path) -> Result<()> {
    let _ = SERVICE_CONFIG.set(config.to_path_buf());
    service_dispatcher::start(NAME, ffi_service_main).map_err(|e| {
        Error::input(format!(
            "cannot run as a service ({e}): `certdesk-agent service` is for the Service Control \
             Manager; run `certdesk-agent run` in a console instead"
        ))
    })
}

fn status(state: ServiceState, exit: u32) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: ServiceExitCode::Win32(exit),
        checkpoint: 0,
        wait_hint: Duration::from_secs(10),
        process_id: None,
    }
}

fn service_main(_arguments: Vec<OsString>) {
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopper = stop.clone();
    let Ok(handle) = service_control_handler::register(NAME, move |control| match control {
        Control::Stop => {
            stopper.notify_one();
            ServiceControlHandlerResult::NoError
        }
        Control::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    }) else {
        return;
    };
    let _ = handle.set_service_status(status(ServiceState::Running, 0));
    let outcome = SERVICE_CONFIG
        .get()
        .ok_or_else(|| Error::input("the service started without its configuration"))
        .and_then(|path| crate::config::Config::load(path))
        .and_then(|config| {
            crate::runtime()?.block_on(crate::api::serve(
                config,
                async move { stop.notified().await },
            ))
        });
    // The Windows event log shows the service's exit code; the message goes to stderr.
    let exit = match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    };
    let _ = handle.set_service_status(status(ServiceState::Stopped, exit));
}

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

async fn powershell(script: &str, env: &[(&str, &str)]) -> Result<String> {
    let output = tokio::process::Command::new("powershell.exe")
        .args(["-NoProfile", "-NonInteractive", "-Command", script])
        .envs(env.iter().copied())
        .output()
        .await
        .map_err(|e| Error::Deploy(format!("cannot run PowerShell: {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(Error::Deploy(format!(
            "PowerShell failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

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
