//! The Settings tab: renewal window, notifications, the built-in responder, SMTP.

use certdesk_engine::settings::{SettingsUpdate, SettingsView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> CmdResult<SettingsView> {
    Ok(state.engine()?.settings()?)
}

#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    update: SettingsUpdate,
) -> CmdResult<SettingsView> {
    Ok(state.engine()?.update_settings(update).await?)
}
