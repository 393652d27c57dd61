//! Which certificates are due for renewal, and renewing them all at once: the one place that
//! decides what "due" means, for the tray's "Renew due now" and the scheduled renewals to come.

use std::sync::Arc;

use serde::Serialize;

use crate::error::Result;
use crate::http01::Http01Responder;
use crate::repository::{CertStatus, CertSummary};
use crate::request::RequestInfo;
use crate::Engine;

/// The outcome of one renewal of [`Engine::renew_due`].
#[derive(Debug, Clone, Serialize)]
pub struct RenewalOutcome {
    pub id: String,
    pub names: Vec<String>,
    /// The request after the renewal: `renewed` when it went through, `pending` when its
    /// challenges wait to be published by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestInfo>,
    /// Why the renewal failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Engine {
    /// Valid certificates with no more days left than the settings' renewal window, soonest
    /// first. Revoked certificates are not renewed (their key may be compromised), and expired
    /// ones are included: renewing is how they come back.
    pub fn due_for_renewal(&self) -> Result<Vec<CertSummary>> {
        let window = i64::from(self.settings()?.renew_days_before);
        Ok(self
            .certs()?
            .into_iter()
            .filter(|c| c.status != CertStatus::Revoked && c.days_left <= window)
            .collect())
    }

    /// The certificate that expires first among those still valid.
    pub fn next_expiry(&self) -> Result<Option<CertSummary>> {
        Ok(self
            .certs()?
            .into_iter()
            .find(|c| c.status == CertStatus::Valid))
    }

    /// The built-in http-01 responder at the settings' address, when one is set.
    pub async fn settings_responder(&self) -> Result<Option<Arc<Http01Responder>>> {
        match self.settings()?.http_listen {
            Some(addr) => Ok(Some(Http01Responder::bind(&addr).await?)),
            None => Ok(None),
        }
    }

    /// Renews every due certificate concurrently. With the built-in responder configured,
    /// http-01 renewals complete; otherwise their new challenges wait in the requests list.
    pub async fn renew_due(&self) -> Result<Vec<RenewalOutcome>> {
        let due = self.due_for_renewal()?;
        let responder = self.settings_responder().await?;
        let renewals = due.iter().map(|c| self.renew(&c.id, responder.clone()));
        let results = futures::future::join_all(renewals).await;
        Ok(due
            .into_iter()
            .zip(results)
            .map(|(cert, result)| {
                let (request, error) = match result {
                    Ok(r) => (Some(r), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                RenewalOutcome {
                    id: cert.id,
                    names: cert.info.names,
                    request,
                    error,
                }
            })
            .collect())
    }
}
