//! The dns-account-01 record name (draft-ietf-acme-dns-account-label, as Pebble ≥ 2.5.2 checks
//! it): `_<label>._acme-challenge.<name>`, where the label is the first 10 bytes of the SHA-256
//! of the account URL in lower-case base32. Its value is dns-01's (the key authorization's
//! digest); only the name is the account's, so two accounts (two CAs, two clients) can prove the
//! same name without overwriting each other's records.

use aws_lc_rs::digest::{digest, SHA256};

/// The TXT name the CA reads for `domain` (a wildcard at its base name) and `account_url`.
pub fn record_name(account_url: &str, domain: &str) -> String {
    let base = domain.strip_prefix("*.").unwrap_or(domain);
    format!("_{}._acme-challenge.{base}", label(account_url))
}

/// `base32(sha256(account_url)[0..10])`, lower case: 16 characters, no padding (10 bytes are
/// exactly 80 bits, 16 groups of 5).
pub fn label(account_url: &str) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let hash = digest(&SHA256, account_url.as_bytes());
    let bits = hash.as_ref()[..10]
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    (0..16)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_is_pebbles() {
        // Pebble's va: strings.ToLower(base32.StdEncoding.EncodeToString(sha256(url)[0:10])),
        // computed here with coreutils: printf %s URL | sha256sum | head -c 20 | xxd -r -p | base32
        assert_eq!(
            label("https://localhost:14000/my-account/1"),
            "bpjsk7g2c3iuj47a"
        );
        assert_eq!(
            record_name("https://localhost:14000/my-account/1", "*.example.com"),
            "_bpjsk7g2c3iuj47a._acme-challenge.example.com"
        );
    }
}
