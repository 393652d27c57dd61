//! Reading an HTTPS answer's body (reqwest) no further than a limit: the DNS providers' APIs and
//! the agents are peers certdesk does not control, and `Response::bytes` reads whatever they send.
//! The time is the client's own timeout, which runs until the body has been read.
//!
//! Public because the engine reads its agents' answers with it too.

/// Why a body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// The peer declared or sent more than the limit; reading stopped there.
    TooLarge,
    /// The connection broke off (or timed out) mid-body.
    Broken(reqwest::Error),
}

/// The whole body of `response`, refused as soon as it is known to pass `max` bytes.
pub async fn read_limited(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: Vec<u8>) -> reqwest::Response {
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused_and_one_within_it_read_whole() {
        assert!(matches!(
            read_limited(response(vec![b'x'; 11]), 10).await,
            Err(BodyError::TooLarge)
        ));
        let body = read_limited(response(vec![b'x'; 10]), 10).await;
        assert_eq!(body.expect("within the limit"), vec![b'x'; 10]);
    }
}
