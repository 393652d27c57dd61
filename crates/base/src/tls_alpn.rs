//! A built-in tls-alpn-01 responder (RFC 8737), like lego's and certmagic's: on port 443 of the
//! host the names point to, a TLS handshake that offers only the `acme-tls/1` protocol and names
//! one of the order's identifiers is answered with a self-signed validation certificate for
//! that identifier, carrying the SHA-256 of the key authorization in the critical
//! acmeIdentifier extension. Every other handshake is refused, so the port proves nothing else.
//! IP identifiers (RFC 8738 §6) are asked for by their reverse-DNS name (`in-addr.arpa`,
//! `ip6.arpa`) and answered with the address in the certificate.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rcgen::{CertificateParams, CustomExtension, KeyPair, SanType};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::acme::checks::check_token;
use crate::error::{Error, Result};
use crate::serve::{self, Gate};

/// The one application protocol a tls-alpn-01 validation offers (RFC 8737 §6.2).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// A validation is one handshake; a peer slower than this is not a CA.
const HANDSHAKE: Duration = Duration::from_secs(5);
/// Handshakes answered at once; more wait for a free one (accept errors pause, see [`Gate`]).
const CONNECTIONS: usize = 256;

/// The validation certificates served now, by the server name the CA asks for.
#[derive(Default)]
struct Certificates(RwLock<HashMap<String, Arc<CertifiedKey>>>);

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Certificates")
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let offers_acme = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if !offers_acme {
            return None;
        }
        let name = hello.server_name()?.to_ascii_lowercase();
        self.0.read().ok()?.get(&name).cloned()
    }
}

/// The listener task stops when the responder is dropped.
pub struct TlsAlpnResponder {
    certificates: Arc<Certificates>,
    local_addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsAlpnResponder {
    /// Binds `addr` (e.g. `0.0.0.0:443`) and starts answering.
    pub async fn bind(addr: &str) -> Result<Arc<Self>> {
        let listener = serve::bind(addr, "tls-alpn-01", 443).await?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::System(format!("the tls-alpn-01 listener has no address: {e}")))?;
        let certificates = Arc::new(Certificates::default());
        let mut config = ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::System(format!("TLS for tls-alpn-01: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(certificates.clone());
        config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
        let task = tokio::spawn(answer(listener, TlsAcceptor::from(Arc::new(config))));
        Ok(Arc::new(Self {
            certificates,
            local_addr,
            task,
        }))
    }

    /// Where the responder listens (the port chosen when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Answers validations of `identifier` (a DNS name or an IP address) with a certificate for
    /// `key_authorization` until it is removed. A key authorization whose token is not an ACME
    /// token ([`check_token`]) or an identifier that is neither a name nor an address is
    /// refused.
    pub fn add(&self, identifier: &str, key_authorization: &str) -> Result<()> {
        let token = key_authorization
            .split_once('.')
            .map_or(key_authorization, |(token, _)| token);
        check_token(token)?;
        let (server_name, san) = server_name(identifier)?;
        let certified = validation_certificate(san, key_authorization)?;
        if let Ok(mut map) = self.certificates.0.write() {
            map.insert(server_name, Arc::new(certified));
        }
        Ok(())
    }

    /// Stops answering for `identifier`; one not answered for is fine.
    pub fn remove(&self, identifier: &str) {
        if let (Ok((name, _)), Ok(mut map)) = (server_name(identifier), self.certificates.0.write())
        {
            map.remove(&name);
        }
    }

    /// The server names answered for now.
    pub fn server_names(&self) -> Vec<String> {
        self.certificates
            .0
            .read()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for TlsAlpnResponder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The name the CA sends as SNI for `identifier` and the subject alternative name that answers
/// it: the name itself, or for an address its reverse-DNS name (RFC 8738 §6) and the address.
fn server_name(identifier: &str) -> Result<(String, SanType)> {
    if let Ok(ip) = identifier.parse::<IpAddr>() {
        return Ok((reverse_name(ip), SanType::IpAddress(ip)));
    }
    let name = identifier.to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(Error::input(format!(
            "{:?} is neither a domain name nor an IP address: tls-alpn-01 answers for the names \
             of the order only",
            crate::escape::controls(identifier)
        )));
    }
    let san = name
        .as_str()
        .try_into()
        .map(SanType::DnsName)
        .map_err(|e| Error::input(format!("{name}: {e}")))?;
    Ok((name, san))
}

/// `ip`'s name under `in-addr.arpa` or `ip6.arpa`.
fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                out.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            out.push_str("ip6.arpa");
            out
        }
    }
}

/// A self-signed certificate for `san` whose acmeIdentifier extension (critical) holds the
/// SHA-256 of `key_authorization` (RFC 8737 §3), with a fresh P-256 key.
fn validation_certificate(san: SanType, key_authorization: &str) -> Result<CertifiedKey> {
    let failed = |e: rcgen::Error| Error::System(format!("tls-alpn-01 certificate: {e}"));
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_authorization.as_bytes());
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![san];
    params.custom_extensions = vec![CustomExtension::new_acme_identifier(digest.as_ref())];
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(
        &rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .map_err(|e| Error::System(format!("tls-alpn-01 key: {e}")))?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signing))
}

async fn answer(listener: TcpListener, acceptor: TlsAcceptor) {
    let mut gate = Gate::new(listener, CONNECTIONS);
    loop {
        let (stream, _, slot) = gate.accept().await;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _ = stream.set_nodelay(true);
            // The handshake is the whole answer: the CA closes once it has the certificate.
            if let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await
            {
                let _ = tokio::io::AsyncWriteExt::shutdown(&mut tls).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
    use tokio::net::TcpStream;
    use tokio_rustls::TlsConnector;
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

    /// The acmeIdentifier extension's OID (RFC 8737 §6.1).
    const ACME_IDENTIFIER: &str = "1.3.6.1.5.5.7.1.31";

    /// Accepts any server certificate (the test reads it) and any handshake signature:
    /// rustls's signature check parses the certificate with webpki, which refuses the critical
    /// acmeIdentifier extension, so `deploy::served::PresentedCertificate` cannot read a
    /// validation certificate.
    #[derive(Debug)]
    struct Anything;

    impl ServerCertVerifier for Anything {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            Ok(HandshakeSignatureValid::assertion())
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            Ok(HandshakeSignatureValid::assertion())
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    /// The certificate `responder` presents to a handshake naming `sni` and offering `alpn`.
    async fn presented(
        responder: &TlsAlpnResponder,
        sni: &str,
        alpn: &[&[u8]],
    ) -> std::io::Result<Vec<u8>> {
        let mut config = ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Anything))
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let stream = TcpStream::connect(responder.local_addr()).await?;
        let name = ServerName::try_from(sni.to_owned()).expect("a server name");
        let tls = TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await?;
        let (_, session) = tls.get_ref();
        assert_eq!(session.alpn_protocol(), Some(ACME_TLS_ALPN));
        Ok(session.peer_certificates().expect("a certificate")[0].to_vec())
    }

    /// The subject alternative names and the acmeIdentifier extension (critical?, value) of `der`.
    fn read(der: &[u8]) -> (Vec<String>, bool, Vec<u8>) {
        let (_, cert) = X509Certificate::from_der(der).expect("a certificate");
        let sans = cert
            .subject_alternative_name()
            .expect("one SAN extension")
            .expect("SANs")
            .value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                GeneralName::IPAddress(ip) => format!("{ip:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == ACME_IDENTIFIER)
            .expect("the acmeIdentifier extension");
        (sans, ext.critical, ext.value.to_vec())
    }

    fn octet_string(digest: &[u8]) -> Vec<u8> {
        [&[0x04, digest.len() as u8][..], digest].concat()
    }

    #[tokio::test]
    async fn a_name_is_answered_with_its_key_authorizations_digest() {
        let responder = TlsAlpnResponder::bind("127.0.0.1:0").await.unwrap();
        responder.add("WWW.Example.com", "tok_-1.thumb").unwrap();
        let der = presented(&responder, "www.example.com", &[ACME_TLS_ALPN])
            .await
            .unwrap();
        let (sans, critical, value) = read(&der);
        assert_eq!(sans, ["www.example.com"]);
        assert!(critical, "the acmeIdentifier extension is critical");
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"tok_-1.thumb");
        assert_eq!(value, octet_string(digest.as_ref()));
    }

    #[tokio::test]
    async fn an_address_is_asked_for_by_its_reverse_name() {
        let responder = TlsAlpnResponder::bind("127.0.0.1:0").await.unwrap();
        responder.add("192.0.2.7", "tok.thumb").unwrap();
        responder.add("2001:db8::1", "tok.thumb").unwrap();
        let der = presented(&responder, "7.2.0.192.in-addr.arpa", &[ACME_TLS_ALPN])
            .await
            .unwrap();
        assert_eq!(read(&der).0, ["[192, 0, 2, 7]"]);
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
        assert!(responder.server_names().iter().any(|n| n == v6));
    }

    #[tokio::test]
    async fn other_handshakes_get_no_certificate() {
        let responder = TlsAlpnResponder::bind("127.0.0.1:0").await.unwrap();
        responder.add("www.example.com", "tok.thumb").unwrap();
        let without_alpn = presented(&responder, "www.example.com", &[]).await;
        assert!(without_alpn.is_err(), "a handshake without acme-tls/1");
        let http = presented(&responder, "www.example.com", &[b"h2"]).await;
        assert!(http.is_err(), "an ordinary HTTPS handshake");
        let other = presented(&responder, "other.example.com", &[ACME_TLS_ALPN]).await;
        assert!(other.is_err(), "a name not answered for");
        responder.remove("www.example.com");
        let removed = presented(&responder, "www.example.com", &[ACME_TLS_ALPN]).await;
        assert!(removed.is_err(), "a name no longer answered for");
    }

    #[tokio::test]
    async fn hostile_tokens_and_identifiers_are_refused() {
        let responder = TlsAlpnResponder::bind("127.0.0.1:0").await.unwrap();
        let err = responder.add("www.example.com", "../x.thumb").unwrap_err();
        assert!(err.to_string().contains("is not an ACME token"), "{err}");
        for bad in ["", "a..b", "exa mple.com", "x\u{1b}[31m.com", "-.com/.."] {
            assert!(responder.add(bad, "tok.thumb").is_err(), "{bad:?}");
        }
        assert!(responder.server_names().is_empty());
    }
}
