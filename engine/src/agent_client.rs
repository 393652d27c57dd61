//! The API of one paired certdesk agent, over TLS pinned to its certificate: the client the
//! agent deploy target ([`crate::deploy::agent`]) calls and pairing ([`crate::agents`]) checks
//! addresses and fingerprints with.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::agent_api::{self, ApiError, Health, Http01Token, InstallBundle, Installed, TxtChange};
use crate::dns::body::{read_limited, BodyError};
use crate::error::{Error, ErrorKind, Result};
use crate::next_step::NextStep;
use certdesk_base::deploy::served::{Accept, PresentedCertificate};

/// An agent call may take this long, its answer's body included (an install runs the server's
/// reload command).
const TIMEOUT: Duration = Duration::from_secs(60);
/// The most of an answer certdesk reads: the agent's answers are a few KiB (an install's reload
/// output included); more is not an agent talking.
const MAX_ANSWER: usize = 256 * 1024;

/// Connects to `url` and returns the fingerprint of the certificate it presents.
pub(crate) async fn presented_fingerprint(url: &str) -> Result<String> {
    let url = agent_url(url)?;
    // Accepts nothing, so pairing sends nothing: it only reads the presented fingerprint.
    let verifier = Arc::new(PresentedCertificate::new(Accept::Nothing));
    let http = https_client(&verifier)?;
    let request = http
        .get(url.join(agent_api::HEALTH).map_err(bad_url)?)
        .send();
    let outcome = tokio::time::timeout(TIMEOUT, request).await;
    verifier.seen().ok_or_else(|| match outcome {
        Err(_) => Error::Deploy(format!(
            "{url} did not finish the TLS handshake within {} s: is certdesk-agent running \
             there?",
            TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => unreachable_agent(url.as_str(), &e),
        Ok(Ok(_)) => Error::Deploy(format!("{url} did not present a certificate")),
    })
}

/// One paired agent's API, over TLS pinned to its certificate.
pub struct AgentClient {
    /// The mapping's name, for messages.
    name: String,
    url: url::Url,
    fingerprint: String,
    token: Zeroizing<String>,
    http: reqwest::Client,
    verifier: Arc<PresentedCertificate>,
}

impl AgentClient {
    /// A client for the agent at `url` whose certificate has the (normalized) `fingerprint`.
    pub fn new(name: &str, url: &str, fingerprint: &str, token: &str) -> Result<Self> {
        let verifier = Arc::new(PresentedCertificate::new(Accept::Only(
            fingerprint.to_owned(),
        )));
        Ok(Self {
            name: name.to_owned(),
            url: agent_url(url)?,
            fingerprint: fingerprint.to_owned(),
            token: Zeroizing::new(token.to_owned()),
            http: https_client(&verifier)?,
            verifier,
        })
    }

    /// The fingerprint of the certificate the agent presents now (see
    /// [`crate::Engine::agent_fingerprint`]).
    pub async fn presented_fingerprint(&self) -> Result<String> {
        presented_fingerprint(self.url.as_str()).await
    }

    pub fn url(&self) -> String {
        origin(&self.url)
    }

    pub async fn health(&self) -> Result<Health> {
        self.call(reqwest::Method::GET, agent_api::HEALTH, None::<&()>)
            .await
    }

    /// Makes the agent answer `token` with `key_authorization` at
    /// `/.well-known/acme-challenge/TOKEN`.
    pub async fn put_http01(&self, token: &str, key_authorization: &str) -> Result<()> {
        let body = Http01Token {
            key_authorization: key_authorization.to_owned(),
        };
        self.call::<serde_json::Value>(reqwest::Method::PUT, &http01_path(token), Some(&body))
            .await
            .map(drop)
    }

    pub async fn delete_http01(&self, token: &str) -> Result<()> {
        self.call::<serde_json::Value>(reqwest::Method::DELETE, &http01_path(token), None::<&()>)
            .await
            .map(drop)
    }

    /// Adds or removes one dns-01 TXT value through the agent's DNS command (or the Windows DNS
    /// Server).
    pub async fn change_txt(&self, change: &TxtChange) -> Result<()> {
        self.call::<serde_json::Value>(reqwest::Method::POST, agent_api::DNS01, Some(change))
            .await
            .map(drop)
    }

    /// Installs a certificate where the agent's configuration says and runs its reload command;
    /// the agent puts the previous files back if anything fails.
    pub async fn install(&self, bundle: &InstallBundle) -> Result<Installed> {
        self.call(reqwest::Method::POST, agent_api::INSTALL, Some(bundle))
            .await
    }

    /// One call, answered within [`TIMEOUT`] (the answer's body included) and in at most
    /// [`MAX_ANSWER`] bytes.
    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T> {
        let name = &self.name;
        let (status, text) = tokio::time::timeout(TIMEOUT, self.exchange(method, path, body))
            .await
            .map_err(|_| {
                Error::Deploy(format!(
                    "agent {name:?} did not answer within {} s: check that certdesk-agent at {} \
                     is running and not stuck (its log is in the journal: journalctl -u \
                     certdesk-agent)",
                    TIMEOUT.as_secs(),
                    origin(&self.url)
                ))
            })??;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(Error::Deploy(format!(
                "agent {name:?} refused the pairing token: give it the token again on the server \
                 (certdesk-agent pair), or pair the agent anew"
            )));
        }
        if !status.is_success() {
            let said = serde_json::from_slice::<ApiError>(&text)
                .map(|e| e.error)
                .unwrap_or_else(|_| format!("HTTP {status}"));
            return Err(Error::Deploy(format!("agent {name:?}: {said}")));
        }
        serde_json::from_slice(&text).map_err(|e| {
            Error::Deploy(format!(
                "agent {name:?} answered something certdesk does not understand ({e}): is it a \
                 certdesk-agent of a matching version?"
            ))
        })
    }

    /// Sends the request and reads the answer's status and body, refusing a body over
    /// [`MAX_ANSWER`] as soon as it grows past it.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        let name = &self.name;
        let url = self.url.join(path).map_err(bad_url)?;
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.token.as_str());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| match self.verifier.seen() {
                Some(seen) if seen != self.fingerprint => Error::Blocked {
                    kind: ErrorKind::Remote,
                    message: format!(
                        "agent {name:?} at {} now presents the certificate {seen}, not the pinned \
                         {}",
                        origin(&self.url),
                        self.fingerprint
                    ),
                    step: Box::new(NextStep::PairAgent {
                        agent: name.clone(),
                    }),
                },
                _ => unreachable_agent(self.url.as_str(), &e),
            })?;
        let status = response.status();
        let text = read_limited(response, MAX_ANSWER)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => Error::Deploy(format!(
                    "agent {name:?} sent an answer over {} KiB, far more than any agent call \
                     returns: is something other than certdesk-agent answering at {}?",
                    MAX_ANSWER / 1024,
                    origin(&self.url)
                )),
                BodyError::Broken(e) => {
                    Error::Deploy(format!("agent {name:?} broke off its answer: {e}"))
                }
            })?;
        Ok((status, text))
    }
}

fn http01_path(token: &str) -> String {
    format!("{}{token}", agent_api::HTTP01)
}

/// Checks an agent address: `https://HOST:PORT`, nothing more.
pub(crate) fn agent_url(text: &str) -> Result<url::Url> {
    let bad = |why: &str| {
        Error::input(format!(
            "{text:?} is not an agent address: {why}; write it as https://HOST:PORT"
        ))
    };
    let url = url::Url::parse(text.trim()).map_err(|_| bad("it does not parse as a URL"))?;
    if url.scheme() != "https" {
        return Err(bad("the agent speaks only HTTPS"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad("it must not hold a path, query or user"));
    }
    Ok(url)
}

/// `https://host:port`, without the trailing slash `Url` adds.
pub(crate) fn origin(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

fn bad_url(e: url::ParseError) -> Error {
    Error::input(format!("bad agent address: {e}"))
}

fn unreachable_agent(url: &str, e: &reqwest::Error) -> Error {
    let cause = std::error::Error::source(e)
        .map(|s| format!("{e}: {s}"))
        .unwrap_or_else(|| e.to_string());
    Error::Deploy(format!(
        "cannot reach the agent at {url} ({cause}): is certdesk-agent running there, and does \
         the firewall let this machine reach its port?"
    ))
}

/// An HTTPS client that trusts exactly what `verifier` accepts: the pinned agent certificate.
fn https_client(verifier: &Arc<PresentedCertificate>) -> Result<reqwest::Client> {
    let tls = verifier
        .client_config()
        .map_err(|e| Error::Deploy(format!("cannot set up TLS: {e}")))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(10))
        .no_proxy()
        .user_agent(concat!("certdesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Deploy(format!("cannot set up the HTTPS client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_addresses_are_checked() {
        assert_eq!(
            origin(&agent_url("https://web1.example.com:8443").unwrap()),
            "https://web1.example.com:8443"
        );
        for bad in [
            "http://web1:8443",
            "web1:8443",
            "https://web1:8443/api",
            "https://u@web1:8443",
        ] {
            let e = agent_url(bad).unwrap_err().to_string();
            assert!(e.contains("https://HOST:PORT"), "{bad}: {e}");
        }
    }
}
