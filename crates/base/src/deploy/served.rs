//! What an end server actually serves: a TLS handshake that reads the leaf certificate's serial,
//! the proof that a deployment took effect after the reload.
//!
//! The handshake does not judge the certificate (an internal CA, a name that does not match the
//! check address, an expired old certificate are all fine to read): it only reports what is
//! served, which the caller compares with the serial it deployed.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::agent_api::fingerprint;
use crate::certinfo::CertInfo;
use crate::error::{Error, Result};

const TIMEOUT: Duration = Duration::from_secs(15);

/// How long the served certificate may take to change after a reload: nginx replaces its
/// workers gracefully, so the old ones answer for a moment.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Waits until `address` serves the certificate with serial `want` for `server_name` (a
/// wildcard's `*.` dropped), asking again every 200 ms for up to [`SETTLE_TIMEOUT`]. The error
/// says what is served instead, or why no handshake worked.
pub async fn await_serial(address: &str, server_name: &str, want: &str) -> Result<()> {
    let server_name = server_name.trim_start_matches("*.");
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    loop {
        match served_serial(address, server_name).await {
            Ok(serial) if serial == want => return Ok(()),
            _ if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Ok(serial) => {
                return Err(Error::Deploy(format!(
                    "{address} still serves certificate {serial} {} s after the reload, not the \
                     new {want}: does the server read the files just written, and does the \
                     reload command make it read them again?",
                    SETTLE_TIMEOUT.as_secs()
                )))
            }
            Err(e) => return Err(e),
        }
    }
}

/// The serial (lower-case hex) of the certificate served at `address` (`host:port`) for the TLS
/// server name `server_name`.
pub async fn served_serial(address: &str, server_name: &str) -> Result<String> {
    let address = address.to_owned();
    let server_name = server_name.to_owned();
    tokio::task::spawn_blocking(move || handshake(&address, &server_name))
        .await
        .map_err(|e| Error::Deploy(format!("the TLS check did not finish: {e}")))?
}

fn handshake(address: &str, server_name: &str) -> Result<String> {
    let failed = |what: String| Error::Deploy(format!("the TLS check of {address} {what}"));
    let target = address
        .to_socket_addrs()
        .map_err(|e| failed(format!("cannot resolve the address ({e})")))?
        .next()
        .ok_or_else(|| failed("resolves to no address".into()))?;
    let mut tcp = TcpStream::connect_timeout(&target, TIMEOUT)
        .map_err(|e| failed(format!("could not connect ({e})")))?;
    tcp.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| failed(format!("failed: {e}")))?;
    let config = Arc::new(PresentedCertificate::new(Accept::Any))
        .client_config()
        .map_err(|e| failed(format!("failed: {e}")))?;
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| failed(format!("cannot use the server name {server_name:?} ({e})")))?;
    let mut tls = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| failed(format!("failed: {e}")))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp)
            .map_err(|e| failed(format!("failed in the handshake ({e})")))?;
    }
    let leaf = tls
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| failed("got no certificate".into()))?;
    Ok(CertInfo::from_der(leaf)?.serial)
}

/// Which certificate a [`PresentedCertificate`] check lets through.
#[derive(Debug)]
pub enum Accept {
    /// Any: the served-serial check reads what is served without judging it.
    Any,
    /// Only the certificate with this SHA-256 fingerprint (a paired agent's).
    Only(String),
    /// None: pairing reads the presented fingerprint without sending anything.
    Nothing,
}

/// A certificate check that decides by [`Accept`] instead of a CA, checks the handshake
/// signatures as usual, and remembers the fingerprint presented, so a refusal can say what the
/// server showed.
#[derive(Debug)]
pub struct PresentedCertificate {
    accept: Accept,
    seen: Mutex<Option<String>>,
    provider: Arc<CryptoProvider>,
}

impl PresentedCertificate {
    pub fn new(accept: Accept) -> Self {
        Self {
            accept,
            seen: Mutex::new(None),
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        }
    }

    /// The fingerprint of the certificate presented last, if any.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().ok().and_then(|s| s.clone())
    }

    /// A TLS client configuration that checks the server's certificate with `self`.
    pub fn client_config(self: &Arc<Self>) -> std::result::Result<ClientConfig, rustls::Error> {
        Ok(ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth())
    }
}

impl ServerCertVerifier for PresentedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        let accepted = match &self.accept {
            Accept::Any => true,
            Accept::Only(pinned) => *pinned == presented,
            Accept::Nothing => false,
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(presented);
        }
        if accepted {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
