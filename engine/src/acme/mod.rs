//! Talking to the CA: instant-acme plus what it lacks (directory meta, timeouts and retries, the
//! checks on what the CA sends) and the mapping of its errors onto certdesk's.

pub(crate) mod ari;
pub(crate) mod chains;
mod challenge;
pub mod checks;
pub mod directory;
pub mod http;
pub mod profiles;

pub use ari::AriWindow;
pub use challenge::{Challenge, OrderChallenge};
pub use directory::{fetch_meta, Ca, CaProfile, DirectoryMeta};
pub use http::AcmeHttp;

use crate::error::{Error, Problem, Subproblem};

/// Maps an instant-acme error to certdesk's: a problem document stays whole, everything else is a
/// network failure with the CA's URL named.
pub fn error(context: &str, e: instant_acme::Error) -> Error {
    match e {
        instant_acme::Error::Api(p) => Error::Ca(problem(p)),
        // A problem instant-acme would not keep whole (see `http::WholeProblem`).
        instant_acme::Error::Other(e) => match e.downcast::<http::WholeProblem>() {
            Ok(p) => Error::Ca(p.0),
            // A URL the CA handed out that is not https is wrong data, not a network failure:
            // retrying the same order would meet it again.
            Err(e) => match e.downcast::<http::Failed>() {
                Ok(failed) if failed.not_https() => Error::CaData(failed.to_string()),
                Ok(failed) => Error::Network(format!("{context}: {failed}")),
                Err(e) => Error::Network(format!("{context}: {}", http::causes(&*e))),
            },
        },
        instant_acme::Error::Timeout(_) => Error::Network(format!(
            "{context}: the CA did not finish in time; run the same command again later to \
             continue where it stopped"
        )),
        other => Error::Network(format!("{context}: {}", http::causes(&other))),
    }
}

pub fn problem(p: instant_acme::Problem) -> Problem {
    Problem {
        kind: p.r#type,
        detail: p.detail,
        status: p.status,
        subproblems: p
            .subproblems
            .into_iter()
            .map(|s| Subproblem {
                identifier: s.identifier.map(|i| match i {
                    instant_acme::Identifier::Dns(d) => d,
                    instant_acme::Identifier::Ip(ip) => ip.to_string(),
                    other => format!("{other:?}"),
                }),
                kind: s.r#type,
                detail: s.detail,
            })
            .collect(),
        retry_after_secs: None,
        instance: None,
    }
}

/// How many times a whole step is redone after instant-acme's own badNonce retries ran out.
pub(crate) const NONCE_STEP_RETRIES: u32 = 5;

/// Runs `step` again while the CA keeps rejecting nonces. Only for steps that are safe to repeat
/// (a nonce rejection means the CA did not act on the request).
pub async fn retry_bad_nonce<T, F, Fut>(mut step: F) -> crate::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::Result<T>>,
{
    let mut retries = 0;
    loop {
        match step().await {
            Err(e) if e.is_bad_nonce() && retries < NONCE_STEP_RETRIES => retries += 1,
            other => return other,
        }
    }
}
