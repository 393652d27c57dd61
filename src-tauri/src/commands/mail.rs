//! E-mail from the window: the Settings tab's "Send test e-mail" and the Certificates tab's
//! "E-mail…" (a private key only inside a password-protected keystore).

use certdesk_engine::mail::{CertMail, MailSent};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn send_test_mail(state: State<'_, AppState>) -> CmdResult<MailSent> {
    Ok(state.engine()?.send_test_mail().await?)
}

/// Mails certificate `id` as the form asks; a blank password means the request's keystore
/// password, which the page never sees.
#[tauri::command]
pub async fn mail_cert(
    state: State<'_, AppState>,
    id: String,
    mut mail: CertMail,
) -> CmdResult<MailSent> {
    mail.password = mail.password.filter(|p| !p.is_empty());
    Ok(state.engine()?.mail_cert(&id, &mail).await?)
}
