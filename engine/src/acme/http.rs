//! The HTTP client under instant-acme: rustls on aws-lc-rs with Mozilla's roots plus an optional
//! extra root per CA (a private CA, or Pebble in tests), https only, a deadline on every request
//! that covers the whole body, a size limit on every answer, and retries with backoff where
//! retrying helps (connection failures, timeouts, 5xx, 429 with a short Retry-After).
//!
//! instant-acme's own client has no timeout, reads bodies without a limit and follows any URL
//! the CA hands out; every request certdesk makes to a CA (instant-acme's and its own) goes
//! through [`AcmeHttp::send`], so these rules hold for all of them. Retrying a POST is safe
//! here: a replayed JWS carries a used nonce, the CA answers badNonce, and instant-acme signs the
//! request again with a fresh one.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use rustls::RootCertStore;
use tokio::time::Instant;

use crate::error::{Error, Problem, Result};

/// How long one exchange with the CA may take: connecting, the headers and the whole body.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one request may take, every attempt and pause included: a CA that drips its answer
/// or keeps failing cannot stretch a request past this.
const REQUEST_DEADLINE: Duration = Duration::from_secs(45);
/// The most one answer may hold. ACME's largest answers (a certificate chain, an order of a
/// hundred names) are some tens of kilobytes; a CA that sends more is not read further.
const MAX_BODY: usize = 1 << 20;
/// Attempts per request, the first included.
const ATTEMPTS: u32 = 4;
/// The first pause between attempts; it doubles each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest Retry-After we wait inside one request; longer ones are reported to the user.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);
/// The longest wait a CA can ask for (Retry-After) that certdesk honours: a week. Longer ones are
/// cut to this before anything computes a time from them (instant-acme adds them to the clock,
/// which panics past its range).
pub const LONGEST_CA_WAIT: Duration = Duration::from_secs(7 * 86_400);

#[derive(Clone)]
pub struct AcmeHttp {
    client: Client<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>,
    /// What the CA last asked of the poller at each URL: the `Retry-After` of a successful
    /// answer (RFC 8555 §7.5.1), which instant-acme reads for its own polls only.
    asked: Arc<Mutex<HashMap<Uri, Duration>>>,
    /// A directory already read and checked ([`AcmeHttp::lend_directory`]), for instant-acme's
    /// own GET of it.
    directory: Arc<Mutex<Option<(Uri, Bytes)>>>,
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
            .https_only()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            client,
            asked: Arc::default(),
            directory: Arc::default(),
        })
    }

    /// The wait the CA asked for (`Retry-After`) in its last successful answer from `url`, if
    /// it asked: a poll of that URL waits this long instead of its own schedule.
    pub(crate) fn asked_wait(&self, url: &str) -> Option<Duration> {
        let url = url.parse::<Uri>().ok()?;
        lock(&self.asked).get(&url).copied()
    }

    /// Answers the next GET of the directory `url` with `body`, which the caller has just read
    /// and checked: instant-acme reads the directory again when it builds an account, and one
    /// read per client is enough.
    pub(crate) fn lend_directory(&self, url: &str, body: Bytes) {
        if let Ok(url) = url.parse::<Uri>() {
            *lock(&self.directory) = Some((url, body));
        }
    }

    /// The lent directory, once, if `request` is a GET of it.
    fn lent_directory(&self, request: &http::request::Parts) -> Option<Bytes> {
        let mut lent = lock(&self.directory);
        match &*lent {
            Some((url, _)) if request.method == http::Method::GET && *url == request.uri => {
                lent.take().map(|(_, body)| body)
            }
            _ => None,
        }
    }

    /// Notes the `Retry-After` of a successful answer from `url` (or that it had none).
    fn note_asked(&self, url: &Uri, parts: &http::response::Parts) {
        let mut asked = lock(&self.asked);
        match retry_after(&parts.headers).filter(|_| parts.status.is_success()) {
            Some(wait) => asked.insert(url.clone(), wait.min(LONGEST_CA_WAIT)),
            None => asked.remove(url),
        };
    }

    /// GET `url` and return the body, with the same deadline, limit and retries as ACME requests.
    pub async fn get(&self, url: &str) -> Result<(StatusCode, Bytes)> {
        let request = Request::get(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::new())
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        let rsp = self.exchange(request).await?;
        Ok((rsp.status(), rsp.into_body()))
    }

    /// POSTs a JWS (`application/jose+json`) and returns the whole response.
    pub async fn post_jose(&self, url: &str, body: Vec<u8>) -> Result<http::Response<Bytes>> {
        let request = Request::post(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .header(http::header::CONTENT_TYPE, "application/jose+json")
            .body(Bytes::from(body))
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        self.exchange(request).await
    }

    /// HEADs `url` (a fresh nonce) and returns the response.
    pub async fn head(&self, url: &str) -> Result<http::Response<Bytes>> {
        let request = Request::head(url)
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::new())
            .map_err(|e| Error::input(format!("{url} is not a valid URL: {e}")))?;
        self.exchange(request).await
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<http::Response<Bytes>> {
        self.send(request)
            .await
            .map_err(|e| Error::Network(e.to_string()))
    }

    /// Sends `request` (again, after failures that retrying may cure) and reads the whole answer,
    /// all within [`REQUEST_DEADLINE`] and [`MAX_BODY`].
    async fn send(
        &self,
        request: Request<Bytes>,
    ) -> std::result::Result<http::Response<Bytes>, Failed> {
        let failed = |why| Failed::new(request.uri(), why);
        if request.uri().scheme_str() != Some("https") {
            return Err(failed(Why::NotHttps));
        }
        let deadline = Instant::now() + REQUEST_DEADLINE;
        let (parts, body) = request.into_parts();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let req = Request::from_parts(parts.clone(), BodyWrapper::from(body.to_vec()));
            let limit = deadline.min(Instant::now() + EXCHANGE_TIMEOUT);
            let outcome = tokio::time::timeout_at(limit, self.attempt(req))
                .await
                .unwrap_or(Err(Why::Timeout));
            let wait = match &outcome {
                Ok(rsp) if rsp.status().is_server_error() => {
                    Some(retry_after(rsp.headers()).unwrap_or_default())
                }
                // A long rate limit goes to the user at once.
                Ok(rsp) if rsp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    retry_after(rsp.headers()).filter(|wait| *wait <= MAX_RETRY_AFTER)
                }
                Ok(_) => None,
                Err(Why::Unreachable(_) | Why::Timeout) => Some(Duration::ZERO),
                // Neither changes on a second try.
                Err(Why::TooLarge | Why::NotHttps) => None,
            };
            let pause = wait.map(|wait| wait.max(backoff).min(MAX_RETRY_AFTER) + jitter(backoff));
            match pause {
                Some(pause) if attempt < ATTEMPTS && Instant::now() + pause < deadline => {
                    tokio::time::sleep(pause).await;
                    backoff *= 2;
                    attempt += 1;
                }
                _ => return outcome.map_err(|why| Failed::new(&parts.uri, why)),
            }
        }
    }

    /// One exchange: the answer with its whole body, which may not pass [`MAX_BODY`].
    async fn attempt(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> std::result::Result<http::Response<Bytes>, Why> {
        let rsp = self
            .client
            .request(req)
            .await
            .map_err(|e| Why::Unreachable(causes(&e)))?;
        let (parts, body) = rsp.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(
                |e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                    Some(_) => Why::TooLarge,
                    None => Why::Unreachable(causes(&*e)),
                },
            )?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }
}

const USER_AGENT: &str = concat!("certdesk/", env!("CARGO_PKG_VERSION"));

/// A lock whose holder cannot leave its map half-changed: a poisoned one is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Up to a quarter of `base`, so that many clients retrying together spread out.
fn jitter(base: Duration) -> Duration {
    use rand::Rng;
    let max = base.as_millis() as u64 / 4;
    Duration::from_millis(rand::rng().random_range(0..=max))
}

/// The CA's `Retry-After` (RFC 9110 §10.2.3) as it asked: delay-seconds or an HTTP date. A value
/// that is neither, or a date in the past, is no wait. `None`: no header.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?;
    let value = value.to_str().unwrap_or_default().trim();
    Some(match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()
            .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok())
            .unwrap_or_default(),
    })
}

/// Rewrites the answer's `Retry-After` as delay-seconds of at most [`LONGEST_CA_WAIT`], so that
/// instant-acme, which adds it to the clock, meets no value that overflows and none it cannot read.
fn tame_retry_after(headers: &mut HeaderMap) {
    if let Some(wait) = retry_after(headers) {
        let secs = wait.min(LONGEST_CA_WAIT).as_secs();
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// A problem document instant-acme would not keep whole: one the CA answered with a
/// `Retry-After` header (instant-acme reads only the body), or one that names a page
/// (`instance`, which instant-acme's problem drops: a paused account's unpause link). This
/// carries it to [`super::error`], which makes it an ordinary `Error::Ca`, the header's wait
/// included for the scheduler to honour.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WholeProblem(pub Problem);

/// Why a request to the CA came to nothing.
#[derive(Debug)]
enum Why {
    /// It could not be reached (or answered garbage at the HTTP level), with the causes.
    Unreachable(String),
    /// No complete answer within the deadline.
    Timeout,
    /// The answer passed [`MAX_BODY`].
    TooLarge,
    /// The URL is not https.
    NotHttps,
}

/// A request to the CA at `url` that failed, in words that say what to check.
#[derive(Debug)]
pub struct Failed {
    url: String,
    why: Why,
}

impl Failed {
    fn new(url: &Uri, why: Why) -> Self {
        Self {
            url: url.to_string(),
            why,
        }
    }

    /// The CA handed out a URL that is not https: nothing was sent to it.
    pub fn not_https(&self) -> bool {
        matches!(self.why, Why::NotHttps)
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = &self.url;
        match &self.why {
            Why::Unreachable(cause) => write!(
                f,
                "could not reach the CA at {url}: {cause}. Check the URL, your network and, for a \
                 private CA, its root certificate (--ca-root)"
            ),
            Why::Timeout => write!(
                f,
                "timed out: the CA at {url} sent no complete answer within {} seconds (a request \
                 may take no longer, retries included). The CA may be overloaded: try again later",
                REQUEST_DEADLINE.as_secs()
            ),
            Why::TooLarge => write!(
                f,
                "the CA at {url} sent an answer larger than the size limit of {} MiB, far more \
                 than any ACME answer; certdesk stopped reading it. Check the directory URL",
                MAX_BODY >> 20
            ),
            Why::NotHttps => write!(
                f,
                "the CA handed out the URL {url}, which is not https: certdesk talks to a CA over \
                 https only and did not follow it. The CA's directory or its answers are wrong \
                 (or were tampered with on the way)"
            ),
        }
    }
}

impl std::error::Error for Failed {}

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
            if let Some(directory) = this.lent_directory(&parts) {
                return Ok(BytesResponse::from(http::Response::new(
                    http_body_util::Full::new(directory),
                )));
            }
            let url = parts.uri.clone();
            let body = body
                .collect()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?
                .to_bytes();
            let rsp = this
                .send(Request::from_parts(parts, body))
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            let (mut parts, body) = rsp.into_parts();
            this.note_asked(&url, &parts);
            let refused = parts.status.is_client_error() || parts.status.is_server_error();
            let asked = retry_after(&parts.headers).filter(|w| refused && !w.is_zero());
            tame_retry_after(&mut parts.headers);
            if refused {
                // A bad nonce stays instant-acme's, which signs the request again.
                match serde_json::from_slice::<Problem>(&body) {
                    Ok(problem)
                        if !problem.is_bad_nonce()
                            && (asked.is_some() || problem.instance.is_some()) =>
                    {
                        return Err(instant_acme::Error::Other(Box::new(WholeProblem(
                            Problem {
                                retry_after_secs: asked.map(|wait| wait.as_secs().max(1)),
                                ..problem
                            },
                        ))))
                    }
                    _ => {}
                }
            }
            Ok(BytesResponse::from(http::Response::from_parts(
                parts,
                http_body_util::Full::new(body),
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_bytes(value).expect("a header value");
        headers.insert(http::header::RETRY_AFTER, value);
        headers
    }

    #[test]
    fn retry_after_reads_any_value_without_panicking_and_is_tamed_for_instant_acme() {
        let week = LONGEST_CA_WAIT.as_secs();
        let cases: [(&[u8], Duration, u64); 8] = [
            (b"120", Duration::from_secs(120), 120),
            (
                b"1000000000000",
                Duration::from_secs(1_000_000_000_000),
                week,
            ),
            (b"18446744073709551615", Duration::from_secs(u64::MAX), week),
            // Beyond u64, negative, garbage, not UTF-8, a date long past: no wait.
            (b"18446744073709551616", Duration::ZERO, 0),
            (b"-5", Duration::ZERO, 0),
            (b"soon, maybe", Duration::ZERO, 0),
            (b"\xff\xfe", Duration::ZERO, 0),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", Duration::ZERO, 0),
        ];
        for (value, asked, tamed) in cases {
            let mut h = headers(value);
            assert_eq!(retry_after(&h), Some(asked), "{value:?}");
            tame_retry_after(&mut h);
            assert_eq!(h[http::header::RETRY_AFTER], tamed.to_string(), "{value:?}");
        }
        // A date far ahead is a wait of that long, cut to a week for instant-acme.
        let mut far = headers(b"Fri, 31 Dec 9999 23:59:59 GMT");
        assert!(retry_after(&far).expect("a wait") > LONGEST_CA_WAIT);
        tame_retry_after(&mut far);
        assert_eq!(far[http::header::RETRY_AFTER], week.to_string());
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
