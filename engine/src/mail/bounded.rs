//! A size limit on what the SMTP server sends. lettre bounds a response line only once it has
//! read the whole line: a server that sends one endless line (no line end, ever) grows it
//! without limit, hundreds of megabytes in a minute on loopback. So lettre talks to the server
//! through this relay, which passes the server's bytes on up to [`MAX_FROM_SERVER`] and then
//! hangs up on both. TLS (implicit or after STARTTLS) still runs end to end between lettre and
//! the server: the relay sees and counts ciphertext.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// The most one mail's session may receive from the server: its answers to EHLO, STARTTLS,
/// AUTH, MAIL, RCPT and DATA are a few kilobytes, a TLS handshake some more.
pub(super) const MAX_FROM_SERVER: u64 = 1 << 20;

/// The relay of one session; it stops when dropped.
pub(super) struct Relay {
    local: SocketAddr,
    overflowed: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Connects to `host:port` (within `timeout`) and listens on loopback for lettre's one
    /// connection, which it joins to the server.
    pub async fn open(host: &str, port: u16, timeout: Duration) -> std::io::Result<Relay> {
        let server = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let local = listener.local_addr()?;
        let overflowed = Arc::new(AtomicBool::new(false));
        let flag = overflowed.clone();
        let task = tokio::spawn(async move {
            // The first connection is lettre's: it connects as soon as this returns.
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            drop(listener);
            let (mut from_client, mut to_client) = client.into_split();
            let (from_server, mut to_server) = server.into_split();
            let mut limited = from_server.take(MAX_FROM_SERVER);
            tokio::select! {
                _ = tokio::io::copy(&mut from_client, &mut to_server) => {}
                _ = tokio::io::copy(&mut limited, &mut to_client) => {
                    flag.store(limited.limit() == 0, Ordering::Relaxed);
                }
            }
        });
        Ok(Relay {
            local,
            overflowed,
            task,
        })
    }

    /// Where lettre connects.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The server sent [`MAX_FROM_SERVER`] bytes and was cut off.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
