//! The Deploy tab: deploy mappings with their last result, their forms drawn from the kinds'
//! field declarations, Test connection (pinning the host key on the admin's word), Deploy now,
//! and which request deploys through which mapping.

use certdesk_engine::deploy::mappings::MappingInfo;
use certdesk_engine::deploy::{Deployed, Probe, TargetSpec, KINDS};
use certdesk_engine::form::ConfigForm;
use certdesk_engine::request::RequestInfo;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn deploy_kinds() -> Vec<TargetSpec> {
    KINDS.to_vec()
}

#[tauri::command]
pub fn deployments(state: State<'_, AppState>) -> CmdResult<Vec<MappingInfo>> {
    Ok(state.engine()?.deployments()?)
}

#[tauri::command]
pub async fn save_deployment(
    state: State<'_, AppState>,
    form: ConfigForm,
) -> CmdResult<MappingInfo> {
    Ok(state.engine()?.save_deployment(form).await?)
}

#[tauri::command]
pub async fn delete_deployment(state: State<'_, AppState>, name: String) -> CmdResult<MappingInfo> {
    Ok(state.engine()?.delete_deployment(&name).await?)
}

/// A disabled mapping keeps its credentials but publishes and deploys nothing.
#[tauri::command]
pub async fn set_deployment_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> CmdResult<MappingInfo> {
    Ok(state
        .engine()?
        .set_deployment_enabled(&name, enabled)
        .await?)
}

/// `accept` pins the identity the previous test showed (the admin compared it).
#[tauri::command]
pub async fn test_deployment(
    state: State<'_, AppState>,
    name: String,
    accept: bool,
) -> CmdResult<Probe> {
    Ok(state.engine()?.test_deployment(&name, accept).await?)
}

#[tauri::command]
pub async fn deploy_now(
    state: State<'_, AppState>,
    name: String,
    cert: String,
) -> CmdResult<Deployed> {
    Ok(state.engine()?.deploy_now(&name, &cert).await?)
}

#[tauri::command]
pub async fn set_deploy(
    state: State<'_, AppState>,
    id: String,
    mapping: Option<String>,
    auto: bool,
) -> CmdResult<RequestInfo> {
    Ok(state
        .engine()?
        .set_deploy(&id, mapping.as_deref(), auto)
        .await?)
}
