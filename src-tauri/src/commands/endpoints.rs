//! The Endpoints tab: the TLS endpoints certdesk watches, their last checks, adding, checking
//! and deleting them.

use certdesk_engine::endpoints::{EndpointCheck, Starttls};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Every watched endpoint as its last check left it (or not checked yet).
#[tauri::command]
pub fn endpoints(state: State<'_, AppState>) -> CmdResult<Vec<EndpointCheck>> {
    let watched = state.engine()?.endpoint_list()?.records;
    Ok(watched.iter().map(|e| e.view()).collect())
}

/// Watches `address` (`HOST:PORT`), sending `sni` as the server name when given.
#[tauri::command]
pub async fn add_endpoint(
    state: State<'_, AppState>,
    address: String,
    sni: Option<String>,
    starttls: Option<Starttls>,
) -> CmdResult<EndpointCheck> {
    let sni = sni.filter(|s| !s.trim().is_empty());
    let added = state
        .engine()?
        .endpoint_add(&address, sni.as_deref(), starttls)
        .await?;
    Ok(added.view())
}

/// Checks `address`, or every watched endpoint, now.
#[tauri::command]
pub async fn check_endpoints(
    state: State<'_, AppState>,
    address: Option<String>,
) -> CmdResult<Vec<EndpointCheck>> {
    Ok(state.engine()?.endpoint_check(address.as_deref()).await?)
}

#[tauri::command]
pub async fn delete_endpoint(state: State<'_, AppState>, address: String) -> CmdResult<()> {
    state.engine()?.endpoint_delete(&address).await?;
    Ok(())
}
