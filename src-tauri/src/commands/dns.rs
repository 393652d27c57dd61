//! The DNS tab: DNS accounts, their forms drawn from the providers' field declarations, and the
//! dns-persist-01 record of a name (shown, written, checked).

use certdesk_engine::dns::{ProviderSpec, PROVIDERS};
use certdesk_engine::dns_accounts::DnsAccountInfo;
use certdesk_engine::form::ConfigForm;
use certdesk_engine::persist::{parse_until, PersistCheck, PersistRecordInfo};
use certdesk_engine::request::RequestInfo;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub fn dns_providers() -> Vec<ProviderSpec> {
    PROVIDERS.to_vec()
}

#[tauri::command]
pub fn dns_accounts(state: State<'_, AppState>) -> CmdResult<Vec<DnsAccountInfo>> {
    Ok(state.engine()?.dns_accounts()?)
}

#[tauri::command]
pub async fn save_dns_account(
    state: State<'_, AppState>,
    form: ConfigForm,
) -> CmdResult<DnsAccountInfo> {
    Ok(state.engine()?.save_dns_account(form).await?)
}

#[tauri::command]
pub async fn delete_dns_account(
    state: State<'_, AppState>,
    name: String,
) -> CmdResult<DnsAccountInfo> {
    Ok(state.engine()?.delete_dns_account(&name).await?)
}

#[tauri::command]
pub async fn set_dns_account_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> CmdResult<DnsAccountInfo> {
    Ok(state
        .engine()?
        .set_dns_account_enabled(&name, enabled)
        .await?)
}

#[tauri::command]
pub async fn test_dns_account(
    state: State<'_, AppState>,
    name: String,
    zone: Option<String>,
) -> CmdResult<String> {
    Ok(state
        .engine()?
        .test_dns_account(&name, zone.as_deref())
        .await?)
}

#[tauri::command]
pub async fn assign_dns(
    state: State<'_, AppState>,
    id: String,
    account: Option<String>,
) -> CmdResult<RequestInfo> {
    Ok(state.engine()?.assign_dns(&id, account.as_deref()).await?)
}

/// The dns-persist-01 record for an ACME account and a name; with `write`, written through that
/// DNS account (it stays).
#[tauri::command]
pub async fn persist_record(
    state: State<'_, AppState>,
    account: Option<String>,
    domain: String,
    wildcard: bool,
    until: Option<String>,
    write: Option<String>,
) -> CmdResult<PersistRecordInfo> {
    let engine = state.engine()?;
    let until = until
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(parse_until)
        .transpose()?;
    Ok(engine
        .persist_record(
            account.as_deref(),
            &domain,
            wildcard,
            until,
            write.as_deref(),
        )
        .await?)
}

/// The read-only check of a name's dns-persist-01 record at every authoritative nameserver,
/// looked up through `dns_account`'s nameservers when given.
#[tauri::command]
pub async fn persist_check(
    state: State<'_, AppState>,
    account: Option<String>,
    domain: String,
    dns_account: Option<String>,
) -> CmdResult<PersistCheck> {
    Ok(state
        .engine()?
        .check_persist(
            account.as_deref(),
            &domain,
            dns_account.as_deref(),
            Vec::new(),
        )
        .await?)
}
