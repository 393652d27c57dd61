//! Where deployment hooks into issuance: a request's mapping publishes its http-01 tokens (and,
//! when it answers dns-01, its TXT records) before the CA is told to validate and withdraws them
//! afterwards, and with automatic deployment on, every certificate saved for the request (the
//! first issue and each renewal) is deployed.
//!
//! Automation of a challenge prefers the request's mapping, then its DNS account (dns-01 only),
//! else the administrator publishes by hand.

use super::{DeployTarget, Http01Solver, Http01Token, TxtKeyAuthorizations};
use crate::acme::Challenge;
use crate::dns::{DnsProvider, Propagation};
use crate::error::{Error, ErrorKind, Result};
use crate::names::ChallengeType;
use crate::next_step::{Dns01Declined, Leftover, NextStep};
use crate::request::{RequestInfo, RequestRecord};
use crate::Engine;

/// Whether the request's http-01 tokens are published through its mapping.
pub(crate) fn publishes_tokens(info: &RequestInfo) -> bool {
    info.challenge_type == ChallengeType::Http01 && info.deploy.is_some()
}

/// Who publishes a dns-01 request's TXT records this time.
pub(crate) enum TxtPublisher {
    /// The request's mapping or its DNS account, with where the zone and the propagation are
    /// looked up.
    Automated {
        provider: Box<dyn DnsProvider>,
        propagation: Propagation,
    },
    /// The administrator; with why the request's mapping does not, when it has one.
    ByHand {
        mapping_declined: Option<Dns01Declined>,
    },
}

/// Tokens published on an end server, to withdraw once the CA has looked.
pub(crate) struct PublishedTokens {
    mapping: String,
    target: Box<dyn DeployTarget>,
    tokens: Vec<Http01Token>,
}

impl Engine {
    /// Who publishes the dns-01 records of `info`: its mapping when the mapping answers dns-01
    /// (an agent is asked, and its answer remembered), else its DNS account, else nobody.
    pub(crate) async fn txt_publisher(&self, info: &RequestInfo) -> Result<TxtPublisher> {
        let mut mapping_declined = None;
        if let Some(mapping) = &info.deploy {
            let (target, propagation) = self.dns01_target(mapping)?;
            let answer = target.dns01().await?;
            let answers = answer.is_some();
            self.remember_dns01(mapping, answer).await?;
            let keys = TxtKeyAuthorizations::of(&info.id, &info.challenges);
            if let Some(provider) = answers.then(|| target.dns01_publisher(keys)).flatten() {
                // The publication path of a DNS account: zone lookup, wait and cleanup.
                return Ok(TxtPublisher::Automated {
                    provider,
                    propagation,
                });
            }
            mapping_declined = Some(self.dns01_declined(mapping)?);
        }
        match &info.dns_account {
            Some(account) => {
                let config = self.dns_config(account)?;
                Ok(TxtPublisher::Automated {
                    propagation: config.propagation()?,
                    provider: (config.spec.build)(&config)?,
                })
            }
            None => Ok(TxtPublisher::ByHand { mapping_declined }),
        }
    }

    /// That mapping `name` does not answer dns-01, and what would make it, for next steps.
    pub(crate) fn dns01_declined(&self, name: &str) -> Result<Dns01Declined> {
        Ok(Dns01Declined {
            mapping: name.to_owned(),
            source: super::kind(&self.deployment(name)?.kind)?.dns01,
        })
    }

    /// Mappings known to answer dns-01, for the renewal plan (which reads the store only).
    pub(crate) fn mappings_answering_dns01(&self) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .deployments()?
            .into_iter()
            .filter(|m| m.dns01.is_some())
            .map(|m| m.name)
            .collect())
    }

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
                _ => None,
            })
            .collect();
        if tokens.is_empty() {
            return Ok(None);
        }
        let target = self.deploy_target(mapping)?;
        solver(mapping, target.as_ref())?
            .publish_tokens(&tokens)
            .await?;
        Ok(Some(PublishedTokens {
            mapping: mapping.clone(),
            target,
            tokens,
        }))
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
        let withdrawn = match solver(&published.mapping, published.target.as_ref()) {
            Ok(solver) => solver.withdraw_tokens(&published.tokens).await,
            Err(e) => Err(e),
        };
        let Err(error) = withdrawn else {
            return result;
        };
        let mut record = self.request_record(id)?;
        record.info.next_step = Some(NextStep::with_leftover(
            record.info.next_step.take(),
            Leftover::Http01Tokens,
            error.to_string(),
        ));
        self.requests.save(&record).await?;
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
        let step = NextStep::Deploy {
            mapping: mapping.clone(),
            cert: info.id.clone(),
        };
        let mut record = self.request_record(&info.id)?;
        record.info.next_step = Some(step.clone());
        self.requests.save(&record).await?;
        Err(Error::Blocked {
            kind: ErrorKind::Remote,
            message: format!(
                "certificate {} is issued and saved, but deploying it through mapping \
                 {mapping:?} failed: {error}",
                info.id
            ),
            step: Box::new(step),
        })
    }
}

/// The http-01 solver of mapping `name`'s target, or why it has none.
fn solver<'t>(name: &str, target: &'t dyn DeployTarget) -> Result<&'t dyn Http01Solver> {
    target.http01().ok_or_else(|| {
        Error::input(format!(
            "deploy mapping {name:?} does not answer http-01: give the request a mapping that \
             does, or answer it another way"
        ))
    })
}
