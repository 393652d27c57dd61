//! The damaged records of a tab's listing (a record that does not read, a secret that does not
//! open where it is): the page shows each as a row with its id and what failed, as the CLI's
//! listings do.

use certdesk_engine::sealing::Listed;
use certdesk_engine::store::Damaged;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn damaged(state: State<'_, AppState>, listed: Listed) -> CmdResult<Vec<Damaged>> {
    Ok(state.engine()?.damaged(listed)?)
}
