//! What is wrong with a served chain: pure functions of the certificates, the name the endpoint
//! is reached by and the time, so each finding has a unit test with certificates made in memory.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::roots::TrustedRoots;
use crate::certinfo::CertInfo;

/// A leaf or intermediate that expires within this is reported before it fails.
pub const EXPIRES_SOON: Duration = Duration::days(30);

/// RSA keys below this many bits are reported as weak.
const MIN_RSA_BITS: usize = 2048;

/// The signature algorithms over SHA-1: sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1.
const SHA1_SIGNATURES: [&str; 3] = [
    "1.2.840.113549.1.1.5",
    "1.2.840.10045.4.1",
    "1.2.840.10040.4.3",
];

/// What a finding is about. Serialized snake_case: the faces and scripts match on it, so a new
/// kind (drift, a STARTTLS refusal, …) is one more variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Expired,
    ExpiresSoon,
    NameMismatch,
    SelfSigned,
    /// The served chain stops at a certificate whose issuer is neither served nor a trusted
    /// root ([`TrustedRoots`]).
    IncompleteChain,
    /// The served chain ends at a self-signed root that is not trusted.
    UntrustedRoot,
    /// The server did not agree to STARTTLS, or did not speak its protocol.
    StarttlsRefused,
    /// An RSA key under 2048 bits.
    WeakKey,
    /// A certificate signed over SHA-1.
    Sha1,
    /// The server serves an older version of a certificate in the repository than its current
    /// one ([`super::drift`]).
    Drift,
    /// No TCP connection (refused, no route, the name does not resolve).
    Unreachable,
    /// Connected, but no TLS handshake: the peer does not speak TLS, or refused it.
    HandshakeFailed,
    /// The connection or the handshake took longer than the check allows.
    Timeout,
    /// The server sent no certificate, or one that does not parse.
    BadCertificate,
}

impl FindingKind {
    /// The kind in words: its name with spaces, e.g. "expires soon".
    pub fn words(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default()
    }
}

/// One thing wrong with what an endpoint serves, in words for the administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct Finding {
    pub kind: FindingKind,
    pub detail: String,
    /// The repository's certificate it is about ([`FindingKind::Drift`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// The deploy mapping that installs that certificate, for a "Deploy now".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
}

impl Finding {
    pub fn new(kind: FindingKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            cert: None,
            mapping: None,
        }
    }
}

/// What the served leaf says, and the findings over the whole served chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub serial: String,
    pub not_after: OffsetDateTime,
    /// The leaf's subject alternative names: DNS names and IP addresses.
    pub names: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Judges `chain` (DER, as served, leaf first) for an endpoint reached as `name` (its SNI name,
/// or its host) at `now`, the chain complete when it reaches one of `roots`. A leaf that does
/// not parse is a [`FindingKind::BadCertificate`].
pub fn assess(
    chain: &[Vec<u8>],
    name: &str,
    now: OffsetDateTime,
    roots: &TrustedRoots,
) -> Result<Assessment, Finding> {
    let bad = |what: String| Finding::new(FindingKind::BadCertificate, what);
    let leaf_der = chain
        .first()
        .ok_or_else(|| bad("the server sent no certificate".into()))?;
    let info = CertInfo::from_der(leaf_der).map_err(|e| bad(format!("the leaf: {e}")))?;
    let leaf = parse(leaf_der).ok_or_else(|| bad("the leaf does not parse".into()))?;
    let rest: Vec<X509Certificate<'_>> = chain[1..].iter().filter_map(|d| parse(d)).collect();
    let names = alt_names(&leaf);

    let mut findings = Vec::new();
    findings.extend(chain_finding(&leaf, &rest, roots));
    if !covers(&names, name) {
        let have = match names.is_empty() {
            true => "no subject alternative names".to_owned(),
            false => names.join(", "),
        };
        findings.push(Finding::new(
            FindingKind::NameMismatch,
            format!("the leaf's names ({have}) do not cover {name}"),
        ));
    }
    findings.extend(cert_findings(&leaf, "the leaf", now));
    // A served root's own expiry and self-signature do not matter: clients use their own copy.
    for cert in rest.iter().filter(|c| !self_signed(c)) {
        findings.extend(cert_findings(
            cert,
            &format!("intermediate {}", cert.subject()),
            now,
        ));
    }
    Ok(Assessment {
        serial: info.serial,
        not_after: info.not_after,
        names,
        findings,
    })
}

/// What is wrong with the path from the leaf through the served certificates: a self-signed
/// leaf, a certificate whose issuer is neither served nor a trusted root (the chain is
/// incomplete), or a served root that is not trusted. Each step follows the issuer's name, as
/// a client builds the chain; a served chain that loops ends the walk.
fn chain_finding(
    leaf: &X509Certificate<'_>,
    rest: &[X509Certificate<'_>],
    roots: &TrustedRoots,
) -> Option<Finding> {
    if self_signed(leaf) {
        return Some(Finding::new(
            FindingKind::SelfSigned,
            format!("the leaf ({}) is self-signed", leaf.subject()),
        ));
    }
    let mut cert = leaf;
    for _ in 0..=rest.len() {
        if self_signed(cert) {
            return (!roots.knows(cert.subject())).then(|| {
                Finding::new(
                    FindingKind::UntrustedRoot,
                    format!(
                        "the chain ends at {}, a root that is not trusted (not a system root \
                         nor an account's CA root)",
                        cert.subject()
                    ),
                )
            });
        }
        if roots.knows(cert.issuer()) {
            return None;
        }
        match rest
            .iter()
            .find(|c| c.subject().as_raw() == cert.issuer().as_raw())
        {
            Some(issuer) => cert = issuer,
            None => break,
        }
    }
    Some(Finding::new(
        FindingKind::IncompleteChain,
        format!(
            "the server does not send {}, the issuer of {}, and it is not a trusted root: \
             clients without it cached cannot build the chain",
            cert.issuer(),
            cert.subject()
        ),
    ))
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

fn self_signed(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

/// Expiry, key size and signature of one certificate, `what` naming it in the details.
fn cert_findings(cert: &X509Certificate<'_>, what: &str, now: OffsetDateTime) -> Vec<Finding> {
    use x509_parser::public_key::PublicKey;
    let mut findings = Vec::new();
    let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let date = not_after.date();
    if not_after <= now {
        findings.push(Finding::new(
            FindingKind::Expired,
            format!("{what} expired on {date}"),
        ));
    } else if not_after - now < EXPIRES_SOON {
        findings.push(Finding::new(
            FindingKind::ExpiresSoon,
            format!(
                "{what} expires in {} days, on {date}",
                (not_after - now).whole_days()
            ),
        ));
    }
    if let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        if rsa.key_size() < MIN_RSA_BITS {
            findings.push(Finding::new(
                FindingKind::WeakKey,
                format!("{what} has an RSA key of {} bits", rsa.key_size()),
            ));
        }
    }
    let algorithm = cert.signature_algorithm.algorithm.to_id_string();
    if SHA1_SIGNATURES.contains(&algorithm.as_str()) {
        findings.push(Finding::new(
            FindingKind::Sha1,
            format!("{what} is signed over SHA-1"),
        ));
    }
    findings
}

/// The leaf's DNS names (lower-case) and IP addresses.
pub(crate) fn alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
            GeneralName::IPAddress(bytes) => ip_of(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Whether `names` cover `name` as a TLS client matches them (RFC 6125): an address only by
/// the same address, a DNS name exactly or by a wildcard for one leftmost label.
fn covers(names: &[String], name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = name.parse::<IpAddr>() {
        return names.iter().any(|n| n.parse::<IpAddr>() == Ok(ip));
    }
    names.iter().any(|n| match n.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => *n == name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// A self-signed leaf with a 1024-bit RSA key signed over SHA-1, made once by `openssl req
    /// -x509 -newkey rsa:1024 -sha1 -days 36500` (rcgen makes neither).
    const WEAK_SHA1: &str = concat!(
        "-----BEGIN CERTIFICATE-----\n",
        "MIICJTCCAY6gAwIBAgIUHiD/3biUpzBCGUbVJwswRtu80xwwDQYJKoZIhvcNAQEF\n",
        "BQAwFzEVMBMGA1UEAwwMd2Vhay5leGFtcGxlMCAXDTI2MTIwMzExMzkyNFoYDzIx\n",
        "MjYxMTA5MTEzOTI0WjAXMRUwEwYDVQQDDAx3ZWFrLmV4YW1wbGUwgZ8wDQYJKoZI\n",
        "hvcNAQEBBQADgY0AMIGJAoGBAMYQx+0Yoe5UzPMzUY1g8QNCGcHYAoTh0fv4fH81\n",
        "FMPEunQpV/WDEJ/fkzXRztrkecYkT44D23qhzspIQErsvGhRo9LdqCZzKtHbbLdg\n",
        "9crgkeelNL1ZF3MjOEwUtWX4AXxJWg2VQfrG823WqYfwRAKT10L70XsZ3NsHh+Fc\n",
        "UalTAgMBAAGjbDBqMB0GA1UdDgQWBBTpl7wzuZziNTLf6i7YPbB/Zj3GcjAfBgNV\n",
        "HSMEGDAWgBTpl7wzuZziNTLf6i7YPbB/Zj3GcjAPBgNVHRMBAf8EBTADAQH/MBcG\n",
        "A1UdEQQQMA6CDHdlYWsuZXhhbXBsZTANBgkqhkiG9w0BAQUFAAOBgQCTIIS0LovS\n",
        "GS6F9lVtsoudCytL34EGsJTUcdR+e4LLkRfn3Z9haqRYiMfLCP3Lw+4i9MGyp5I1\n",
        "wGU1BnVedn1xG9TbXPIgLCklQxnE8UKj8mjnc0CeXDRqt7DZANyS8bQVxwl/ldDD\n",
        "pd9GGB6ef0h89p9+Yk4QWt57JCdHVOQ1jg==\n",
        "-----END CERTIFICATE-----\n",
    );

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn params(names: &[&str], days: (i64, i64)) -> CertificateParams {
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut p = CertificateParams::new(names).expect("names");
        p.not_before = now() + Duration::days(days.0);
        p.not_after = now() + Duration::days(days.1);
        p
    }

    fn ca_params(name: &str, days: (i64, i64)) -> CertificateParams {
        let mut p = params(&[], days);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        p
    }

    /// A root, an intermediate valid over `intermediate_days` and a leaf for `names` valid over
    /// `leaf_days` (days from now): DER, root first.
    fn hierarchy(
        names: &[&str],
        leaf_days: (i64, i64),
        intermediate_days: (i64, i64),
    ) -> [Vec<u8>; 3] {
        let root_key = KeyPair::generate().expect("key");
        let root_params = ca_params("Test Root", (-1, 3650));
        let root = root_params.self_signed(&root_key).expect("root");
        let root_issuer = Issuer::new(root_params, root_key);
        let mid_key = KeyPair::generate().expect("key");
        let mid_params = ca_params("Test Intermediate", intermediate_days);
        let mid = mid_params
            .signed_by(&mid_key, &root_issuer)
            .expect("intermediate");
        let mid_issuer = Issuer::new(mid_params, mid_key);
        let leaf = params(names, leaf_days)
            .signed_by(&KeyPair::generate().expect("key"), &mid_issuer)
            .expect("leaf");
        [root, mid, leaf].map(|c| c.der().to_vec())
    }

    fn kinds(chain: &[Vec<u8>], name: &str, roots: &TrustedRoots) -> Vec<FindingKind> {
        let a = assess(chain, name, now(), roots).expect("assessed");
        a.findings.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_chain_up_to_a_trusted_root_has_no_findings() {
        let [root, mid, leaf] = hierarchy(&["www.example.com"], (-1, 90), (-1, 365));
        let roots = TrustedRoots::of([root.as_slice()]);
        let served = [leaf.clone(), mid.clone()];
        assert_eq!(kinds(&served, "www.example.com", &roots), vec![]);
        let with_root = [leaf, mid, root];
        assert_eq!(kinds(&with_root, "WWW.example.com.", &roots), vec![]);
        let a = assess(&served, "www.example.com", now(), &roots).expect("assessed");
        assert_eq!(a.names, vec!["www.example.com".to_owned()]);
        assert!(a.not_after > now() + Duration::days(89));
    }

    #[test]
    fn a_missing_intermediate_or_an_unknown_root_is_reported() {
        let [root, mid, leaf] = hierarchy(&["www.example.com"], (-1, 90), (-1, 365));
        let trusted = TrustedRoots::of([root.as_slice()]);
        let alone = [leaf.clone()];
        assert_eq!(
            kinds(&alone, "www.example.com", &trusted),
            vec![FindingKind::IncompleteChain]
        );
        let a = assess(&alone, "www.example.com", now(), &trusted).expect("assessed");
        assert!(a.findings[0].detail.contains("Test Intermediate"), "{a:?}");
        let untrusted = TrustedRoots::default();
        let served = [leaf.clone(), mid.clone()];
        assert_eq!(
            kinds(&served, "www.example.com", &untrusted),
            vec![FindingKind::IncompleteChain]
        );
        let with_root = [leaf, mid, root];
        assert_eq!(
            kinds(&with_root, "www.example.com", &untrusted),
            vec![FindingKind::UntrustedRoot]
        );
    }

    #[test]
    fn expiry_of_the_leaf_and_the_intermediate_is_judged() {
        let [root, mid, leaf] = hierarchy(&["*.example.com"], (-60, 10), (-400, -1));
        let roots = TrustedRoots::of([root.as_slice()]);
        let a = assess(&[leaf, mid], "a.example.com", now(), &roots).expect("assessed");
        let found: Vec<_> = a.findings.iter().map(|f| (f.kind, &f.detail[..])).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, FindingKind::ExpiresSoon);
        assert!(found[0].1.starts_with("the leaf expires in"), "{found:?}");
        assert_eq!(found[1].0, FindingKind::Expired);
        assert!(found[1].1.contains("Test Intermediate"), "{found:?}");
        let [root, mid, old] = hierarchy(&["127.0.0.1"], (-60, -1), (-1, 365));
        let roots = TrustedRoots::of([root.as_slice()]);
        assert_eq!(
            kinds(&[old, mid], "127.0.0.1", &roots),
            vec![FindingKind::Expired]
        );
    }

    #[test]
    fn names_are_matched_as_a_client_does() {
        let [root, mid, leaf] = hierarchy(&["*.example.com", "10.0.0.1"], (-1, 90), (-1, 365));
        let roots = TrustedRoots::of([root.as_slice()]);
        let served = [leaf, mid];
        for covered in ["a.example.com", "10.0.0.1"] {
            assert_eq!(kinds(&served, covered, &roots), vec![], "{covered}");
        }
        for not_covered in ["example.com", "a.b.example.com", "10.0.0.2", "other.org"] {
            assert_eq!(
                kinds(&served, not_covered, &roots),
                vec![FindingKind::NameMismatch],
                "{not_covered}"
            );
        }
    }

    #[test]
    fn a_self_signed_leaf_is_not_an_incomplete_chain() {
        let key = KeyPair::generate().expect("key");
        let cert = params(&["x.example"], (-1, 90))
            .self_signed(&key)
            .expect("cert");
        let der = cert.der().to_vec();
        let trusting_it = TrustedRoots::of([der.as_slice()]);
        for roots in [TrustedRoots::default(), trusting_it] {
            assert_eq!(
                kinds(std::slice::from_ref(&der), "x.example", &roots),
                vec![FindingKind::SelfSigned]
            );
        }
    }

    #[test]
    fn a_weak_key_and_a_sha1_signature_are_reported() {
        let (_, pem) = x509_parser::pem::parse_x509_pem(WEAK_SHA1.as_bytes()).expect("pem");
        assert_eq!(
            kinds(&[pem.contents], "weak.example", &TrustedRoots::default()),
            vec![
                FindingKind::SelfSigned,
                FindingKind::WeakKey,
                FindingKind::Sha1
            ]
        );
    }

    #[test]
    fn nothing_served_or_garbage_is_a_bad_certificate() {
        let roots = TrustedRoots::default();
        let e = assess(&[], "x", now(), &roots).expect_err("no chain");
        assert_eq!(e.kind, FindingKind::BadCertificate);
        let e = assess(&[b"not der".to_vec()], "x", now(), &roots).expect_err("garbage");
        assert_eq!(e.kind, FindingKind::BadCertificate);
        let [_, mid, leaf] = hierarchy(&["x.example"], (-1, 90), (-1, 365));
        let mut truncated = mid;
        truncated.truncate(40);
        let served = [leaf, truncated, vec![0x30, 0x84, 0xff, 0xff]];
        assert_eq!(
            kinds(&served, "x.example", &roots),
            vec![FindingKind::IncompleteChain]
        );
    }
}
