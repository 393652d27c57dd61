//! The Requests tab: the request form with its live name check, the requests, their challenges.

use certdesk_engine::keys::{KeyAlgorithm, SignatureAlgorithm};
use certdesk_engine::keystore::KeystoreType;
use certdesk_engine::names::{self, CaScope, ChallengeType};
use certdesk_engine::repository::CertSummary;
use certdesk_engine::request::{KeyPolicy, RequestInfo, RequestSpec, RequestStatus};
use certdesk_engine::Error;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::read_optional;
use crate::error::CmdResult;
use crate::notify::{self, Kind};
use crate::state::AppState;

/// The live check of the names field.
#[derive(Debug, Serialize, TS)]
#[ts(optional_fields = nullable)]
pub struct NameCheck {
    /// How many entries the field holds.
    pub count: usize,
    /// The names as they will be sent (punycode, lower-case), when all are valid.
    pub names: Vec<String>,
    /// Each rejected entry with its reason.
    pub errors: Vec<certdesk_engine::error::NameError>,
    /// A problem with the list as a whole (empty, too many names).
    pub message: Option<String>,
    /// Names accepted only because the account's CA is a private one, said beside the field.
    pub notice: Option<String>,
}

/// Checks the names as typed (one per line, or separated by commas or blanks) with the engine's
/// rules for the chosen account's CA (public or private), so the form marks every rejected name
/// before anything is sent.
#[tauri::command]
pub fn check_names(
    state: State<'_, AppState>,
    text: String,
    challenge: ChallengeType,
    account: Option<String>,
) -> NameCheck {
    let entries = names::split_input(&text);
    let count = entries.len();
    let scope = match state.engine() {
        Ok(engine) => engine.name_scope(account.as_deref()),
        Err(_) => CaScope::Public,
    };
    let rejected = |errors, message| NameCheck {
        count,
        names: Vec::new(),
        errors,
        message,
        notice: None,
    };
    match names::validate_for(&entries, challenge, scope) {
        Ok(valid) => NameCheck {
            count,
            notice: match scope {
                CaScope::Private => names::private_notice(&valid),
                CaScope::Public => None,
            },
            names: valid.into_iter().map(|n| n.into_string()).collect(),
            errors: Vec::new(),
            message: None,
        },
        Err(Error::Names(errors)) => rejected(errors, None),
        Err(e) => rejected(Vec::new(), Some(e.to_string())),
    }
}

#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct RequestForm {
    /// The names field as typed.
    pub names: String,
    pub key: KeyAlgorithm,
    #[serde(default)]
    pub signature: Option<SignatureAlgorithm>,
    pub keystore: KeystoreType,
    /// Sealed by the engine at once; never sent back to the page.
    #[serde(default)]
    pub keystore_password: Option<String>,
    pub key_policy: KeyPolicy,
    /// The PEM file of the key to import, read here so the key never passes through the page.
    #[serde(default)]
    pub import_key_path: Option<String>,
    pub challenge: ChallengeType,
    /// The DNS account that publishes the dns-01 records; none: by hand.
    #[serde(default)]
    pub dns_account: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    /// An account at another CA that renews after failures in a row; none: no fallback.
    #[serde(default)]
    pub fallback_account: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

#[tauri::command]
pub async fn create_request(
    state: State<'_, AppState>,
    form: RequestForm,
) -> CmdResult<RequestInfo> {
    let spec = RequestSpec {
        names: names::split_input(&form.names),
        key: form.key,
        signature: form.signature,
        keystore: form.keystore,
        keystore_password: non_empty(form.keystore_password),
        key_policy: form.key_policy,
        import_key_pem: read_optional(form.import_key_path.as_deref())?,
        challenge: form.challenge,
        dns_account: non_empty(form.dns_account),
        account: non_empty(form.account),
        fallback_account: non_empty(form.fallback_account),
        profile: non_empty(form.profile).map(|p| p.trim().to_owned()),
        preferred_chain: None,
    };
    Ok(state.engine()?.create_request(spec).await?)
}

#[tauri::command]
pub fn requests(state: State<'_, AppState>) -> CmdResult<Vec<RequestInfo>> {
    Ok(state.engine()?.requests()?)
}

#[tauri::command]
pub fn request(state: State<'_, AppState>, id: String) -> CmdResult<RequestInfo> {
    Ok(state.engine()?.request(&id)?)
}

/// Answers the challenges and carries the order to a downloaded certificate. With
/// `use_responder`, the built-in http-01 responder answers at the address set in Settings.
#[tauri::command]
pub async fn verify<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    use_responder: bool,
) -> CmdResult<RequestInfo> {
    let engine = state.engine()?;
    let responder = if use_responder {
        engine.settings_responders(true, true).await?
    } else {
        Default::default()
    };
    let result = engine.verify(&id, responder).await;
    match &result {
        Ok(info) if info.status == RequestStatus::Available => notify::send(
            &app,
            Kind::Issued,
            "Certificate issued",
            &format!("{}: save it to the repository", names_of(info)),
        ),
        // A renewal is saved as a new version as soon as it is issued.
        Ok(info) if info.status == RequestStatus::Renewed => {
            notify::send(&app, Kind::Renewed, "Certificate renewed", &names_of(info));
            crate::tray::certs_changed(&app);
        }
        Ok(_) => {}
        Err(e) => notify::send(&app, Kind::Failed, "Verification failed", &e.to_string()),
    }
    Ok(result?)
}

/// Gives a request a fallback CA account (a name or a directory URL) or, with none, takes it
/// away.
#[tauri::command]
pub async fn set_fallback(
    state: State<'_, AppState>,
    id: String,
    account: Option<String>,
) -> CmdResult<RequestInfo> {
    let account = non_empty(account);
    Ok(state
        .engine()?
        .set_fallback(&id, account.as_deref())
        .await?)
}

#[tauri::command]
pub async fn new_challenge(state: State<'_, AppState>, id: String) -> CmdResult<RequestInfo> {
    Ok(state.engine()?.new_challenge(&id).await?)
}

/// Moves an issued certificate into the repository.
#[tauri::command]
pub async fn save_request<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<CertSummary> {
    let saved = state.engine()?.save(&id).await?;
    crate::tray::certs_changed(&app);
    Ok(saved)
}

fn names_of(info: &RequestInfo) -> String {
    let names: Vec<&str> = info.names.iter().map(|n| n.as_str()).collect();
    names.join(", ")
}
