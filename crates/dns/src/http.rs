//! The HTTPS client of the API-based providers: the platform's roots plus the account's extra CA,
//! timeouts, and reading a provider's answer into its own error text.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{provider_error, Config};
use crate::body::{read_limited, BodyError};
use certdesk_base::error::{Error, Result};

/// One API call may take this long before the provider counts as unreachable: reqwest's total
/// timeout runs from connecting until the body has been read, so a provider that drips its answer
/// is cut off too.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The most one answer may hold. A page of zones or records is some tens of kilobytes; a
/// provider that sends more is not read further.
const MAX_BODY: usize = 2 << 20;

/// A client for `config`'s provider, trusting the account's extra CA when it names one.
pub(super) fn client(config: &Config) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("certdesk/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = config.get("ca_certificate") {
        let pem = std::fs::read(path).map_err(|e| Error::file(std::path::Path::new(path), e))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::input(format!("{path} holds no PEM certificate ({e})")))?;
        if certs.is_empty() {
            return Err(Error::input(format!("{path} holds no PEM certificate")));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::Dns(format!("cannot set up the HTTPS client: {e}")))
}

/// Sends `request`; a transport failure names the provider and what it was doing. The URL is
/// left out of the message: some providers (ClouDNS) carry credentials in it.
pub(super) async fn send(
    label: &str,
    doing: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    request.send().await.map_err(|e| {
        let e = e.without_url();
        let cause = std::error::Error::source(&e)
            .map(|s| format!("{e}: {s}"))
            .unwrap_or_else(|| e.to_string());
        provider_error(label, doing, format!("cannot reach the API ({cause})"))
    })
}

/// The whole body as text (invalid UTF-8 replaced), read within the client's timeout and no
/// further than [`MAX_BODY`].
pub(super) async fn text(label: &str, doing: &str, response: reqwest::Response) -> Result<String> {
    let body = read_limited(response, MAX_BODY).await.map_err(|e| {
        let why = match e {
            BodyError::TooLarge => format!(
                "the answer is larger than the size limit of {} MiB, far more than the API \
                 sends; certdesk stopped reading it",
                MAX_BODY >> 20
            ),
            BodyError::Broken(e) => format!("the answer broke off ({e})"),
        };
        provider_error(label, doing, why)
    })?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The body of a successful answer as JSON; any other status becomes the provider's own text
/// (run through `explain`, which knows the provider's error format).
pub(super) async fn json<T: DeserializeOwned>(
    label: &str,
    doing: &str,
    response: reqwest::Response,
    explain: fn(&str) -> Option<String>,
) -> Result<T> {
    let status = response.status();
    let body = text(label, doing, response).await?;
    if !status.is_success() {
        let text = explain(&body).unwrap_or_else(|| body.chars().take(500).collect());
        return Err(provider_error(
            label,
            doing,
            format!("HTTP {status}: {}", text.trim()),
        ));
    }
    // An empty success body reads as JSON `null` (for `()` and `Option`).
    let body = if body.trim().is_empty() {
        "null"
    } else {
        &body
    };
    serde_json::from_str(body).map_err(|e| {
        provider_error(
            label,
            doing,
            format!("the answer is not what its API documents ({e})"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: Vec<u8>) -> reqwest::Response {
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn an_answer_past_the_size_limit_is_not_read() {
        let e = text(
            "Example DNS",
            "reading TXT",
            response(vec![b'x'; MAX_BODY + 1]),
        )
        .await
        .expect_err("too large");
        assert!(e.to_string().contains("size limit of 2 MiB"), "{e}");
        let ok = text("Example DNS", "reading TXT", response(b"{}".to_vec()))
            .await
            .expect("read");
        assert_eq!(ok, "{}");
    }
}
