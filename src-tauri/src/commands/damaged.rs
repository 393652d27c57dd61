//! The damaged records of a tab's listing (a record that does not read, a secret that does not
//! open where it is): the page shows each as a row with its id and what failed, as the CLI's
//! listings do.

use certdesk_engine::next_step::Listing;
use certdesk_engine::store::Damaged;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn damaged(state: State<'_, AppState>, listed: Listing) -> CmdResult<Vec<Damaged>> {
    Ok(state.engine()?.damaged(listed)?)
}
