//! The Overview tab: counts, the timeline of expiries, the scheduler's health and the next
//! actions, in one engine call.

use certdesk_engine::overview::Overview;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn overview(state: State<'_, AppState>) -> CmdResult<Overview> {
    Ok(state.engine()?.overview()?)
}
