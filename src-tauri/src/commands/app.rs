//! The app itself: what the window needs at start, the data folder, start at login.

use certdesk_engine::choices::{choices, Choices};
use certdesk_engine::request::RequestInfo;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_autostart::ManagerExt;
use ts_rs::TS;

use crate::datadir::{self, Source};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

#[derive(Serialize, TS)]
#[ts(optional_fields = nullable)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    /// Where the data folder came from; `env` cannot be changed in Settings.
    pub data_dir_source: Source,
    /// Why the data folder could not be opened; everything else is unavailable then.
    pub open_error: Option<CommandError>,
    /// Requests cut off by a crash or kill, and what to do about each (`next_step`).
    pub interrupted: Vec<RequestInfo>,
    pub choices: Choices,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: state.data_dir.display().to_string(),
        data_dir_source: state.source,
        open_error: state.open_error(),
        interrupted: match state.engine() {
            Ok(engine) => engine.interrupted()?,
            Err(_) => Vec::new(),
        },
        choices: choices(),
    })
}

/// Remembers another data folder; it is opened at the next start.
#[tauri::command]
pub fn choose_data_dir(state: State<'_, AppState>, path: String) -> CmdResult<String> {
    if state.source == Source::Env {
        return Err(CommandError::input(
            "the data folder is set by CERTDESK_DATA_DIR for this run: unset it to choose one here",
        ));
    }
    let dir = super::path_from(&path, "data folder")?;
    datadir::choose(&dir)?;
    Ok(dir.display().to_string())
}

/// Ends the app, tray and scheduler included: the window's Quit (its button and Ctrl+Q), for a
/// desktop with no tray host, where the tray's Quit cannot be reached.
#[tauri::command]
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

/// Restarts the app, e.g. to open a newly chosen data folder: a handoff to a new window process
/// (`handoff.rs`), which waits for this one's lock when the folder is the same; Tauri's own restart
/// when no new process can be started.
#[tauri::command]
pub fn restart<R: Runtime>(app: AppHandle<R>) {
    if crate::handoff::hand_over(&app, crate::handoff::Mode::Window).is_err() {
        app.restart();
    }
}

#[tauri::command]
pub fn autostart_enabled<R: Runtime>(app: AppHandle<R>) -> CmdResult<bool> {
    app.autolaunch().is_enabled().map_err(autostart_error)
}

#[tauri::command]
pub fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> CmdResult<bool> {
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(autostart_error)?;
    launcher.is_enabled().map_err(autostart_error)
}

fn autostart_error(e: impl std::fmt::Display) -> CommandError {
    certdesk_engine::Error::System(format!("start at login could not be changed: {e}")).into()
}
