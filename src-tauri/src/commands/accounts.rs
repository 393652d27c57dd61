//! The Account tab: one ACME account per CA.

use certdesk_engine::account::{AccountInfo, CaTerms, Eab, Registration};
use certdesk_engine::acme::{Ca, CaProfile};
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use super::{path_from, read_optional, read_text};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

/// The CA as the form chooses it: a preset, or a directory URL.
#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct CaForm {
    /// `lets_encrypt`, `lets_encrypt_staging` or `directory`.
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
}

impl CaForm {
    fn ca(&self) -> CmdResult<Ca> {
        match self.kind.as_str() {
            "lets_encrypt" => Ok(Ca::LetsEncrypt),
            "lets_encrypt_staging" => Ok(Ca::LetsEncryptStaging),
            "directory" => Ok(Ca::custom(self.url.as_deref().unwrap_or_default())?),
            other => Err(CommandError::input(format!("unknown CA choice {other:?}"))),
        }
    }
}

#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct RegisterForm {
    pub name: String,
    /// Optional: Let's Encrypt no longer writes about expiring certificates.
    #[serde(default)]
    pub email: Option<String>,
    pub ca: CaForm,
    /// A PEM file with an extra root for the CA's HTTPS (a private CA).
    #[serde(default)]
    pub ca_root_path: Option<String>,
    #[serde(default)]
    pub eab_kid: Option<String>,
    #[serde(default)]
    pub eab_hmac: Option<String>,
    pub agree_tos: bool,
}

#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct ImportForm {
    pub name: String,
    pub key_path: String,
    pub ca: CaForm,
    #[serde(default)]
    pub ca_root_path: Option<String>,
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[tauri::command]
pub fn accounts(state: State<'_, AppState>) -> CmdResult<Vec<AccountInfo>> {
    Ok(state.engine()?.accounts()?)
}

#[tauri::command]
pub async fn ca_terms(
    state: State<'_, AppState>,
    ca: CaForm,
    ca_root_path: Option<String>,
) -> CmdResult<CaTerms> {
    let root = read_optional(ca_root_path.as_deref())?;
    Ok(state.engine()?.ca_terms(&ca.ca()?, root.as_deref()).await?)
}

/// The certificate profiles the CA of account `name` offers (the request form's choice).
#[tauri::command]
pub async fn account_profiles(
    state: State<'_, AppState>,
    name: String,
) -> CmdResult<Vec<CaProfile>> {
    Ok(state.engine()?.account_profiles(Some(&name)).await?)
}

#[tauri::command]
pub async fn register_account(
    state: State<'_, AppState>,
    form: RegisterForm,
) -> CmdResult<AccountInfo> {
    let eab = match (blank_to_none(form.eab_kid), blank_to_none(form.eab_hmac)) {
        (Some(kid), Some(hmac_b64)) => Some(Eab { kid, hmac_b64 }),
        (None, None) => None,
        _ => {
            return Err(CommandError::input(
                "External Account Binding needs both the key id and the HMAC key",
            ))
        }
    };
    let registration = Registration {
        name: form.name.trim().to_owned(),
        email: blank_to_none(form.email),
        ca: form.ca.ca()?,
        ca_root_pem: read_optional(form.ca_root_path.as_deref())?,
        eab,
        agree_tos: form.agree_tos,
    };
    Ok(state.engine()?.register_account(registration).await?)
}

#[tauri::command]
pub async fn import_account(
    state: State<'_, AppState>,
    form: ImportForm,
) -> CmdResult<AccountInfo> {
    let key = read_text(&path_from(&form.key_path, "account key file")?)?;
    let root = read_optional(form.ca_root_path.as_deref())?;
    Ok(state
        .engine()?
        .import_account(form.name.trim(), &key, form.ca.ca()?, root)
        .await?)
}

#[tauri::command]
pub async fn update_account_email(
    state: State<'_, AppState>,
    name: String,
    email: String,
) -> CmdResult<AccountInfo> {
    Ok(state
        .engine()?
        .update_account_email(Some(&name), &email)
        .await?)
}

/// Writes the account key (PEM, mode 0600) to `path`; the key itself never reaches the page.
#[tauri::command]
pub async fn export_account_key(
    state: State<'_, AppState>,
    name: String,
    path: String,
) -> CmdResult<String> {
    let path = path_from(&path, "file to write the key to")?;
    let pem = state.engine()?.export_account_key(Some(&name)).await?;
    certdesk_engine::keystore::write_file_0600(&path, pem.as_bytes())?;
    Ok(path.display().to_string())
}

/// Forgets the account here; it stays active at the CA.
#[tauri::command]
pub async fn delete_account(state: State<'_, AppState>, name: String) -> CmdResult<AccountInfo> {
    Ok(state.engine()?.delete_account(Some(&name)).await?)
}

/// Deactivates the account at the CA. Final, so the page must send the account's name as typed
/// by the administrator.
#[tauri::command]
pub async fn deactivate_account(
    state: State<'_, AppState>,
    name: String,
    confirmation: String,
) -> CmdResult<AccountInfo> {
    if confirmation.trim() != name {
        return Err(CommandError::input(format!(
            "type the account's name ({name}) to confirm: deactivation is final"
        )));
    }
    Ok(state.engine()?.deactivate_account(Some(&name)).await?)
}
