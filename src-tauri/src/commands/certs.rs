//! The Certificates tab: the repository, its details, imports, exports, renewal, revocation.

use certdesk_engine::details::CertDetails;
use certdesk_engine::keystore::{write_file_0600, ExportFormat};
use certdesk_engine::renewal::{Action, PassReport, RenewalOutcome};
use certdesk_engine::repository::{CertSummary, CertVersion, RevocationReason};
use certdesk_engine::request::{RequestInfo, RequestStatus};
use certdesk_engine::Replacement;
use tauri::{AppHandle, Runtime, State};

use super::path_from;
use crate::error::CmdResult;
use crate::notify::{self, Kind};
use crate::state::AppState;
use crate::tray::certs_changed;

#[tauri::command]
pub fn certs(state: State<'_, AppState>) -> CmdResult<Vec<CertSummary>> {
    let certs = state.engine()?.certs()?;
    // The whole repository was read to list it; give back the heap it freed.
    crate::memory::release_freed_heap();
    Ok(certs)
}

#[tauri::command]
pub fn cert_details(state: State<'_, AppState>, id: String) -> CmdResult<CertDetails> {
    Ok(state.engine()?.cert_details(&id)?)
}

#[tauri::command]
pub fn history(state: State<'_, AppState>, id: String) -> CmdResult<Vec<CertVersion>> {
    Ok(state.engine()?.history(&id)?)
}

/// Writes the current certificate in `format` to `path` (mode 0600). Without a password, a
/// keystore format uses the request's keystore password, which the page never sees.
#[tauri::command]
pub async fn export_cert(
    state: State<'_, AppState>,
    id: String,
    format: ExportFormat,
    password: Option<String>,
    path: String,
) -> CmdResult<String> {
    let path = path_from(&path, "file to export to")?;
    let password = password.filter(|p| !p.is_empty());
    let bytes = state
        .engine()?
        .export(&id, format, password.as_deref())
        .await?;
    write_file_0600(&path, &bytes)?;
    Ok(path.display().to_string())
}

/// Tracks the certificate file at `path` (a PKCS#12 or JKS file with `password`) under `label`:
/// the engine reads the file itself, so the page hands over only its path.
#[tauri::command]
pub async fn import_cert<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: String,
    password: Option<String>,
    label: Option<String>,
) -> CmdResult<CertSummary> {
    let path = path_from(&path, "certificate file to import")?;
    let password = password.filter(|p| !p.is_empty());
    let label = label.filter(|l| !l.trim().is_empty());
    let imported = state
        .engine()?
        .import_cert(&path, password.as_deref(), label.as_deref())
        .await?;
    certs_changed(&app);
    Ok(imported)
}

/// The request form that replaces tracked certificate `id` with one from an ACME CA (its names
/// and key type), which the Requests tab fills its form with; an issued one is refused.
#[tauri::command]
pub fn cert_replacement(state: State<'_, AppState>, id: String) -> CmdResult<Replacement> {
    Ok(state.engine()?.replacement(&id)?)
}

/// Renews now with the same settings. With the built-in responder set in Settings an http-01
/// renewal completes at once; otherwise the request waits with fresh challenges.
#[tauri::command]
pub async fn renew<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<RequestInfo> {
    let engine = state.engine()?;
    let responder = engine.settings_responders(true, true).await?;
    let result = engine.renew(&id, responder).await;
    match &result {
        Ok(info) if info.status == RequestStatus::Renewed => notify::send(
            &app,
            Kind::Renewed,
            "Certificate renewed",
            &info
                .names
                .first()
                .map(|n| n.as_str().to_owned())
                .unwrap_or(id),
        ),
        Ok(_) => {}
        Err(e) => notify::send(&app, Kind::Failed, "Renewal failed", &e.to_string()),
    }
    certs_changed(&app);
    Ok(result?)
}

/// Renews every certificate inside the renewal window (the tray's "Renew due now"): the pass's
/// report, with the damaged records it skipped.
#[tauri::command]
pub async fn renew_due<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<PassReport> {
    let report = state.engine()?.renew_due().await?;
    for o in &report.outcomes {
        notify_renewal(&app, o);
    }
    certs_changed(&app);
    Ok(report)
}

pub fn notify_renewal<R: Runtime>(app: &AppHandle<R>, outcome: &RenewalOutcome) {
    let name = outcome.names.first().cloned().unwrap_or_default();
    // What the renewal did besides its plan (ordered again without `replaces`), after the news.
    let note = outcome
        .note
        .as_deref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    match (&outcome.request, &outcome.error) {
        (_, Some(error)) => notify::send(
            app,
            Kind::Failed,
            &format!("Renewal of {name} failed"),
            error,
        ),
        (Some(r), None) if r.status == RequestStatus::Renewed => match &r.order_account {
            Some(fallback) => notify::send(
                app,
                Kind::Renewed,
                "Certificate renewed",
                &format!("{name}, through the fallback CA account {fallback}{note}"),
            ),
            None => notify::send(
                app,
                Kind::Renewed,
                "Certificate renewed",
                &format!("{name}{note}"),
            ),
        },
        _ if outcome.action == Action::Reminder => notify::send(
            app,
            Kind::Failed,
            &format!("Renew {name} by hand"),
            &format!(
                "Its renewal window is open ({}) and its challenges are published by hand: \
                 Renew it in the Certificates tab.",
                outcome.reason
            ),
        ),
        _ => notify::send(
            app,
            Kind::Renewed,
            &format!("Renewal of {name} waits for its challenges"),
            &format!("Publish them in the Requests tab, then Verify{note}."),
        ),
    }
}

#[tauri::command]
pub async fn revoke<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    reason: RevocationReason,
) -> CmdResult<CertSummary> {
    let revoked = state.engine()?.revoke(&id, reason).await?;
    certs_changed(&app);
    Ok(revoked)
}

/// Removes the certificate from the repository; it stays valid at the CA until it expires.
#[tauri::command]
pub async fn delete_cert<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<CertSummary> {
    let deleted = state.engine()?.delete_cert(&id).await?;
    certs_changed(&app);
    Ok(deleted)
}
