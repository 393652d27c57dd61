//! A built-in http-01 responder, like lego's and certbot's standalone modes: it serves
//! `/.well-known/acme-challenge/TOKEN` from memory on an address the administrator chooses
//! (port 80 of the host the names point to, or a port a web server proxies to). The agents on
//! end servers reuse it. Publishing an order's challenges on it is the engine's
//! (`certdesk_engine::http01::publish`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use tokio::net::{TcpListener, TcpStream};

use crate::acme::checks::check_token;
use crate::error::Result;
use crate::serve::{self, HttpLimits};

const PREFIX: &str = "/.well-known/acme-challenge/";

type Tokens = Arc<RwLock<HashMap<String, String>>>;

/// The listener task stops when the responder is dropped.
pub struct Http01Responder {
    tokens: Tokens,
    task: tokio::task::JoinHandle<()>,
}

impl Http01Responder {
    /// Binds `addr` (e.g. `0.0.0.0:80`) and starts answering.
    pub async fn bind(addr: &str) -> Result<Arc<Self>> {
        let listener = serve::bind(addr, "http-01", 80).await?;
        let tokens = Tokens::default();
        let task = tokio::spawn(serve(listener, tokens.clone()));
        Ok(Arc::new(Self { tokens, task }))
    }

    /// Serves `token` with `key_authorization` until it is removed. A token that is not an
    /// ACME token (see [`check_token`]) is refused.
    pub fn add(&self, token: &str, key_authorization: &str) -> Result<()> {
        check_token(token)?;
        if let Ok(mut map) = self.tokens.write() {
            map.insert(token.to_owned(), key_authorization.to_owned());
        }
        Ok(())
    }

    pub fn remove(&self, token: &str) {
        if let Ok(mut map) = self.tokens.write() {
            map.remove(token);
        }
    }

    /// The tokens served now.
    pub fn tokens(&self) -> Vec<String> {
        self.tokens
            .read()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for Http01Responder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A validation is one small GET, sent at once; a peer slower than this is not a CA.
const LIMITS: HttpLimits = HttpLimits {
    connections: 256,
    handshake: Duration::from_secs(5),
    headers: Duration::from_secs(5),
    connection: Duration::from_secs(15),
    finish: Duration::from_secs(5),
};

async fn serve(listener: TcpListener, tokens: Tokens) {
    // One small answer per connection: send it without waiting for Nagle.
    let nodelay = |stream: TcpStream| async move {
        let _ = stream.set_nodelay(true);
        Ok(stream)
    };
    let service = move |_peer| {
        let tokens = tokens.clone();
        service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let answer = req
                .uri()
                .path()
                .strip_prefix(PREFIX)
                .and_then(|token| tokens.read().ok()?.get(token).cloned());
            async move {
                Ok::<_, Infallible>(
                    match answer {
                        Some(body) => Response::builder()
                            .header(http::header::CONTENT_TYPE, "application/octet-stream")
                            .body(Full::new(Bytes::from(body))),
                        None => Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::new())),
                    }
                    .unwrap_or_default(),
                )
            }
        })
    };
    serve::http1(listener, LIMITS, nodelay, service, std::future::pending()).await;
}

#[cfg(test)]
mod token_tests {
    use super::*;

    #[tokio::test]
    async fn tokens_that_are_not_acme_tokens_are_never_served() {
        let responder = Http01Responder::bind("127.0.0.1:0").await.unwrap();
        let err = responder.add("../../../victim.txt", "x").unwrap_err();
        assert!(err.to_string().contains("is not an ACME token"), "{err}");
        assert!(responder.tokens().is_empty());
        responder.add("good_-1", "good_-1.thumbprint").unwrap();
        assert_eq!(responder.tokens(), ["good_-1"]);
        responder.remove("good_-1");
        assert!(responder.tokens().is_empty());
    }
}
