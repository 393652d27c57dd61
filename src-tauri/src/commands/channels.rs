//! The Settings tab's notice channels (a signed webhook, Slack, Teams, ntfy): listed, added or
//! edited with a form drawn from the kind's fields, tested, enabled and deleted.

use certdesk_engine::form::ConfigForm;
use certdesk_engine::notify::{ChannelInfo, ChannelKind};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn notice_channel_kinds(state: State<'_, AppState>) -> CmdResult<Vec<ChannelKind>> {
    Ok(state.engine()?.notice_channel_kinds())
}

#[tauri::command]
pub fn notice_channels(state: State<'_, AppState>) -> CmdResult<Vec<ChannelInfo>> {
    Ok(state.engine()?.notice_channels()?)
}

#[tauri::command]
pub async fn save_notice_channel(
    state: State<'_, AppState>,
    form: ConfigForm,
) -> CmdResult<ChannelInfo> {
    Ok(state.engine()?.save_notice_channel(form).await?)
}

#[tauri::command]
pub async fn delete_notice_channel(
    state: State<'_, AppState>,
    name: String,
) -> CmdResult<ChannelInfo> {
    Ok(state.engine()?.delete_notice_channel(&name).await?)
}

#[tauri::command]
pub async fn set_notice_channel_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> CmdResult<ChannelInfo> {
    Ok(state
        .engine()?
        .set_notice_channel_enabled(&name, enabled)
        .await?)
}

/// Sends a test notice through the channel; the answer says what the service said.
#[tauri::command]
pub async fn test_notice_channel(state: State<'_, AppState>, name: String) -> CmdResult<String> {
    Ok(state.engine()?.test_notice_channel(&name).await?)
}
