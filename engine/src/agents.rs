//! Pairing certdesk agents and talking to them.
//!
//! A paired agent is a deploy mapping of kind `agent` ([`crate::deploy::agent`]): its address, the
//! pinned SHA-256 fingerprint of its self-signed certificate, and the pairing token, sealed like
//! every mapping secret. Pairing pins the fingerprint only after the administrator confirmed it
//! against what `certdesk-agent` printed on the server, and creates the token, which is shown
//! once. Every later call checks the pinned fingerprint instead of a CA chain, so a changed agent
//! certificate is refused.

use std::collections::BTreeMap;

use serde::Serialize;
use zeroize::Zeroizing;

use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::account::AccountStatus;
use crate::activity::{Action, Subject};
use crate::agent_api;
use crate::agent_client::{agent_url, origin, presented_fingerprint};
use crate::deploy::agent::{FINGERPRINT_FIELD, KIND, TOKEN_FIELD, URL_FIELD};
use crate::deploy::mappings::MappingInfo;
use crate::error::{Error, Result};
use crate::form::{ConfigForm, SecretChange};
use crate::keys::PrivateKey;
use crate::Engine;

/// A new pairing: the pairing code is shown once, for the administrator to give to the agent.
pub struct Pairing {
    pub mapping: MappingInfo,
    /// The [`agent_api::PairingCode`]: the token and the thumbprints of this data folder's ACME
    /// accounts, as one line for `certdesk-agent pair`.
    pub token: Zeroizing<String>,
}

/// A paired agent and its answer to a test call, or why there was none.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AgentStatus {
    pub name: String,
    pub url: String,
    pub fingerprint: String,
    pub online: bool,
    /// The agent's version, platform and setup in words, or what went wrong.
    pub message: String,
}

impl Engine {
    /// The fingerprint of the certificate the agent at `url` presents, for the administrator to
    /// compare with the one `certdesk-agent` printed before pairing. Nothing is sent to it.
    pub async fn agent_fingerprint(&self, url: &str) -> Result<String> {
        presented_fingerprint(url).await
    }

    /// Pairs the agent at `url` as the mapping `name`, pinning `fingerprint` if (and only if) it
    /// is the one the agent presents now, and returns the new pairing code: the token and the
    /// thumbprints of the active ACME accounts, whose http-01 answers the agent will serve.
    pub async fn pair_agent(&self, name: &str, url: &str, fingerprint: &str) -> Result<Pairing> {
        let mut token = None;
        let saving = async {
            let expected = agent_api::normalize_fingerprint(fingerprint)?;
            let url = origin(&agent_url(url)?);
            let presented = presented_fingerprint(&url).await?;
            if presented != expected {
                return Err(Error::input(format!(
                    "the agent at {url} presents the certificate {presented}, not {expected}: \
                     check the fingerprint certdesk-agent printed on the server; if they differ, \
                     something else answers at that address"
                )));
            }
            let code = agent_api::PairingCode::new(self.account_thumbprints()?);
            let form = ConfigForm {
                original_name: None,
                name: name.to_owned(),
                kind: KIND.to_owned(),
                enabled: None,
                fields: BTreeMap::from([
                    (URL_FIELD.to_owned(), url),
                    (FINGERPRINT_FIELD.to_owned(), presented),
                ]),
                secrets: BTreeMap::from([(
                    TOKEN_FIELD.to_owned(),
                    SecretChange::Set(code.token.to_string()),
                )]),
            };
            let saving = self.mapping_saving(form).await?;
            token = Some(code.encode());
            Ok(saving)
        }
        .await;
        let mapping = self
            .save_configuration(Action::PairAgent, name, saving)
            .await?;
        Ok(Pairing {
            mapping,
            // A saved pairing had its code made first.
            token: token.unwrap_or_default(),
        })
    }

    /// The RFC 7638 thumbprints of the accounts that can still order certificates.
    fn account_thumbprints(&self) -> Result<Vec<String>> {
        self.accounts()?
            .into_iter()
            .filter(|a| a.status == AccountStatus::Active)
            .map(|a| {
                let key = PrivateKey::from_pem(&self.account_key_pem(Some(&a.name))?)?;
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8_der())
                        .map_err(|_| {
                            Error::Damaged(format!(
                                "the key of account {:?} is not a P-256 key: restore the data \
                                 folder from a backup, or register the account again",
                                a.name
                            ))
                        })?;
                agent_api::p256_thumbprint(pair.public_key().as_ref())
            })
            .collect()
    }

    /// Every paired agent with the answer to a test call, asked concurrently.
    pub async fn agents_status(&self) -> Result<Vec<AgentStatus>> {
        let agents = self.deployments()?.into_iter().filter(|m| m.kind == KIND);
        let checks = agents.map(|m| async move {
            let answer = match self.deploy_target(&m.name) {
                Ok(target) => target.test().await,
                Err(e) => Err(e),
            };
            let field = |f: &str| m.fields.get(f).cloned().unwrap_or_default();
            AgentStatus {
                url: field(URL_FIELD),
                fingerprint: field(FINGERPRINT_FIELD),
                online: answer.is_ok(),
                message: match answer {
                    Ok(probe) => probe.summary,
                    Err(e) => e.to_string(),
                },
                name: m.name,
            }
        });
        Ok(futures::future::join_all(checks).await)
    }

    /// Forgets the agent here (its token with it). The agent keeps running until it is
    /// uninstalled on its server.
    pub async fn remove_agent(&self, name: &str) -> Result<MappingInfo> {
        match self.deployment(name) {
            Ok(mapping) if mapping.kind == KIND => {
                self.delete_configuration(Some(Action::RemoveAgent), name)
                    .await
            }
            found => {
                let refused = found.and_then(|mapping| {
                    Err(Error::input(format!(
                        "{name:?} is a {} deploy mapping, not an agent: delete it as a deploy \
                         mapping",
                        mapping.kind
                    )))
                });
                self.noted(
                    Action::RemoveAgent,
                    Subject::default().target(name),
                    refused,
                )
                .await
            }
        }
    }
}
