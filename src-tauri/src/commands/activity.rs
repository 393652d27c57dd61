//! The activity log for the window's Activity tab: the entries a search keeps, and the same as
//! CSV for the export.

use certdesk_engine::activity::{self, ActivityLog, Filter};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn activity_log(state: State<'_, AppState>, filter: Filter) -> CmdResult<ActivityLog> {
    Ok(state.engine()?.activity_log(&filter)?)
}

/// The entries `filter` keeps as CSV, for the page to save as a file.
#[tauri::command]
pub fn activity_csv(state: State<'_, AppState>, filter: Filter) -> CmdResult<String> {
    let log = state.engine()?.activity_log(&filter)?;
    Ok(activity::to_csv(&log.entries))
}
