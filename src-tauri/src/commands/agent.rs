//! The Windows Agent tab: paired certdesk agents with their status, pairing (the fingerprint is
//! shown for the administrator to confirm before it is pinned; the token is returned once, to be
//! shown once), removal, and the agent package to install one from.

use certdesk_engine::agent_package::{self, AgentPackage, ExampleConfig};
use certdesk_engine::agents::AgentStatus;
use certdesk_engine::deploy::mappings::MappingInfo;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::CmdResult;
use crate::state::AppState;

/// A new pairing, with the token the page shows once and never gets again.
#[derive(Serialize, TS)]
pub struct PairedAgent {
    pub mapping: MappingInfo,
    pub token: String,
}

/// Every paired agent, each asked for its health.
#[tauri::command]
pub async fn agents(state: State<'_, AppState>) -> CmdResult<Vec<AgentStatus>> {
    Ok(state.engine()?.agents_status().await?)
}

/// The fingerprint the agent at `url` presents, for the administrator to compare.
#[tauri::command]
pub async fn agent_fingerprint(state: State<'_, AppState>, url: String) -> CmdResult<String> {
    Ok(state.engine()?.agent_fingerprint(&url).await?)
}

#[tauri::command]
pub async fn pair_agent(
    state: State<'_, AppState>,
    name: String,
    url: String,
    fingerprint: String,
) -> CmdResult<PairedAgent> {
    let pairing = state
        .engine()?
        .pair_agent(&name, &url, &fingerprint)
        .await?;
    Ok(PairedAgent {
        mapping: pairing.mapping,
        token: pairing.token.to_string(),
    })
}

/// Writes the agent package (the certdesk-agent shipped beside this app) to `path`.
#[tauri::command]
pub async fn agent_package(path: String) -> CmdResult<AgentPackage> {
    let binary = agent_package::locate()?;
    let package = tauri::async_runtime::spawn_blocking(move || {
        agent_package::write(&binary, std::path::Path::new(&path))
    })
    .await
    .map_err(|e| certdesk_engine::Error::System(format!("packaging stopped: {e}")))??;
    Ok(package)
}

/// The example configurations the package carries, for the install steps.
#[tauri::command]
pub fn agent_examples() -> Vec<ExampleConfig> {
    agent_package::EXAMPLE_CONFIGS.to_vec()
}

#[tauri::command]
pub async fn remove_agent(state: State<'_, AppState>, name: String) -> CmdResult<MappingInfo> {
    Ok(state.engine()?.remove_agent(&name).await?)
}
