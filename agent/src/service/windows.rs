//! The agent as a Windows service: registered with the Service Control Manager ([`Scm`], a
//! [`ServiceControl`]) and run under it ([`run_service`]). Compiled and tested on Windows only;
//! the rest of the agent is tested on Linux.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use certdesk_base::{Error, Result};
use windows_service::service::{
    ServiceAccess, ServiceControl as Control, ServiceControlAccept, ServiceErrorControl,
    ServiceExitCode, ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

use super::{ServiceControl, NAME};

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
