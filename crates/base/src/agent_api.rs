//! The certdesk agent's API: the few HTTPS calls the app makes to `certdesk-agent` on an end
//! server, defined once here so the agent (server) and the engine (client) cannot drift apart.
//!
//! Every call carries the pairing token as `Authorization: Bearer TOKEN`. The app generates the
//! token at pairing and keeps it sealed; the agent keeps only its SHA-256 ([`token_hash`]) and
//! compares in constant time ([`token_matches`]), so neither the agent's files nor a copy of
//! them reveal a usable token. The agent's TLS certificate is self-signed and pinned by its
//! SHA-256 fingerprint ([`fingerprint`]), which both sides print the same way.

use aws_lc_rs::{constant_time, digest};
use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use zeroize::Zeroizing;

pub use crate::dns::command::Action;

use crate::acme::checks;
use crate::deploy::Bundle;
use crate::dns::TxtSet;
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::keystore::CertBundle;

/// `GET`: [`Health`].
pub const HEALTH: &str = "/v1/health";
/// `PUT` (body [`Http01Token`]) or `DELETE` `/v1/http01/TOKEN`: serve or stop serving an http-01
/// answer.
pub const HTTP01: &str = "/v1/http01/";
/// `POST` (body [`InstallBundle`]): install a certificate; answers [`Installed`].
pub const INSTALL: &str = "/v1/install";
/// `POST` (body [`TxtChange`]): add or remove one dns-01 TXT value where the agent's own
/// configuration says (its DNS command, or the Windows DNS Server), given as its key
/// authorization.
pub const DNS01: &str = "/v1/dns01";

/// Bytes of randomness in a pairing token (256 bits, 43 characters of base64url).
const TOKEN_BYTES: usize = 32;
/// Bytes in an RFC 7638 JWK thumbprint (SHA-256).
const THUMBPRINT_BYTES: usize = 32;

/// What the agent reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub version: String,
    /// The operating system the agent runs on (`linux`, `windows`).
    pub os: String,
    /// How it answers http-01, in words (e.g. "its own listener on 0.0.0.0:80").
    pub http01: String,
    /// Where it installs certificates, in words.
    pub installs: String,
    /// How it publishes dns-01 TXT records, in words; none when it is not set up for it (as
    /// with agents older than this field).
    #[serde(default)]
    pub dns01: Option<String>,
    /// The certificate names its configuration lets it serve, in words; none from agents
    /// older than this field.
    #[serde(default)]
    pub names: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Http01Token {
    pub key_authorization: String,
}

/// One dns-01 TXT value for the agent to add or remove, given as the key authorization it is the
/// digest of: the agent checks whose account that is and computes the value itself
/// ([`TxtChange::value`]), as it does for http-01.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxtChange {
    pub action: Action,
    /// The TXT name (`_acme-challenge.NAME`, or where its CNAME points), without the final dot.
    pub fqdn: String,
    /// The zone holding it, as certdesk found it by SOA lookup: the Windows DNS Server adds
    /// records by zone and relative name.
    pub zone: String,
    /// The challenge's `token.THUMBPRINT` (RFC 8555 §8.4), for a removal too: one shape both
    /// ways, and the value removed is the one added.
    pub key_authorization: String,
}

impl TxtChange {
    /// Refuses anything but a dns-01 key authorization for a DNS name inside its zone, and
    /// returns the account thumbprint in it. The agent also refuses a name outside its own
    /// configuration's `names` and adds a value only for a thumbprint pinned at pairing, so a
    /// stolen token can at most add challenge values for certdesk's own accounts at the
    /// `_acme-challenge` names of those.
    pub fn check(&self) -> Result<&str> {
        let name_like = |s: &str| {
            !s.is_empty()
                && s.len() <= 253
                && s.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        };
        if !name_like(&self.fqdn) || !name_like(&self.zone) {
            return Err(Error::input(format!(
                "{:?} in zone {:?} is not a DNS name certdesk publishes dns-01 records at",
                self.fqdn, self.zone
            )));
        }
        let fqdn = self.fqdn.to_ascii_lowercase();
        let zone = self.zone.to_ascii_lowercase();
        if fqdn != zone && !fqdn.ends_with(&format!(".{zone}")) {
            return Err(Error::input(format!(
                "{} is not inside the zone {}",
                self.fqdn, self.zone
            )));
        }
        // A token has no dot (base64url), so the first one ends it.
        let token = self
            .key_authorization
            .split_once('.')
            .map_or(self.key_authorization.as_str(), |(token, _)| token);
        checks::check_token(token)?;
        key_authorization_thumbprint(token, &self.key_authorization)
    }

    /// The TXT value to add or remove: the digest of the key authorization.
    pub fn value(&self) -> String {
        checks::txt_value(&self.key_authorization)
    }

    /// `fqdn` relative to the zone: `_acme-challenge.www` in `example.com`, `@` at the apex.
    pub fn relative_name(&self) -> String {
        TxtSet {
            fqdn: self.fqdn.clone(),
            zone: self.zone.clone(),
            values: Vec::new(),
        }
        .relative_name()
    }
}

/// A certificate for the agent to install where its own configuration says: the agent, not the
/// app, decides which files it writes, which command it runs and which names a certificate may
/// carry, so a stolen token can at most install another certificate for those names there.
#[derive(Clone, Serialize, Deserialize)]
pub struct InstallBundle {
    /// The repository entry.
    pub id: String,
    /// The leaf's serial, lower-case hex.
    pub serial: String,
    pub names: Vec<String>,
    /// The leaf, one PEM block.
    pub certificate_pem: String,
    /// The issuers, leaf's issuer first.
    pub chain_pem: String,
    /// The private key, PKCS#8 PEM. Travels only inside the pinned TLS connection.
    pub key_pem: String,
    /// The request's keystore password, for PKCS#12 and JKS files.
    pub password: Option<String>,
    pub alias: String,
}

impl InstallBundle {
    /// What the app sends for `bundle`.
    pub fn from_bundle(bundle: &Bundle) -> Self {
        Self {
            id: bundle.id.clone(),
            serial: bundle.serial.clone(),
            names: bundle.names.clone(),
            certificate_pem: bundle.cert.certificate_pem.clone(),
            chain_pem: bundle.cert.chain_pem.clone(),
            key_pem: bundle.cert.key.to_pem(),
            password: bundle.password.as_ref().map(|p| p.to_string()),
            alias: bundle.cert.alias.clone(),
        }
    }

    /// The certificate with its key, checked to belong together.
    pub fn cert_bundle(&self) -> Result<CertBundle> {
        let cert = CertBundle {
            certificate_pem: self.certificate_pem.clone(),
            chain_pem: self.chain_pem.clone(),
            key: PrivateKey::from_pem(&self.key_pem)?,
            alias: self.alias.clone(),
        };
        cert.certificates_der()?;
        Ok(cert)
    }

    /// The bundle the agent renders its files from.
    pub fn into_bundle(self) -> Result<Bundle> {
        Ok(Bundle {
            cert: self.cert_bundle()?,
            password: self.password.map(Zeroizing::new),
            id: self.id,
            serial: self.serial,
            names: self.names,
        })
    }
}

impl std::fmt::Debug for InstallBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InstallBundle({}, serial {})", self.id, self.serial)
    }
}

/// What the agent did with an [`InstallBundle`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// One line per file written or store entry changed.
    pub changes: Vec<String>,
    /// The reload command's output, when one ran.
    pub reload: Option<String>,
    /// The serial the server presented after the reload, when the agent's configuration names
    /// an address to check.
    pub served_serial: Option<String>,
}

/// The body of every refusal: what went wrong and what to do, in the agent's words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

/// What `certdesk agent pair` shows once and `certdesk-agent pair` takes on the server:
/// `TOKEN.THUMBPRINT.THUMBPRINT…`, the pairing token followed by the RFC 7638 thumbprints of
/// certdesk's ACME accounts.
///
/// The agent serves an http-01 key authorization (`TOKEN.THUMBPRINT`), and publishes the TXT
/// value of a dns-01 one, only for one of these thumbprints. They reach it only this way,
/// through the administrator on the server: the API has no call that adds one, so a stolen
/// pairing token cannot make the agent answer a challenge for an account certdesk does not
/// hold.
pub struct PairingCode {
    pub token: Zeroizing<String>,
    pub thumbprints: Vec<String>,
}

impl PairingCode {
    /// A fresh token for the accounts with these thumbprints.
    pub fn new(thumbprints: Vec<String>) -> Self {
        Self {
            token: Zeroizing::new(new_token()),
            thumbprints,
        }
    }

    /// The one line the administrator copies.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(self.token.to_string());
        for thumbprint in &self.thumbprints {
            text.push('.');
            text.push_str(thumbprint);
        }
        text
    }

    /// Reads what the administrator pasted, refusing anything `encode` does not make.
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = text.trim().split('.');
        let token = parts.next().unwrap_or_default();
        check_token(token)?;
        let mut thumbprints: Vec<String> = Vec::new();
        for part in parts {
            check_thumbprint(part).map_err(|_| {
                Error::input(
                    "this pairing code is damaged (a part after the token is not an ACME account \
                     thumbprint): copy the whole line `certdesk agent pair` showed",
                )
            })?;
            if !thumbprints.iter().any(|t| t == part) {
                thumbprints.push(part.to_owned());
            }
        }
        Ok(Self {
            token: Zeroizing::new(token.to_owned()),
            thumbprints,
        })
    }
}

/// Refuses text that is not an RFC 7638 SHA-256 thumbprint in base64url.
pub fn check_thumbprint(text: &str) -> Result<()> {
    match BASE64_URL_SAFE_NO_PAD.decode(text) {
        Ok(bytes) if bytes.len() == THUMBPRINT_BYTES => Ok(()),
        _ => Err(Error::input(format!(
            "{text:?} is not an ACME account thumbprint (43 characters of base64url)"
        ))),
    }
}

/// The account thumbprint in a key authorization, which must be `token.THUMBPRINT`
/// (RFC 8555 §8.1) and nothing else.
pub fn key_authorization_thumbprint<'a>(
    token: &str,
    key_authorization: &'a str,
) -> Result<&'a str> {
    key_authorization
        .strip_prefix(token)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|thumbprint| check_thumbprint(thumbprint).is_ok())
        .ok_or_else(|| {
            Error::input(format!(
                "the key authorization is not {token}.THUMBPRINT (the token, a dot and an ACME \
                 account thumbprint)"
            ))
        })
}

/// The RFC 7638 thumbprint of a P-256 public key given as its uncompressed point
/// (`04 || X || Y`): SHA-256 of the JWK's required members in lexicographic order.
pub fn p256_thumbprint(uncompressed_point: &[u8]) -> Result<String> {
    let coordinates = uncompressed_point
        .strip_prefix(&[4u8])
        .filter(|xy| xy.len() == 64)
        .ok_or_else(|| Error::Damaged("the ACME account key is not a P-256 key".into()))?;
    let (x, y) = coordinates.split_at(32);
    let jwk = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        BASE64_URL_SAFE_NO_PAD.encode(x),
        BASE64_URL_SAFE_NO_PAD.encode(y)
    );
    Ok(BASE64_URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, jwk.as_bytes())))
}

/// A fresh pairing token.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    BASE64_URL_SAFE_NO_PAD.encode(bytes)
}

/// Refuses text that is not a token [`new_token`] makes, with what to do instead.
pub fn check_token(token: &str) -> Result<()> {
    let decoded = BASE64_URL_SAFE_NO_PAD.decode(token.trim());
    match decoded {
        Ok(bytes) if bytes.len() == TOKEN_BYTES => Ok(()),
        _ => Err(Error::input(
            "this is not a certdesk pairing token (43 characters of base64url): copy the token \
             `certdesk agent pair` showed, on its own",
        )),
    }
}

/// The SHA-256 of a token as lower-case hex: what the agent stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.trim().as_bytes()))
}

/// Whether `token` is the one whose [`token_hash`] is `stored`, compared in constant time.
pub fn token_matches(token: &str, stored: &str) -> bool {
    constant_time::verify_slices_are_equal(token_hash(token).as_bytes(), stored.as_bytes()).is_ok()
}

/// The SHA-256 fingerprint of a DER certificate as `AB:CD:…`, the form `openssl x509
/// -fingerprint -sha256` prints, so an administrator can compare it with either tool.
pub fn fingerprint(der: &[u8]) -> String {
    digest::digest(&digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A fingerprint as typed or pasted (any case, with or without colons, an optional `SHA256:`
/// or `sha256 Fingerprint=` prefix) in the form [`fingerprint`] prints.
pub fn normalize_fingerprint(text: &str) -> Result<String> {
    let text = text.trim();
    let text = text.rsplit_once('=').map_or(text, |(_, v)| v);
    let text = text
        .strip_prefix("SHA256:")
        .or_else(|| text.strip_prefix("sha256:"))
        .unwrap_or(text);
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::input(format!(
            "{text:?} is not a SHA-256 fingerprint: give the 64 hex digits certdesk-agent printed \
             (colons optional)"
        )));
    }
    Ok(digits
        .to_ascii_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_hash_only() {
        let token = new_token();
        check_token(&token).unwrap();
        let stored = token_hash(&token);
        assert!(!stored.contains(&token));
        assert!(token_matches(&token, &stored));
        assert!(!token_matches(&new_token(), &stored));
        assert!(!token_matches("", &stored));
        assert!(check_token("short").is_err());
    }

    #[test]
    fn only_key_authorizations_for_names_inside_their_zone_are_taken() {
        let thumbprint = BASE64_URL_SAFE_NO_PAD.encode([7u8; 32]);
        let good = TxtChange {
            action: Action::Present,
            fqdn: "_acme-challenge.www.example.com".into(),
            zone: "example.com".into(),
            key_authorization: format!("tok_-1.{thumbprint}"),
        };
        assert_eq!(good.check().unwrap(), thumbprint);
        assert_eq!(good.relative_name(), "_acme-challenge.www");
        assert_eq!(good.value(), checks::txt_value(&good.key_authorization));
        checks::check_txt_value(&good.value()).unwrap();
        let outside = TxtChange {
            zone: "example.org".into(),
            ..good.clone()
        };
        assert!(outside.check().is_err());
        let injected = TxtChange {
            fqdn: "x\"; Remove-Item C:\\ #.example.com".into(),
            ..good.clone()
        };
        assert!(injected.check().is_err());
        // A digest (what certdesk sent before), a bare token, a damaged thumbprint, a token
        // outside base64url: none says whose account the value would be for.
        for bad in [
            thumbprint.clone(),
            "tok1".into(),
            "tok1.".into(),
            ".".to_owned() + &thumbprint,
            format!("tok1.{thumbprint}x"),
            format!("tok1.{thumbprint}.{thumbprint}"),
            format!("to/k.{thumbprint}"),
            format!("tok1.{}", &thumbprint[1..]),
        ] {
            let change = TxtChange {
                key_authorization: bad.clone(),
                ..good.clone()
            };
            assert!(change.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pairing_code_carries_the_token_and_the_thumbprints() {
        let thumbprint = BASE64_URL_SAFE_NO_PAD.encode([9u8; 32]);
        let code = PairingCode::new(vec![thumbprint.clone()]);
        let text = code.encode();
        let read = PairingCode::parse(&format!("  {}\n", text.as_str())).unwrap();
        assert_eq!(read.token.as_str(), code.token.as_str());
        assert_eq!(read.thumbprints, std::slice::from_ref(&thumbprint));
        // A bare token pins no account; a damaged part is refused.
        assert!(PairingCode::parse(&code.token)
            .unwrap()
            .thumbprints
            .is_empty());
        assert!(PairingCode::parse(&format!("{}.abc", code.token.as_str())).is_err());

        let ka = format!("tok1.{thumbprint}");
        assert_eq!(
            key_authorization_thumbprint("tok1", &ka).unwrap(),
            thumbprint
        );
        for bad in [
            "tok1",
            "tok1.",
            "tok2.x",
            "tok1x.abc",
            &format!("tok1.{thumbprint}/"),
        ] {
            assert!(key_authorization_thumbprint("tok1", bad).is_err(), "{bad}");
        }
    }

    /// RFC 7638 applied to the P-256 key of RFC 7515 appendix A.3, checked with Python's
    /// hashlib over the same JWK.
    #[test]
    fn the_thumbprint_of_a_p256_key_is_rfc_7638s() {
        let x = BASE64_URL_SAFE_NO_PAD
            .decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")
            .unwrap();
        let y = BASE64_URL_SAFE_NO_PAD
            .decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")
            .unwrap();
        let point = [&[4u8][..], &x, &y].concat();
        assert_eq!(
            p256_thumbprint(&point).unwrap(),
            "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"
        );
        assert!(p256_thumbprint(&point[1..]).is_err());
    }

    #[test]
    fn fingerprints_are_read_in_every_usual_form() {
        let fp = fingerprint(b"certificate");
        assert_eq!(fp.len(), 95);
        let bare: String = fp.chars().filter(|c| *c != ':').collect();
        assert_eq!(normalize_fingerprint(&bare.to_lowercase()).unwrap(), fp);
        assert_eq!(
            normalize_fingerprint(&format!("sha256 Fingerprint={fp}")).unwrap(),
            fp
        );
        assert!(normalize_fingerprint("AB:CD").is_err());
    }
}
