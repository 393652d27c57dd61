//! The scheduler's health for the window: its last and next run, and the next attempt of each
//! certificate whose renewal is failing.

use certdesk_engine::renewal::Health;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn renewal_health(state: State<'_, AppState>) -> CmdResult<Health> {
    Ok(state.engine()?.renewal_health()?)
}
