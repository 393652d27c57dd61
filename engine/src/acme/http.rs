//! The HTTP client under instant-acme: rustls on aws-lc-rs with Mozilla's roots plus an optional
//! extra root per CA (a private CA, or Pebble in tests), a timeout on every request, and retries
//! with backoff where retrying helps (connection failures, timeouts, 5xx, 429 with Retry-After).
//!
//! instant-acme's own client has no timeout and retries only badNonce. Retrying a POST is safe
//! here: a replayed JWS carries a used nonce, the CA answers badNonce, and instant-acme signs the
//! request again with a fresh one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use rustls::RootCertStore;

use crate::error::{Error, Problem, Result};

/// How long one HTTP exchange with the CA may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per request, the first included.
const ATTEMPTS: u32 = 4;
/// The first pause between attempts; it doubles each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest Retry-After we wait inside one request; longer ones are reported to the user.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct AcmeHttp {
    client: Client<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>,
}

impl AcmeHttp {
    /// A client trusting Mozilla's roots and, when given, the PEM root(s) in `extra_root_pem`.
    pub fn new(extra_root_pem: Option<&str>) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_root_pem {
            let certs = parse_root_pem(pem)?;
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    Error::input(format!("the CA root certificate is not usable: {e}"))
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Network(format!("TLS setup failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        // Without it, Nagle's algorithm meets the CA's delayed ACK on every request whose
        // headers and body go out in two writes: 40 ms lost per ACME call.
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client })
    }

    /// GET `url` and return the body, with the same timeout and retries as ACME requests.
    pub async fn get(&self, url: &str) -> Result<(StatusCode, Bytes)> {
        let request = Request::get(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::new())
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        let rsp = self.exchange(url, request).await?;
        Ok((rsp.status(), rsp.into_body()))
    }

    /// POSTs a JWS (`application/jose+json`) and returns the whole response.
    pub async fn post_jose(&self, url: &str, body: Vec<u8>) -> Result<http::Response<Bytes>> {
        let request = Request::post(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .header(http::header::CONTENT_TYPE, "application/jose+json")
            .body(Bytes::from(body))
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        self.exchange(url, request).await
    }

    /// HEADs `url` (a fresh nonce) and returns the response.
    pub async fn head(&self, url: &str) -> Result<http::Response<Bytes>> {
        let request = Request::head(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::new())
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        self.exchange(url, request).await
    }

    async fn exchange(&self, url: &str, request: Request<Bytes>) -> Result<http::Response<Bytes>> {
        let rsp = self.send(request).await.map_err(|e| network(url, e))?;
        let (parts, body) = rsp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| network(url, e))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }

    async fn send(
        &self,
        request: Request<Bytes>,
    ) -> Result<http::Response<hyper::body::Incoming>, Box<dyn std::error::Error + Send + Sync>>
    {
        let (parts, body) = request.into_parts();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let req = Request::from_parts(parts.clone(), BodyWrapper::from(body.to_vec()));
            let outcome = tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(req)).await;
            let retry_after = match &outcome {
                Ok(Ok(rsp)) if rsp.status().is_server_error() => retry_after(rsp),
                Ok(Ok(rsp)) if rsp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    match retry_after(rsp) {
                        Some(wait) if wait <= MAX_RETRY_AFTER => Some(wait),
                        // A long rate limit: give the CA's answer to the user now.
                        _ => {
                            return outcome
                                .map_err(|_| unreachable_timeout())?
                                .map_err(Into::into)
                        }
                    }
                }
                Ok(Ok(_)) => None,
                Ok(Err(_)) | Err(_) => Some(Duration::ZERO),
            };
            let (Some(wait), true) = (retry_after, attempt < ATTEMPTS) else {
                return match outcome {
                    Ok(result) => result.map_err(Into::into),
                    Err(_) => Err(format!(
                        "no answer within {} seconds",
                        REQUEST_TIMEOUT.as_secs()
                    )
                    .into()),
                };
            };
            let pause = wait.max(backoff).min(MAX_RETRY_AFTER) + jitter(backoff);
            tokio::time::sleep(pause).await;
            backoff *= 2;
            attempt += 1;
        }
    }
}

fn unreachable_timeout() -> Box<dyn std::error::Error + Send + Sync> {
    "no answer from the CA".into()
}

const USER_AGENT: &str = concat!("certdesk/", env!("CARGO_PKG_VERSION"));

/// Up to a quarter of `base`, so that many clients retrying together spread out.
fn jitter(base: Duration) -> Duration {
    use rand::Rng;
    let max = base.as_millis() as u64 / 4;
    Duration::from_millis(rand::rng().random_range(0..=max))
}

fn retry_after<B>(rsp: &http::Response<B>) -> Option<Duration> {
    let value = rsp
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    match value.trim().parse::<u64>() {
        Ok(secs) => Some(Duration::from_secs(secs)),
        Err(_) => httpdate::parse_http_date(value.trim()).ok().map(|at| {
            at.duration_since(std::time::SystemTime::now())
                .unwrap_or_default()
        }),
    }
    .or(Some(Duration::ZERO))
}

/// A problem document the CA answered with a `Retry-After` header. instant-acme reads only the
/// body; this carries the header's wait with the problem to [`super::error`], which makes it an
/// ordinary `Error::Ca` for the scheduler to honour.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProblemWithRetry(pub Problem);

/// The CA could not be reached (or answered garbage at the HTTP level), with the causes.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not reach the CA at {url}: {cause}. Check the URL, your network and, for a private \
     CA, its root certificate (--ca-root)"
)]
pub struct Unreachable {
    url: String,
    cause: String,
}

impl Unreachable {
    fn new(url: &str, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            url: url.to_owned(),
            cause: causes(&*e.into()),
        }
    }
}

fn network(url: &str, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Network(Unreachable::new(url, e).to_string())
}

/// An error and its causes on one line: hyper's own text ("client error (Connect)") hides the
/// part that helps ("Connection refused", "invalid peer certificate: UnknownIssuer").
pub(crate) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

fn parse_root_pem(pem: &str) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::input(format!("the CA root file is not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(Error::input(
            "the CA root file holds no certificate (expected -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<BytesResponse, instant_acme::Error>> + Send>>
    {
        let this = self.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let url = parts.uri.to_string();
            let body = body
                .collect()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?
                .to_bytes();
            let rsp = this
                .send(Request::from_parts(parts, body))
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(Unreachable::new(&url, e))))?;
            let refused = rsp.status().is_client_error() || rsp.status().is_server_error();
            let Some(wait) = retry_after(&rsp).filter(|w| refused && !w.is_zero()) else {
                return Ok(BytesResponse::from(rsp));
            };
            let (parts, body) = rsp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(Unreachable::new(&url, e))))?
                .to_bytes();
            match serde_json::from_slice::<Problem>(&body) {
                Ok(problem) if !problem.is_bad_nonce() => Err(instant_acme::Error::Other(
                    Box::new(ProblemWithRetry(Problem {
                        retry_after_secs: Some(wait.as_secs().max(1)),
                        ..problem
                    })),
                )),
                _ => Ok(BytesResponse::from(http::Response::from_parts(
                    parts,
                    http_body_util::Full::new(body),
                ))),
            }
        })
    }
}
