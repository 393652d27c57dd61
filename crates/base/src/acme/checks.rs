//! What the CA sends is checked before anything acts on it. A token becomes a file name on an
//! end server and the path of a URL; an authorization's identifier decides which name the CA is
//! told to validate and where a TXT record goes; a TXT value goes into a zone. RFC 8555 fixes
//! the shape of each, so anything else is refused, with the CA's value named (quoted, escaped, cut
//! short) before anything is written, published or answered.
//!
//! Every layer that writes a token (the SSH target, the agent, the built-in responder) calls
//! [`check_token`] again: a token that reached a record some other way stops there too.
//!
//! The check of an authorization's identifier, on instant-acme's types, is the engine's
//! (`certdesk_engine::acme::checks::requested_name`).

use std::fmt;

use aws_lc_rs::digest;
use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};

use crate::error::Error;

/// The longest token accepted. RFC 8555 §8.1 asks for at least 128 bits of entropy (22
/// base64url characters; CAs send 43): 256 leaves room for any CA without letting one send a
/// file name of any length.
pub const MAX_TOKEN_LEN: usize = 256;

/// The length of a dns-01 TXT value: the unpadded base64url SHA-256 digest of the key
/// authorization (RFC 8555 §8.4).
pub const TXT_VALUE_LEN: usize = 43;

/// The most characters of a refused value that a message shows.
const SHOWN_CHARS: usize = 80;

/// A value refused, and why, in words that name it. At a layer whose caller handed it the
/// value (the agent's API, a responder) it becomes [`Error::Input`]; issuance reports what the
/// CA sent as [`Error::CaData`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(String);

impl Refusal {
    /// A refusal that says `message` (which names the value with [`shown`]).
    pub fn new(message: String) -> Self {
        Self(message)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::Input(refusal.0)
    }
}

/// An http-01 (or dns-01) token: 1 to [`MAX_TOKEN_LEN`] characters of the base64url alphabet
/// (RFC 8555 §8.1), so it can never name another folder, a hidden file or a query.
pub fn check_token(token: &str) -> Result<(), Refusal> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || !is_base64url(token) {
        return Err(Refusal(format!(
            "{} is not an ACME token (1 to {MAX_TOKEN_LEN} base64url characters, RFC 8555 §8.1)",
            shown(token)
        )));
    }
    Ok(())
}

/// A dns-01 TXT value: exactly [`TXT_VALUE_LEN`] base64url characters.
pub fn check_txt_value(value: &str) -> Result<(), Refusal> {
    if value.len() != TXT_VALUE_LEN || !is_base64url(value) {
        return Err(Refusal(format!(
            "{} is not a dns-01 TXT value (a base64url SHA-256 digest, {TXT_VALUE_LEN} \
             characters, RFC 8555 §8.4)",
            shown(value)
        )));
    }
    Ok(())
}

/// The dns-01 TXT value of `key_authorization`: its SHA-256 digest in base64url without padding
/// (RFC 8555 §8.4). Issuance and the agent (which is sent the key authorization, so that it can
/// check the account) both compute it here.
pub fn txt_value(key_authorization: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(digest::digest(
        &digest::SHA256,
        key_authorization.as_bytes(),
    ))
}

/// `text` as a message shows a value from outside: quoted, with control characters (C0, DEL,
/// C1) escaped so that none reaches a terminal, and cut after [`SHOWN_CHARS`] characters.
pub fn shown(text: &str) -> String {
    let count = text.chars().count();
    if count <= SHOWN_CHARS {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{head:?}… ({count} characters)")
}

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_base64url_and_bounded() {
        assert!(check_token("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0").is_ok());
        assert!(check_token("a").is_ok());
        assert!(check_token(&"A".repeat(MAX_TOKEN_LEN)).is_ok());
        for bad in [
            "",
            "../../../victim.txt",
            "..",
            "a/b",
            "a\\b",
            "tok.en",
            "tok=",
            "tok+en",
            "tok en",
            "tok%2f",
            "tok?x",
            "t\u{0}",
            "é",
        ] {
            let refused = check_token(bad).unwrap_err().to_string();
            assert!(
                refused.contains("is not an ACME token"),
                "{bad:?}: {refused}"
            );
        }
        assert!(check_token(&"A".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn a_refusal_names_the_value_escaped_and_cut_short() {
        let refused = check_token("\u{1b}]0;owned\u{7}\u{9b}31m")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with(r#""\u{1b}]0;owned\u{7}\u{9b}31m" is not"#),
            "{refused}"
        );
        assert!(!refused.chars().any(char::is_control), "{refused}");
        let long = check_token(&"/".repeat(10_000)).unwrap_err().to_string();
        assert!(long.contains("… (10000 characters)"), "{long}");
        assert!(long.len() < 300, "{long}");
        let error: Error = check_token("..").unwrap_err().into();
        assert!(matches!(error, Error::Input(_)));
    }

    #[test]
    fn txt_values_are_sha256_digests_in_base64url() {
        assert!(check_txt_value("nTJ0-bp7oLx8-tr1NhEbS6ZxgILr2r9wyW9jD4rvKcA").is_ok());
        for bad in [
            "",
            "short",
            "nTJ0-bp7oLx8-tr1NhEbS6ZxgILr2r9wyW9jD4rvKcA=",
            "nTJ0+bp7oLx8/tr1NhEbS6ZxgILr2r9wyW9jD4rvKcA",
            "nTJ0-bp7oLx8-tr1NhEbS6ZxgILr2r9wyW9jD4rvKc\"",
        ] {
            assert!(check_txt_value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_txt_value_is_the_unpadded_base64url_sha256_of_the_key_authorization() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1, in base64url.
        assert_eq!(
            txt_value("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        let value = txt_value("tok1.oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
        assert!(check_txt_value(&value).is_ok(), "{value}");
    }
}
