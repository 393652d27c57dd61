//! The roots a served chain must reach to be complete: the ones an administrator's clients
//! trust. That is Mozilla's roots (the ACME client's), the system's store (which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`, as the mail client does) and every account's own CA
//! root (a private CA's, configured with the account), since certdesk issues from those too.
//!
//! A root is known by its subject name, as a TLS client finds an issuer; a check reports what a
//! server sends, it does not authenticate it, so no signature is verified.

use std::collections::HashSet;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

/// The subject names of the trusted roots, each as its DER contents without the SEQUENCE
/// header (how webpki keeps a trust anchor's subject).
#[derive(Debug, Default)]
pub struct TrustedRoots {
    subjects: HashSet<Vec<u8>>,
}

impl TrustedRoots {
    /// Mozilla's roots, the system's and the PEM roots in `extra_pems` (an account's
    /// `ca_root_pem`; one that does not parse is skipped, as the account's own client would
    /// have refused it). Reads the system's store from disk.
    pub fn load(extra_pems: &[String]) -> Self {
        let mut roots = Self::default();
        roots.subjects.extend(
            webpki_roots::TLS_SERVER_ROOTS
                .iter()
                .map(|anchor| anchor.subject.as_ref().to_vec()),
        );
        let system = rustls_native_certs::load_native_certs();
        roots.add_ders(system.certs.iter().map(|c| c.as_ref()));
        for pem in extra_pems {
            let certs: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(pem.as_bytes())
                .filter_map(|c| c.ok())
                .collect();
            roots.add_ders(certs.iter().map(|c| c.as_ref()));
        }
        roots
    }

    /// The roots in `ders` only (the unit tests' own).
    pub fn of<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut roots = Self::default();
        roots.add_ders(ders);
        roots
    }

    fn add_ders<'a>(&mut self, ders: impl IntoIterator<Item = &'a [u8]>) {
        for der in ders {
            if let Ok((_, cert)) = X509Certificate::from_der(der) {
                if let Some(subject) = contents(cert.subject()) {
                    self.subjects.insert(subject.to_vec());
                }
            }
        }
    }

    /// Whether `name` is a trusted root's subject.
    pub fn knows(&self, name: &X509Name<'_>) -> bool {
        contents(name).is_some_and(|c| self.subjects.contains(c))
    }
}

/// A name's DER without its SEQUENCE tag and length.
fn contents<'a>(name: &X509Name<'a>) -> Option<&'a [u8]> {
    use x509_parser::der_parser::asn1_rs::FromDer as _;
    use x509_parser::der_parser::ber::Header;
    Header::from_der(name.as_raw()).ok().map(|(rest, _)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair};

    #[test]
    fn a_root_is_known_by_the_subject_webpki_keeps() {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, "Root");
        let key = KeyPair::generate().expect("key");
        let root = params.self_signed(&key).expect("root");
        let mut store = rustls::RootCertStore::empty();
        store.add(root.der().clone()).expect("anchor");
        let (_, parsed) = X509Certificate::from_der(root.der()).expect("parsed");
        assert_eq!(
            contents(parsed.subject()),
            Some(store.roots[0].subject.as_ref())
        );
        assert!(TrustedRoots::of([root.der().as_ref()]).knows(parsed.subject()));
        assert!(!TrustedRoots::default().knows(parsed.subject()));
    }
}
