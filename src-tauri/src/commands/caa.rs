//! The Account tab's CAA section: the records that bind a domain to an account.

use certdesk_engine::caa::CaaReport;
use certdesk_engine::names::ChallengeType;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// The CAA records that would bind each of `domains` to account `name` (and `challenges`, when
/// given), and what CAA allows today, looked up through the system's resolvers.
#[tauri::command]
pub async fn account_caa(
    state: State<'_, AppState>,
    name: String,
    domains: Vec<String>,
    challenges: Vec<ChallengeType>,
) -> CmdResult<Vec<CaaReport>> {
    Ok(state
        .engine()?
        .account_caa(Some(&name), &domains, &challenges, Vec::new())
        .await?)
}
