//! Private keys: the algorithms certdesk offers, generating and importing keys, and the CSR that
//! finalizes an ACME order.
//!
//! A key is kept as PKCS#8 DER, the one form every consumer takes (rcgen, PKCS#12, JKS, PEM
//! export). Keys imported in the older PKCS#1 and SEC1 forms are converted on the way in, so
//! nothing downstream cares where a key came from. Only the sizes and curves below are accepted:
//! they are what public CAs issue for and what rcgen can sign with.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING,
};
use pkcs8::ObjectIdentifier;
use rcgen::string::Ia5String;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData, SanType};
use rustls::pki_types::PrivatePkcs8KeyDer;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::names::Name;

/// The kinds of key a certificate can be issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum KeyAlgorithm {
    #[serde(rename = "rsa2048")]
    Rsa2048,
    #[serde(rename = "rsa3072")]
    Rsa3072,
    #[serde(rename = "rsa4096")]
    Rsa4096,
    #[serde(rename = "p256")]
    EcP256,
    #[serde(rename = "p384")]
    EcP384,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 5] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP384,
    ];

    /// The id used in settings, on the command line and in serialized data.
    pub fn id(self) -> &'static str {
        match self {
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
            Self::Rsa4096 => "rsa4096",
            Self::EcP256 => "p256",
            Self::EcP384 => "p384",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA 2048",
            Self::Rsa3072 => "RSA 3072",
            Self::Rsa4096 => "RSA 4096",
            Self::EcP256 => "ECDSA P-256",
            Self::EcP384 => "ECDSA P-384",
        }
    }

    /// The signature algorithms this key can sign a CSR with: any SHA-2 for RSA, and for ECDSA
    /// only the hash that matches the curve, which is all rcgen implements.
    pub fn signatures(self) -> &'static [SignatureAlgorithm] {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &SignatureAlgorithm::ALL,
            Self::EcP256 => &[SignatureAlgorithm::Sha256],
            Self::EcP384 => &[SignatureAlgorithm::Sha384],
        }
    }

    /// The signature algorithm to use when the user did not choose one.
    pub fn default_signature(self) -> SignatureAlgorithm {
        self.signatures()[0]
    }

    /// The aws-lc curve of an ECDSA key; `None` for RSA.
    fn curve(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => None,
            Self::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
            Self::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_choice("key algorithm", s, &Self::ALL)
    }
}

/// The hash a CSR (and so, with most CAs, the certificate request) is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SignatureAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    /// The id used in settings, on the command line and in serialized data.
    pub fn id(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_choice("signature algorithm", s, &Self::ALL)
    }
}

/// Refuses a signature algorithm the key cannot sign with, saying which ones it can.
pub fn check_signature(key: KeyAlgorithm, signature: SignatureAlgorithm) -> Result<()> {
    let allowed = key.signatures();
    if allowed.contains(&signature) {
        return Ok(());
    }
    let ids: Vec<&str> = allowed.iter().map(|s| s.id()).collect();
    Err(Error::input(format!(
        "{} keys can only sign with {}, not {signature}",
        key.label(),
        ids.join(" or ")
    )))
}

/// Parses one id of a closed set (ignoring case), naming every valid id when it fails. The
/// enums' `Display` is their id, so it and `FromStr` round-trip.
pub(crate) fn parse_choice<T: Copy + fmt::Display>(
    what: &str,
    input: &str,
    choices: &[T],
) -> Result<T> {
    let wanted = input.trim();
    choices
        .iter()
        .copied()
        .find(|choice| choice.to_string().eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            let ids: Vec<String> = choices.iter().map(ToString::to_string).collect();
            Error::input(format!(
                "unknown {what} {input:?}: choose one of {}",
                ids.join(", ")
            ))
        })
}

/// A failure of the crypto or keystore libraries on input certdesk made itself, which the user
/// cannot fix by changing what they typed. It is reported as input until the error type has a
/// variant for internal failures.
pub(crate) fn unexpected(what: &str, error: impl fmt::Display) -> Error {
    Error::input(format!("{what}: {error}"))
}

/// A certificate's private key, as PKCS#8 DER that is wiped from memory when dropped.
#[derive(Clone)]
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    algorithm: KeyAlgorithm,
}

/// The DER encodings a private key arrives in, each named after its PEM label.
#[derive(Clone, Copy)]
enum Encoding {
    /// "PRIVATE KEY": any algorithm, the form certdesk keeps.
    Pkcs8,
    /// "RSA PRIVATE KEY", OpenSSL's traditional RSA form.
    Pkcs1,
    /// "EC PRIVATE KEY", OpenSSL's traditional EC form.
    Sec1,
}

const NOT_A_KEY: &str = "the key file is not a PEM private key";
const RSA_SIZES: &str = "use 2048, 3072 or 4096";
const ENCRYPTED: &str = "the key file is encrypted: decrypt it first \
                         (openssl pkey -in encrypted.key -out plain.key) and import that";

impl PrivateKey {
    /// A new random key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self> {
        use rcgen::RsaKeySize;
        let rsa = |size| KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size);
        let pair = match algorithm {
            KeyAlgorithm::Rsa2048 => rsa(RsaKeySize::_2048),
            KeyAlgorithm::Rsa3072 => rsa(RsaKeySize::_3072),
            KeyAlgorithm::Rsa4096 => rsa(RsaKeySize::_4096),
            KeyAlgorithm::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyAlgorithm::EcP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        }
        .map_err(|e| {
            unexpected(
                &format!("could not generate an {} key", algorithm.label()),
                e,
            )
        })?;
        Ok(Self {
            pkcs8: Zeroizing::new(pair.serialize_der()),
            algorithm,
        })
    }

    /// Reads a key the user brings: an unencrypted PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM block.
    /// Other blocks in the text, such as certificates or OpenSSL's "EC PARAMETERS", are skipped.
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = ::pem::parse_many(text).map_err(|_| Error::input(NOT_A_KEY))?;
        let (keys, others): (Vec<_>, Vec<_>) = blocks
            .into_iter()
            .partition(|block| block.tag().ends_with("PRIVATE KEY"));
        let block = match <[_; 1]>::try_from(keys) {
            Ok([block]) => block,
            Err(keys) if keys.is_empty() => return Err(not_a_key(&others)),
            Err(_) => {
                return Err(Error::input(
                    "the key file holds more than one private key: keep only the one to use",
                ))
            }
        };
        let encoding = match block.tag() {
            "PRIVATE KEY" => Encoding::Pkcs8,
            "RSA PRIVATE KEY" => Encoding::Pkcs1,
            "EC PRIVATE KEY" => Encoding::Sec1,
            "ENCRYPTED PRIVATE KEY" => return Err(Error::input(ENCRYPTED)),
            other => {
                return Err(Error::input(format!(
                    "{other} files are not supported: use a PKCS#8, RSA or EC private key"
                )))
            }
        };
        // OpenSSL's traditional forms mark encryption in a header rather than in the label.
        let proc_type = block.headers().get("Proc-Type").unwrap_or_default();
        if proc_type.contains("ENCRYPTED") {
            return Err(Error::input(ENCRYPTED));
        }
        Self::from_der(&Zeroizing::new(block.into_contents()), encoding)
    }

    /// Reads a key kept as PKCS#8 DER.
    pub fn from_pkcs8_der(der: Vec<u8>) -> Result<Self> {
        Self::from_der(&Zeroizing::new(der), Encoding::Pkcs8)
    }

    /// Identifies the key first, so that a refused size or curve is named in the message, then
    /// has aws-lc check it and re-encode it as canonical PKCS#8.
    fn from_der(der: &[u8], encoding: Encoding) -> Result<Self> {
        let algorithm = identify(der, encoding)?;
        let damaged = |e| Error::input(format!("the {} key is damaged: {e}", algorithm.label()));
        let pkcs8 = match (algorithm.curve(), encoding) {
            (Some(curve), _) => {
                let pair = EcdsaKeyPair::from_private_key_der(curve, der).map_err(damaged)?;
                let document = pair
                    .to_pkcs8v1()
                    .map_err(|e| unexpected("could not encode the EC key", e))?;
                document.as_ref().to_vec()
            }
            (None, Encoding::Pkcs1) => rsa_pkcs8(&RsaKeyPair::from_der(der).map_err(damaged)?)?,
            (None, _) => rsa_pkcs8(&RsaKeyPair::from_pkcs8(der).map_err(damaged)?)?,
        };
        Ok(Self {
            pkcs8: Zeroizing::new(pkcs8),
            algorithm,
        })
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key as a PKCS#8 "PRIVATE KEY" PEM block.
    pub fn to_pem(&self) -> String {
        let block = ::pem::Pem::new("PRIVATE KEY", self.pkcs8.to_vec());
        ::pem::encode_config(&block, pem_config())
    }

    /// The public key as a DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        let pair = self.key_pair(self.algorithm.default_signature())?;
        Ok(pair.subject_public_key_info())
    }

    /// A DER CSR for `names` (validated, wildcards allowed), each a subject alternative name —
    /// a DNS name as dNSName, an address as iPAddress (RFC 8738 §3) — signed with this key.
    ///
    /// A first DNS name is also the subject's common name when it fits the 64 characters X.509
    /// allows there; CAs refuse longer common names, and the SAN carries the name anyway. A first
    /// address is no common name: the Baseline Requirements allow one only in its SAN's exact
    /// text, and Let's Encrypt's IP profile has none.
    pub fn csr_der(&self, names: &[Name], signature: SignatureAlgorithm) -> Result<Vec<u8>> {
        const MAX_COMMON_NAME: usize = 64;
        let first = names
            .first()
            .ok_or_else(|| Error::input("a certificate request needs at least one name"))?;
        let pair = self.key_pair(signature)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        if let Some(first) = first
            .as_dns()
            .filter(|n| n.as_str().len() <= MAX_COMMON_NAME)
        {
            params
                .distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        params.subject_alt_names = names
            .iter()
            .map(|name| match name {
                Name::Ip(ip) => Ok(SanType::IpAddress(ip.addr())),
                Name::Dns(dns) => Ia5String::try_from(dns.as_str())
                    .map(SanType::DnsName)
                    .map_err(|_| Error::input(format!("{dns:?} is not an ASCII domain name"))),
            })
            .collect::<Result<_>>()?;
        let csr = params
            .serialize_request(&pair)
            .map_err(|e| unexpected("could not sign the certificate request", e))?;
        Ok(csr.der().to_vec())
    }

    /// The key loaded into rcgen to sign with `signature`, which must suit the key.
    fn key_pair(&self, signature: SignatureAlgorithm) -> Result<KeyPair> {
        check_signature(self.algorithm, signature)?;
        let algorithm = match (self.algorithm, signature) {
            (KeyAlgorithm::EcP256, _) => &rcgen::PKCS_ECDSA_P256_SHA256,
            (KeyAlgorithm::EcP384, _) => &rcgen::PKCS_ECDSA_P384_SHA384,
            (_, SignatureAlgorithm::Sha256) => &rcgen::PKCS_RSA_SHA256,
            (_, SignatureAlgorithm::Sha384) => &rcgen::PKCS_RSA_SHA384,
            (_, SignatureAlgorithm::Sha512) => &rcgen::PKCS_RSA_SHA512,
        };
        let der = PrivatePkcs8KeyDer::from(self.pkcs8_der());
        KeyPair::from_pkcs8_der_and_sign_algo(&der, algorithm)
            .map_err(|e| unexpected("could not load the private key", e))
    }
}

/// Never shows key material, so keys can sit in structs that derive `Debug`.
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// PEM with Unix line endings, which every tool reads (the `pem` crate defaults to CRLF).
pub(crate) fn pem_config() -> ::pem::EncodeConfig {
    ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF)
}

fn not_a_key(other_blocks: &[::pem::Pem]) -> Error {
    match other_blocks.first() {
        Some(block) => Error::input(format!("{NOT_A_KEY} (found: {})", block.tag())),
        None => Error::input(NOT_A_KEY),
    }
}

fn rsa_pkcs8(pair: &RsaKeyPair) -> Result<Vec<u8>> {
    let document = pair
        .as_der()
        .map_err(|e| unexpected("could not encode the RSA key", e))?;
    Ok(document.as_ref().to_vec())
}

/// Which supported algorithm the key is, or a message naming what it is instead.
fn identify(der: &[u8], encoding: Encoding) -> Result<KeyAlgorithm> {
    match encoding {
        Encoding::Pkcs1 => rsa_algorithm(der),
        Encoding::Sec1 => {
            let key = sec1::EcPrivateKey::try_from(der)
                .map_err(|_| Error::input("the EC key is malformed"))?;
            let curve = key
                .parameters
                .and_then(|p| p.named_curve())
                .ok_or_else(|| {
                    Error::input(
                        "the EC key does not name its curve: export it with its parameters",
                    )
                })?;
            ec_algorithm(curve)
        }
        Encoding::Pkcs8 => {
            let info = pkcs8::PrivateKeyInfoRef::try_from(der)
                .map_err(|_| Error::input("the key is not a PKCS#8 private key"))?;
            let oid = info.algorithm.oid;
            if oid == pkcs1::ALGORITHM_OID {
                rsa_algorithm(info.private_key.as_bytes())
            } else if oid == sec1::ALGORITHM_OID {
                let curve = info.algorithm.parameters_oid().map_err(|_| {
                    Error::input("the EC key does not name its curve: use P-256 or P-384")
                })?;
                ec_algorithm(curve)
            } else {
                Err(Error::input(format!(
                    "{} keys are not supported: use RSA ({RSA_SIZES}) or ECDSA (P-256 or P-384)",
                    key_type_name(oid)
                )))
            }
        }
    }
}

/// Sizes an RSA key from its PKCS#1 modulus.
fn rsa_algorithm(pkcs1_der: &[u8]) -> Result<KeyAlgorithm> {
    let key = pkcs1::RsaPrivateKey::try_from(pkcs1_der)
        .map_err(|_| Error::input("the RSA key is malformed"))?;
    let modulus = key.modulus.as_bytes();
    let leading_zeros = modulus
        .first()
        .map_or(0, |byte| byte.leading_zeros() as usize);
    match modulus.len() * 8 - leading_zeros {
        2048 => Ok(KeyAlgorithm::Rsa2048),
        3072 => Ok(KeyAlgorithm::Rsa3072),
        4096 => Ok(KeyAlgorithm::Rsa4096),
        bits if bits < 2048 => Err(Error::input(format!(
            "RSA {bits} is too small: {RSA_SIZES}"
        ))),
        bits => Err(Error::input(format!(
            "RSA {bits} is not supported: {RSA_SIZES}"
        ))),
    }
}

const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

fn ec_algorithm(curve: ObjectIdentifier) -> Result<KeyAlgorithm> {
    if curve == P256 {
        Ok(KeyAlgorithm::EcP256)
    } else if curve == P384 {
        Ok(KeyAlgorithm::EcP384)
    } else {
        Err(Error::input(format!(
            "curve {} is not supported: use P-256 or P-384",
            curve_name(curve)
        )))
    }
}

/// Names for the curves people actually bring, for the refusal message.
fn curve_name(curve: ObjectIdentifier) -> String {
    match curve.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".into(),
        "1.3.132.0.33" => "P-224".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        other => format!("with OID {other}"),
    }
}

/// Names for the other key types people bring, for the refusal message.
fn key_type_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.2.840.113549.1.1.10" => "RSA-PSS".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        other => format!("OID {other}"),
    }
}

/// Helpers shared by the tests of this module and of `keystore`.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::process::Command;
    use std::sync::OnceLock;

    use super::{KeyAlgorithm, PrivateKey};

    /// One generated key per algorithm for the whole test run, since RSA 4096 takes seconds.
    pub(crate) fn key(algorithm: KeyAlgorithm) -> PrivateKey {
        static KEYS: [OnceLock<PrivateKey>; 5] = [const { OnceLock::new() }; 5];
        let index = KeyAlgorithm::ALL
            .iter()
            .position(|a| *a == algorithm)
            .unwrap();
        KEYS[index]
            .get_or_init(|| PrivateKey::generate(algorithm).unwrap())
            .clone()
    }

    /// Runs a tool (openssl, keytool) that must succeed, and returns its stdout and stderr.
    pub(crate) fn run(program: &str, args: &[&str]) -> String {
        let output = Command::new(program).args(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "{program} {args:?} failed:\n{text}"
        );
        text
    }

    /// Runs openssl with a file argument, for brevity.
    pub(crate) fn openssl(args: &[&str], file: &Path) -> String {
        let mut all = args.to_vec();
        all.push(file.to_str().unwrap());
        run("openssl", &all)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::testing::{key, openssl, run};
    use super::*;
    use crate::names::{CaScope, ChallengeType};

    #[test]
    fn ids_round_trip_through_display_from_str_and_serde() {
        for algorithm in KeyAlgorithm::ALL {
            let id = algorithm.to_string();
            assert_eq!(id.parse::<KeyAlgorithm>().unwrap(), algorithm);
            assert_eq!(
                id.to_uppercase().parse::<KeyAlgorithm>().unwrap(),
                algorithm
            );
            assert_eq!(
                serde_json::to_string(&algorithm).unwrap(),
                format!("\"{id}\"")
            );
            let back: KeyAlgorithm = serde_json::from_str(&format!("\"{id}\"")).unwrap();
            assert_eq!(back, algorithm);
        }
        for signature in SignatureAlgorithm::ALL {
            let id = signature.to_string();
            assert_eq!(id.parse::<SignatureAlgorithm>().unwrap(), signature);
            assert_eq!(
                serde_json::to_string(&signature).unwrap(),
                format!("\"{id}\"")
            );
        }
        let ids: Vec<&str> = KeyAlgorithm::ALL.iter().map(|a| a.id()).collect();
        assert_eq!(ids, ["rsa2048", "rsa3072", "rsa4096", "p256", "p384"]);
        assert_eq!(KeyAlgorithm::EcP256.label(), "ECDSA P-256");
        assert_eq!(KeyAlgorithm::Rsa2048.label(), "RSA 2048");
        assert_eq!(SignatureAlgorithm::Sha384.label(), "SHA-384");
    }

    #[test]
    fn unknown_ids_list_the_choices() {
        let err = "ed25519".parse::<KeyAlgorithm>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown key algorithm \"ed25519\": choose one of rsa2048, rsa3072, rsa4096, p256, p384"
        );
        let err = "md5".parse::<SignatureAlgorithm>().unwrap_err().to_string();
        assert!(
            err.contains("choose one of sha256, sha384, sha512"),
            "{err}"
        );
    }

    #[test]
    fn signatures_follow_what_each_key_can_sign() {
        for algorithm in [
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Rsa3072,
            KeyAlgorithm::Rsa4096,
        ] {
            assert_eq!(algorithm.default_signature(), SignatureAlgorithm::Sha256);
            for signature in SignatureAlgorithm::ALL {
                check_signature(algorithm, signature).unwrap();
            }
        }
        assert_eq!(
            KeyAlgorithm::EcP256.default_signature(),
            SignatureAlgorithm::Sha256
        );
        assert_eq!(
            KeyAlgorithm::EcP384.default_signature(),
            SignatureAlgorithm::Sha384
        );
        check_signature(KeyAlgorithm::EcP256, SignatureAlgorithm::Sha256).unwrap();
        check_signature(KeyAlgorithm::EcP384, SignatureAlgorithm::Sha384).unwrap();
        let err = check_signature(KeyAlgorithm::EcP256, SignatureAlgorithm::Sha384).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ECDSA P-256 keys can only sign with sha256, not sha384"
        );
        let err = check_signature(KeyAlgorithm::EcP384, SignatureAlgorithm::Sha512).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ECDSA P-384 keys can only sign with sha384, not sha512"
        );
    }

    #[test]
    fn generated_keys_are_what_openssl_expects() {
        let dir = tempfile::tempdir().unwrap();
        let expected = [
            (KeyAlgorithm::Rsa2048, "Private-Key: (2048 bit"),
            (KeyAlgorithm::Rsa3072, "Private-Key: (3072 bit"),
            (KeyAlgorithm::Rsa4096, "Private-Key: (4096 bit"),
            (KeyAlgorithm::EcP256, "ASN1 OID: prime256v1"),
            (KeyAlgorithm::EcP384, "ASN1 OID: secp384r1"),
        ];
        for (algorithm, text) in expected {
            let key = key(algorithm);
            assert_eq!(key.algorithm(), algorithm);
            let path = dir.path().join(format!("{algorithm}.key"));
            fs::write(&path, key.to_pem()).unwrap();
            let shown = openssl(&["pkey", "-noout", "-text", "-in"], &path);
            assert!(shown.contains(text), "{algorithm}: {shown}");
            assert_eq!(
                key.public_key_der().unwrap(),
                openssl_public_key(&path),
                "{algorithm}"
            );

            let reloaded = PrivateKey::from_pem(&key.to_pem()).unwrap();
            assert_eq!(reloaded.algorithm(), algorithm);
            assert_eq!(reloaded.pkcs8_der(), key.pkcs8_der());
            let from_der = PrivateKey::from_pkcs8_der(key.pkcs8_der().to_vec()).unwrap();
            assert_eq!(from_der.algorithm(), algorithm);
        }
    }

    #[test]
    fn csr_verifies_and_carries_every_name_and_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let names = names(&["example.com", "*.example.com"]);
        let mut cases: Vec<(KeyAlgorithm, SignatureAlgorithm)> = SignatureAlgorithm::ALL
            .iter()
            .map(|s| (KeyAlgorithm::Rsa2048, *s))
            .collect();
        for algorithm in KeyAlgorithm::ALL {
            cases.push((algorithm, algorithm.default_signature()));
        }
        for (algorithm, signature) in cases {
            let der = key(algorithm).csr_der(&names, signature).unwrap();
            let path = dir.path().join("request.der");
            fs::write(&path, der).unwrap();
            let shown = openssl(
                &["req", "-verify", "-noout", "-text", "-inform", "DER", "-in"],
                &path,
            );
            let signed_with = match (algorithm, signature) {
                (KeyAlgorithm::EcP256, _) => "ecdsa-with-SHA256".to_string(),
                (KeyAlgorithm::EcP384, _) => "ecdsa-with-SHA384".to_string(),
                (_, s) => format!("{s}WithRSAEncryption"),
            };
            assert!(shown.contains("verify OK"), "{shown}");
            assert!(
                shown.contains(&format!("Signature Algorithm: {signed_with}")),
                "{shown}"
            );
            assert!(shown.contains("Subject: CN = example.com"), "{shown}");
            assert!(
                shown.contains("DNS:example.com, DNS:*.example.com"),
                "{shown}"
            );
        }
    }

    /// `list` validated for a private CA, as a request's names are.
    fn names(list: &[&str]) -> Vec<Name> {
        crate::names::validate_for(list, ChallengeType::Dns01, CaScope::Private)
            .or_else(|_| crate::names::validate_for(list, ChallengeType::Http01, CaScope::Private))
            .unwrap()
    }

    #[test]
    fn csr_carries_addresses_as_ip_sans_and_no_address_as_common_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("request.der");
        let key = key(KeyAlgorithm::EcP256);
        let der = key
            .csr_der(
                &names(&["127.0.0.1", "::1", "db.internal"]),
                SignatureAlgorithm::Sha256,
            )
            .unwrap();
        fs::write(&path, der).unwrap();
        let shown = openssl(&["req", "-noout", "-text", "-inform", "DER", "-in"], &path);
        assert!(
            shown.contains("IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:db.internal"),
            "{shown}"
        );
        assert!(!shown.contains("CN = "), "{shown}");
        assert!(!shown.contains("DNS:127.0.0.1"), "{shown}");
    }

    #[test]
    fn csr_leaves_out_a_common_name_too_long_for_x509() {
        let long = format!("{}.example.com", "a".repeat(60));
        let der = key(KeyAlgorithm::EcP256)
            // As a stored name, which is not validated again (validate refuses it first).
            .csr_der(
                &[serde_json::from_value(long.clone().into()).unwrap()],
                SignatureAlgorithm::Sha256,
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("request.der");
        fs::write(&path, der).unwrap();
        let shown = openssl(&["req", "-noout", "-text", "-inform", "DER", "-in"], &path);
        assert!(!shown.contains("CN = "), "{shown}");
        assert!(shown.contains(&format!("DNS:{long}")), "{shown}");
    }

    #[test]
    fn csr_refuses_no_names_and_a_signature_the_key_cannot_make() {
        let key = key(KeyAlgorithm::EcP256);
        let err = key.csr_der(&[], SignatureAlgorithm::Sha256).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a certificate request needs at least one name"
        );
        let err = key
            .csr_der(&names(&["example.com"]), SignatureAlgorithm::Sha384)
            .unwrap_err();
        assert!(
            err.to_string().contains("can only sign with sha256"),
            "{err}"
        );
        assert!(matches!(err, Error::Input(_)));
    }

    #[test]
    fn imports_keys_made_by_openssl() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[&str], KeyAlgorithm, &str); 5] = [
            (
                "pkcs8-rsa",
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ],
                KeyAlgorithm::Rsa2048,
                "BEGIN PRIVATE KEY",
            ),
            (
                "pkcs1-rsa",
                &["genrsa", "-traditional", "-out", OUT, "2048"],
                KeyAlgorithm::Rsa2048,
                "BEGIN RSA PRIVATE KEY",
            ),
            (
                "pkcs8-p384",
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-384",
                ],
                KeyAlgorithm::EcP384,
                "BEGIN PRIVATE KEY",
            ),
            (
                "sec1-p256-with-parameters",
                &["ecparam", "-genkey", "-name", "prime256v1"],
                KeyAlgorithm::EcP256,
                "BEGIN EC PARAMETERS",
            ),
            (
                "sec1-p384",
                &["ecparam", "-genkey", "-noout", "-name", "secp384r1"],
                KeyAlgorithm::EcP384,
                "BEGIN EC PRIVATE KEY",
            ),
        ];
        for (name, command, algorithm, marker) in cases {
            let path = dir.path().join(format!("{name}.key"));
            generate_with_openssl(command, &path);
            let text = fs::read_to_string(&path).unwrap();
            assert!(text.contains(marker), "{name}: {text}");

            let key = PrivateKey::from_pem(&text).unwrap();
            assert_eq!(key.algorithm(), algorithm, "{name}");
            assert_eq!(
                key.public_key_der().unwrap(),
                openssl_public_key(&path),
                "{name}"
            );
            assert!(key.to_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
        }
    }

    #[test]
    fn refuses_keys_it_cannot_use_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[&str], &str); 7] = [
            (
                &["genrsa", "-traditional", "-out", OUT, "1024"],
                "RSA 1024 is too small: use 2048, 3072 or 4096",
            ),
            (
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:1024",
                ],
                "RSA 1024 is too small: use 2048, 3072 or 4096",
            ),
            (
                &["genrsa", "-traditional", "-out", OUT, "2560"],
                "RSA 2560 is not supported: use 2048, 3072 or 4096",
            ),
            (
                &["ecparam", "-genkey", "-noout", "-name", "secp256k1"],
                "curve secp256k1 is not supported: use P-256 or P-384",
            ),
            (
                &["genpkey", "-algorithm", "Ed25519"],
                "Ed25519 keys are not supported",
            ),
            (
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-aes256",
                    "-pass",
                    "pass:secret",
                ],
                "the key file is encrypted",
            ),
            (
                &[
                    "genrsa",
                    "-traditional",
                    "-aes256",
                    "-passout",
                    "pass:secret",
                    "-out",
                    OUT,
                    "2048",
                ],
                "the key file is encrypted",
            ),
        ];
        for (command, message) in cases {
            let path = dir.path().join("refused.key");
            generate_with_openssl(command, &path);
            let err = PrivateKey::from_pem(&fs::read_to_string(&path).unwrap()).unwrap_err();
            assert!(matches!(err, Error::Input(_)));
            assert!(err.to_string().starts_with(message), "{command:?}: {err}");
        }
    }

    #[test]
    fn refuses_text_that_is_not_a_key() {
        let cases = [
            (
                "garbage",
                "the key file is not a PEM private key".to_string(),
            ),
            ("", "the key file is not a PEM private key".to_string()),
            (
                "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
                "the key file is not a PEM private key".to_string(),
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "the key is not a PKCS#8 private key".to_string(),
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                "the RSA key is malformed".to_string(),
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "the EC key is malformed".to_string(),
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "the key file is not a PEM private key (found: CERTIFICATE)".to_string(),
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
                "OPENSSH PRIVATE KEY files are not supported: use a PKCS#8, RSA or EC private key"
                    .to_string(),
            ),
            (
                &format!(
                    "{}{}",
                    key(KeyAlgorithm::EcP256).to_pem(),
                    key(KeyAlgorithm::EcP384).to_pem()
                ),
                "the key file holds more than one private key: keep only the one to use"
                    .to_string(),
            ),
        ];
        for (text, message) in cases {
            let err = PrivateKey::from_pem(text).unwrap_err();
            assert_eq!(err.to_string(), message, "{text:?}");
        }
        let err = PrivateKey::from_pkcs8_der(b"garbage".to_vec()).unwrap_err();
        assert_eq!(err.to_string(), "the key is not a PKCS#8 private key");
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = key(KeyAlgorithm::EcP256);
        assert_eq!(format!("{key:?}"), "PrivateKey { algorithm: EcP256, .. }");
    }

    /// Where [`generate_with_openssl`] puts the output file; `-out` goes last otherwise.
    const OUT: &str = "OUT";

    /// Runs an openssl command that writes a key to `out`.
    fn generate_with_openssl(command: &[&str], out: &Path) {
        let out = out.to_str().unwrap();
        let mut args: Vec<&str> = command
            .iter()
            .map(|a| if *a == OUT { out } else { a })
            .collect();
        if !command.contains(&OUT) {
            args.extend(["-out", out]);
        }
        run("openssl", &args);
    }

    /// The DER SubjectPublicKeyInfo openssl derives from a key file.
    fn openssl_public_key(key_file: &Path) -> Vec<u8> {
        let out = key_file.with_extension("pub.der");
        run(
            "openssl",
            &[
                "pkey",
                "-pubout",
                "-outform",
                "DER",
                "-in",
                key_file.to_str().unwrap(),
                "-out",
                out.to_str().unwrap(),
            ],
        );
        fs::read(out).unwrap()
    }
}
