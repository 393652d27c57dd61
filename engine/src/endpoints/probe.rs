//! One TLS handshake with an endpoint that reads the chain it serves without judging it (the
//! findings do that): bounded in time as a whole (connection, STARTTLS and handshake together)
//! and in size by rustls, which refuses a handshake message over 64 KiB.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certdesk_base::deploy::served::{Accept, PresentedCertificate};
use rustls::pki_types::ServerName;

use super::findings::{Finding, FindingKind};
use super::starttls::{self, Starttls};

/// How long one check may take, from the first connection attempt to the end of the handshake.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// When a probe gives up, and how long it was given (which its timeout findings say).
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    at: Instant,
    within: Duration,
}

impl Deadline {
    pub fn after(within: Duration) -> Self {
        Self {
            at: Instant::now() + within,
            within,
        }
    }

    /// The time left, or the timeout finding when none is.
    pub fn remaining(&self) -> Result<Duration, Finding> {
        self.at
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| self.timed_out())
    }

    pub fn timed_out(&self) -> Finding {
        Finding::new(
            FindingKind::Timeout,
            format!(
                "the server accepted the connection but did not finish the TLS handshake within {} s",
                self.within.as_secs()
            ),
        )
    }
}

/// The chain `host:port` serves for `sni` (none is sent for an IP address), DER, leaf first,
/// after asking for TLS in `starttls`'s protocol when given, all `within` the time given; or
/// the finding that says why there is none.
pub fn served_chain(
    host: &str,
    port: u16,
    sni: &str,
    starttls: Option<Starttls>,
    within: Duration,
) -> Result<Vec<Vec<u8>>, Finding> {
    let deadline = Deadline::after(within);
    let name = ServerName::try_from(sni.to_owned()).map_err(|e| {
        Finding::new(
            FindingKind::HandshakeFailed,
            format!("{sni:?} cannot be sent as a TLS server name ({e})"),
        )
    })?;
    let mut tcp = connect(host, port, deadline)?;
    if let Some(protocol) = starttls {
        starttls::upgrade(&mut tcp, protocol, deadline)?;
    }
    let config = Arc::new(PresentedCertificate::new(Accept::Any))
        .client_config()
        .map_err(|e| handshake_failed(&e.to_string()))?;
    let mut tls = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| handshake_failed(&e.to_string()))?;
    while tls.is_handshaking() {
        let left = deadline.remaining()?;
        tcp.set_read_timeout(Some(left))
            .and_then(|()| tcp.set_write_timeout(Some(left)))
            .map_err(|e| handshake_failed(&e.to_string()))?;
        match tls.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(deadline.timed_out())
            }
            Err(e) => return Err(handshake_error(&e)),
        }
    }
    Ok(tls
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect())
}

/// A TCP connection to the first of the host's addresses that answers before `deadline`.
fn connect(host: &str, port: u16, deadline: Deadline) -> Result<TcpStream, Finding> {
    let unreachable = |why: String| Finding::new(FindingKind::Unreachable, why);
    let addresses: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("{host} does not resolve ({e})")))?
        .collect();
    let mut last = None;
    for address in &addresses {
        match TcpStream::connect_timeout(address, deadline.remaining()?) {
            Ok(tcp) => return Ok(tcp),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(Finding::new(
                    FindingKind::Timeout,
                    format!(
                        "no connection to {address} within {} s",
                        deadline.within.as_secs()
                    ),
                ))
            }
            Err(e) => last = Some(format!("{address}: {e}")),
        }
    }
    Err(unreachable(format!(
        "no connection to {host} port {port} ({})",
        last.unwrap_or_else(|| "it resolves to no address".into())
    )))
}

fn handshake_failed(why: &str) -> Finding {
    Finding::new(
        FindingKind::HandshakeFailed,
        format!("the TLS handshake failed: {why}"),
    )
}

/// A handshake's I/O error in words: a peer that answers with something that is not TLS (an
/// HTTP or SSH banner) is named as such.
fn handshake_error(e: &io::Error) -> Finding {
    let not_tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|r| {
            matches!(
                r,
                rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }
            )
        });
    match not_tls {
        true => Finding::new(
            FindingKind::HandshakeFailed,
            format!("the peer does not speak TLS ({e})"),
        ),
        false if e.kind() == io::ErrorKind::UnexpectedEof => {
            handshake_failed("the peer closed the connection")
        }
        false => handshake_failed(&e.to_string()),
    }
}
