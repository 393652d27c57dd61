//! Where deployment hooks into issuance: a request's mapping publishes its http-01 tokens before
//! the CA is told to validate and withdraws them afterwards, and with automatic deployment on,
//! every certificate saved for the request (the first issue and each renewal) is deployed.
//!
//! Automation of a challenge prefers the request's mapping, then its DNS account (dns-01 only),
//! else the administrator publishes by hand.

use super::{DeployTarget, Http01Token};
use crate::error::{Error, Result};
use crate::names::ChallengeType;
use crate::request::{Challenge, RequestInfo, RequestRecord};
use crate::store::Change;
use crate::Engine;

/// Whether the request's http-01 tokens are published through its mapping.
pub(crate) fn publishes_tokens(info: &RequestInfo) -> bool {
    info.challenge_type == ChallengeType::Http01 && info.deploy.is_some()
}

/// Tokens published on an end server, to withdraw once the CA has looked.
pub(crate) struct PublishedTokens {
    target: Box<dyn DeployTarget>,
    tokens: Vec<Http01Token>,
}

impl Engine {
    /// Publishes the request's pending http-01 tokens through its mapping. Nothing to do without
    /// a mapping, or when every name is validated already.
    pub(crate) async fn publish_tokens(
        &self,
        record: &RequestRecord,
    ) -> Result<Option<PublishedTokens>> {
        if !publishes_tokens(&record.info) {
            return Ok(None);
        }
        let Some(mapping) = &record.info.deploy else {
            return Ok(None);
        };
        let tokens: Vec<Http01Token> = record
            .info
            .challenges
            .iter()
            .filter(|c| c.status == "pending")
            .filter_map(|c| match &c.challenge {
                Challenge::Http01 {
                    domain,
                    token,
                    key_authorization,
                    ..
                } => Some(Http01Token {
                    domain: domain.clone(),
                    token: token.clone(),
                    key_authorization: key_authorization.clone(),
                }),
                Challenge::Dns01 { .. } => None,
            })
            .collect();
        if tokens.is_empty() {
            return Ok(None);
        }
        let target = self.deploy_target(mapping)?;
        target.publish_tokens(&tokens).await?;
        Ok(Some(PublishedTokens { target, tokens }))
    }

    /// Withdraws published tokens; a failure is noted on the request, not raised: the
    /// validation's outcome is the news.
    pub(crate) async fn withdraw_tokens(
        &self,
        id: &str,
        published: Option<PublishedTokens>,
        result: Result<RequestInfo>,
    ) -> Result<RequestInfo> {
        let Some(published) = published else {
            return result;
        };
        let Err(error) = published.target.withdraw_tokens(&published.tokens).await else {
            return result;
        };
        let mut record = self.request_record(id)?;
        let note = format!("the http-01 tokens are still on the end server: {error}; remove them");
        record.info.next_step = Some(match record.info.next_step.take() {
            Some(step) => format!("{step} (and {note})"),
            None => note,
        });
        self.store.commit(Change::new().put(&record)).await?;
        result.map(|_| record.info)
    }

    /// Deploys a request's freshly saved certificate when the request asks for it. A failed
    /// deployment leaves the certificate saved and says how to deploy it again.
    pub(crate) async fn deploy_saved(&self, info: RequestInfo) -> Result<RequestInfo> {
        let (true, Some(mapping)) = (info.auto_deploy, info.deploy.clone()) else {
            return Ok(info);
        };
        let Err(error) = self.deploy_now(&mapping, &info.id).await else {
            return Ok(info);
        };
        let again = format!(
            "deploy it once the cause is fixed: `certdesk deploy run {mapping} --cert {}`",
            info.id
        );
        let mut record = self.request_record(&info.id)?;
        record.info.next_step = Some(again.clone());
        self.store.commit(Change::new().put(&record)).await?;
        Err(Error::Deploy(format!(
            "certificate {} is issued and saved, but deploying it through mapping {mapping:?} \
             failed: {error}. {again}",
            info.id
        )))
    }
}
