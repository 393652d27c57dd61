//! The CA's directory (RFC 8555 §7.1.1). instant-acme reads the endpoints but does not expose
//! `meta`, where the terms of service, the EAB requirement and the profiles are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::AcmeHttp;
use crate::error::{Error, Result};

pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Which CA an account lives at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "url")]
#[derive(ts_rs::TS)]
pub enum Ca {
    LetsEncrypt,
    LetsEncryptStaging,
    /// Any RFC 8555 directory.
    Directory(String),
}

impl Ca {
    /// A CA from a user-given directory URL, checked to be an https URL.
    pub fn custom(url: &str) -> Result<Self> {
        let url = url.trim();
        url.parse::<http::Uri>()
            .map_err(|e| Error::input(format!("the directory URL {url:?} is not a URL: {e}")))?;
        if !is_https(url) {
            return Err(Error::input(format!(
                "the directory URL {url:?} must start with https:// and name a host"
            )));
        }
        Ok(match url {
            LETS_ENCRYPT => Self::LetsEncrypt,
            LETS_ENCRYPT_STAGING => Self::LetsEncryptStaging,
            _ => Self::Directory(url.to_owned()),
        })
    }

    pub fn directory_url(&self) -> &str {
        match self {
            Self::LetsEncrypt => LETS_ENCRYPT,
            Self::LetsEncryptStaging => LETS_ENCRYPT_STAGING,
            Self::Directory(url) => url,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Self::LetsEncrypt => "Let's Encrypt".into(),
            Self::LetsEncryptStaging => "Let's Encrypt (staging)".into(),
            Self::Directory(url) => url.clone(),
        }
    }
}

/// The parts of the directory's `meta` object that certdesk shows or acts on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryMeta {
    pub terms_of_service: Option<String>,
    pub website: Option<String>,
    #[serde(default)]
    pub external_account_required: bool,
    /// Profile name → description (draft-aaron-acme-profiles).
    #[serde(default)]
    pub profiles: BTreeMap<String, String>,
    /// The issuer domain names CAA records name this CA by (RFC 8555 §9.7.6; Let's Encrypt:
    /// `letsencrypt.org`): what the CAA check before an order compares with.
    #[serde(default)]
    pub caa_identities: Vec<String>,
}

/// One certificate profile a CA offers (draft-aaron-acme-profiles): what an order names in its
/// `profile` field, and the CA's words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CaProfile {
    pub name: String,
    pub description: String,
}

impl DirectoryMeta {
    /// The profiles the directory lists, in name order.
    pub fn profile_list(&self) -> Vec<CaProfile> {
        self.profiles
            .iter()
            .map(|(name, description)| CaProfile {
                name: name.clone(),
                description: description.clone(),
            })
            .collect()
    }
}

#[derive(Deserialize)]
pub(crate) struct Directory {
    #[serde(default)]
    pub meta: DirectoryMeta,
    #[serde(rename = "newAccount")]
    new_account: Option<String>,
    #[serde(rename = "newNonce")]
    pub new_nonce: Option<String>,
    /// Every other entry: the endpoints certdesk reaches through instant-acme (newOrder,
    /// revokeCert, keyChange, renewalInfo, …), checked to be https like the two above.
    #[serde(flatten)]
    others: BTreeMap<String, serde_json::Value>,
}

impl Directory {
    /// The first endpoint that is not an https URL, by its name: a CA that lists one is not
    /// followed there (the client refuses each such request too; this names the entry).
    fn plain_endpoint(&self) -> Option<(&str, &str)> {
        let named = [
            ("newAccount", self.new_account.as_deref()),
            ("newNonce", self.new_nonce.as_deref()),
        ];
        named
            .into_iter()
            .filter_map(|(name, url)| Some((name, url?)))
            .chain(
                self.others
                    .iter()
                    .filter_map(|(name, url)| Some((name.as_str(), url.as_str()?))),
            )
            .find(|(_, url)| !is_https(url))
    }
}

/// Whether `url` is an https URL with a host.
pub(crate) fn is_https(url: &str) -> bool {
    url.parse::<http::Uri>()
        .is_ok_and(|uri| uri.scheme_str() == Some("https") && uri.host().is_some())
}

/// Fetches the directory at `url` and returns its meta data.
pub async fn fetch_meta(http: &AcmeHttp, url: &str) -> Result<DirectoryMeta> {
    Ok(fetch(http, url).await?.meta)
}

/// Fetches and checks the directory at `url`. `http` keeps it for an instant-acme account built
/// over it next ([`AcmeHttp::lend_directory`]), which then reads no second copy.
pub(crate) async fn fetch(http: &AcmeHttp, url: &str) -> Result<Directory> {
    let (status, body) = http.get(url).await?;
    if !status.is_success() {
        return Err(Error::Network(format!(
            "the directory {url} answered HTTP {status}: is this an ACME directory URL?"
        )));
    }
    let directory: Directory = serde_json::from_slice(&body).map_err(|e| {
        Error::Network(format!(
            "{url} is not an ACME directory (its JSON did not parse: {e})"
        ))
    })?;
    // Wrong data, not a failed network: asking again would meet the same URL.
    if let Some((name, endpoint)) = directory.plain_endpoint() {
        return Err(Error::CaData(format!(
            "the directory {url} lists {name} at {endpoint}, which is not an https URL: certdesk \
             talks to a CA over https only and did not follow it"
        )));
    }
    if directory.new_account.is_none() {
        return Err(Error::Network(format!(
            "{url} is not an ACME directory: it lists no newAccount endpoint"
        )));
    }
    http.lend_directory(url, body);
    Ok(directory)
}
