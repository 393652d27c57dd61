//! Where long work stands, for faces that show progress: the CLI on a terminal, the window's
//! request table. Subscribers get every stage of every request; nobody listening costs nothing.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// A stage of an issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    PlacingOrder,
    /// Writing the TXT records through the DNS account.
    PublishingDns,
    /// Waiting until every nameserver of the zone answers with the TXT records.
    WaitingForDns,
    /// Removing the TXT records again.
    CleaningUpDns,
    /// Telling the CA the challenges are ready.
    Answering,
    /// Waiting for the CA to validate.
    Validating,
    Finalizing,
    Downloading,
    Issued,
    Failed,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Self::PlacingOrder => "placing the order",
            Self::PublishingDns => "publishing the TXT records",
            Self::WaitingForDns => "waiting for the nameservers to answer with the TXT records",
            Self::CleaningUpDns => "removing the TXT records",
            Self::Answering => "answering the challenges",
            Self::Validating => "waiting for the CA to validate",
            Self::Finalizing => "finalizing with the CSR",
            Self::Downloading => "downloading the certificate",
            Self::Issued => "issued",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    pub request: String,
    pub stage: Stage,
}

/// The engine's progress channel: a slow subscriber misses old events rather than slowing
/// issuance down.
pub(crate) struct Reporter(broadcast::Sender<Progress>);

impl Reporter {
    pub fn new() -> Self {
        Self(broadcast::channel(256).0)
    }

    pub fn report(&self, request: &str, stage: Stage) {
        // No subscriber is not an error.
        let _ = self.0.send(Progress {
            request: request.to_owned(),
            stage,
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Progress> {
        self.0.subscribe()
    }
}
