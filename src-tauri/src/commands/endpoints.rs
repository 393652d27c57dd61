//! The Endpoints tab: the TLS endpoints certdesk watches, their last checks, adding, checking
//! and deleting them.

use certdesk_engine::endpoints::{EndpointCheck, ScanReport, Starttls, Targets};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

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

/// The event a scan's progress goes out as, after each probe.
const SCAN_PROGRESS: &str = "scan-progress";

#[derive(Clone, Serialize)]
struct ScanProgress {
    done: usize,
    total: usize,
}

/// Probes `hosts` (`H[,H…]` or one CIDR) on `ports` (`P[,P…]`) for endpoints that answer TLS,
/// telling the page its progress; watches nothing (the page's Watch does, one click each).
#[tauri::command]
pub async fn scan_endpoints<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    hosts: String,
    ports: String,
) -> CmdResult<ScanReport> {
    let targets = Targets::parse(&hosts, &ports)?;
    let progress = move |done: usize, total: usize| {
        let _ = app.emit(SCAN_PROGRESS, ScanProgress { done, total });
    };
    Ok(state
        .engine()?
        .endpoint_scan(targets, false, progress)
        .await?)
}
