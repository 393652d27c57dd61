//! Serving peers that may be hostile: the one accept loop and HTTP/1 connection handling every
//! server certdesk runs shares (the agent's HTTPS API, the http-01 responder the agent and
//! `--http-listen` use, the control socket).
//!
//! A slow peer (slowloris: connect, then send a request or a TLS ClientHello byte by byte, or
//! nothing, and hold) must not take a server offline, and a failing `accept` (out of file
//! descriptors) must not spin a core. So:
//! - [`Gate`] serves at most a fixed number of connections at once: the next one waits at the
//!   accept, in the kernel's backlog, never piling up in the process. After an accept error it
//!   pauses, 5 ms doubling up to 1 s, as Go's `net/http` does.
//! - [`http1`] gives each connection a deadline for its TLS handshake and for each request's
//!   head, and an overall deadline after which it is closed (a request in flight gets
//!   [`HttpLimits::finish`] to end). Request bodies are the services' to bound (their size and,
//!   through the overall deadline, their time).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::service::HttpService;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The first pause after a failed accept; it doubles with each failure in a row.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause after failed accepts.
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// A listening socket [`Gate`] accepts from.
pub trait Listener: Send + Sync {
    type Io: Send + 'static;
    type Peer: Send + 'static;
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Io, Self::Peer)>> + Send;
}

impl Listener for tokio::net::TcpListener {
    type Io = tokio::net::TcpStream;
    type Peer = std::net::SocketAddr;
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Io, Self::Peer)>> + Send {
        tokio::net::TcpListener::accept(self)
    }
}

#[cfg(unix)]
impl Listener for tokio::net::UnixListener {
    type Io = tokio::net::UnixStream;
    type Peer = tokio::net::unix::SocketAddr;
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Io, Self::Peer)>> + Send {
        tokio::net::UnixListener::accept(self)
    }
}

impl<L: Listener> Listener for &L {
    type Io = L::Io;
    type Peer = L::Peer;
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Io, Self::Peer)>> + Send {
        (**self).accept()
    }
}

/// A listener on `addr` (IP:PORT as the administrator typed it) for the built-in responder of
/// `challenge`, whose usual port is `port`; both failures say what to change.
pub async fn bind(
    addr: &str,
    challenge: &str,
    port: u16,
) -> crate::Result<tokio::net::TcpListener> {
    let addr: std::net::SocketAddr = addr.parse().map_err(|_| {
        crate::Error::input(format!(
            "{addr:?} is not an address to listen on: write it as IP:PORT, e.g. 0.0.0.0:{port}"
        ))
    })?;
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        crate::Error::input(format!(
            "cannot listen on {addr} for {challenge} ({e}): is a web server using that port, or \
             does it need more privileges?"
        ))
    })
}

/// One connection's place among the [`Gate`]'s; the place is free again when this is dropped,
/// so keep it for as long as the connection is served.
pub struct Slot {
    _place: OwnedSemaphorePermit,
}

/// Accepts connections, at most `connections` served at once, pausing after accept errors.
pub struct Gate<L> {
    listener: L,
    slots: Arc<Semaphore>,
    /// The pause the next accept error starts.
    pause: Duration,
    /// Set while pausing, so that an [`accept`](Gate::accept) cancelled mid-pause (in a
    /// `select!`) does not cut the pause short.
    paused_until: Option<Instant>,
}

impl<L: Listener> Gate<L> {
    pub fn new(listener: L, connections: usize) -> Self {
        Self {
            listener,
            slots: Arc::new(Semaphore::new(connections.max(1))),
            pause: FIRST_PAUSE,
            paused_until: None,
        }
    }

    /// The next connection once a slot is free. Cancel-safe: no connection is lost and no
    /// pause cut short when the future is dropped.
    pub async fn accept(&mut self) -> (L::Io, L::Peer, Slot) {
        loop {
            if let Some(until) = self.paused_until {
                tokio::time::sleep_until(until).await;
                self.paused_until = None;
            }
            let Ok(slot) = self.slots.clone().acquire_owned().await else {
                // Only `Semaphore::close` fails an acquire, and nothing closes this one.
                return std::future::pending().await;
            };
            match self.listener.accept().await {
                Ok((io, peer)) => {
                    self.pause = FIRST_PAUSE;
                    return (io, peer, Slot { _place: slot });
                }
                // Out of file descriptors, or a connection reset before it was accepted: the
                // listener stays ready, so retrying at once would spin.
                Err(_) => {
                    self.paused_until = Some(Instant::now() + self.pause);
                    self.pause = (self.pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }
}

/// The limits of an HTTP/1 server (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Connections served at once; more wait at the accept.
    pub connections: usize,
    /// The TLS handshake (or whatever `handshake` does in [`http1`]) must end within this.
    pub handshake: Duration,
    /// Each request's line and headers must arrive within this (hyper's `header_read_timeout`),
    /// counted from when the server starts waiting for it (an idle keep-alive connection too).
    pub headers: Duration,
    /// A connection is served this long at most, from its accept; then it takes no new request.
    pub connection: Duration,
    /// How long a request in flight at [`connection`](Self::connection) may still take before
    /// the connection is closed under it.
    pub finish: Duration,
}

/// Serves HTTP/1 on `listener` under `limits` until `stop` completes, each connection in its
/// own task: `handshake` turns an accepted stream into the one HTTP is spoken on (a TLS
/// accept, or the stream itself), `service` makes the service of a connection from its peer.
pub async fn http1<L, H, HF, T, M, S>(
    listener: L,
    limits: HttpLimits,
    handshake: H,
    mut service: M,
    stop: impl Future<Output = ()>,
) where
    L: Listener,
    H: Fn(L::Io) -> HF + Send + Sync + 'static,
    HF: Future<Output = io::Result<T>> + Send,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    M: FnMut(L::Peer) -> S,
    S: HttpService<Incoming> + Send + 'static,
    S::Future: Send,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    S::ResBody: Send + 'static,
    <S::ResBody as Body>::Data: Send,
    <S::ResBody as Body>::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut gate = Gate::new(listener, limits.connections);
    let handshake = Arc::new(handshake);
    tokio::pin!(stop);
    loop {
        let (io, peer, slot) = tokio::select! {
            () = &mut stop => return,
            accepted = gate.accept() => accepted,
        };
        let service = service(peer);
        let handshake = handshake.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let deadline = Instant::now() + limits.connection;
            let Ok(Ok(io)) = tokio::time::timeout(limits.handshake, handshake(io)).await else {
                return;
            };
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.headers)
                .serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                () = tokio::time::sleep_until(deadline) => conn.as_mut().graceful_shutdown(),
            }
            let _ = tokio::time::timeout(limits.finish, conn).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use bytes::Bytes;
    use http_body_util::Full;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A listener whose every accept fails, as one out of file descriptors does.
    struct Failing(AtomicUsize);

    impl Listener for Failing {
        type Io = ();
        type Peer = ();
        fn accept(&self) -> impl Future<Output = io::Result<((), ())>> + Send {
            self.0.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Err(io::Error::from_raw_os_error(24)))
        }
    }

    #[tokio::test]
    async fn failing_accepts_are_retried_with_growing_pauses() {
        let failing = Failing(AtomicUsize::new(0));
        let mut gate = Gate::new(&failing, 4);
        let waited = tokio::time::timeout(Duration::from_millis(1500), gate.accept()).await;
        assert!(waited.is_err(), "no connection comes");
        // 5 ms doubling: 5+10+…+640 ms is 1.3 s; a loop without pauses makes millions.
        let tries = failing.0.load(Ordering::Relaxed);
        assert!((5..=12).contains(&tries), "{tries} accepts in 1.5 s");
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_at_the_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut gate = Gate::new(listener, 2);
        let _clients = [
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        ];
        let first = gate.accept().await;
        let _second = gate.accept().await;
        let third = tokio::time::timeout(Duration::from_millis(200), gate.accept()).await;
        assert!(
            third.is_err(),
            "a third connection was served past the cap of 2"
        );
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), gate.accept()).await;
        assert!(third.is_ok(), "a freed slot takes the next connection");
    }

    const LIMITS: HttpLimits = HttpLimits {
        connections: 8,
        handshake: Duration::from_millis(300),
        headers: Duration::from_millis(300),
        connection: Duration::from_secs(2),
        finish: Duration::from_millis(300),
    };

    async fn hello_server() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = |_: std::net::SocketAddr| {
            hyper::service::service_fn(|_| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hello"))))
            })
        };
        let plain = |io| async { Ok(io) };
        tokio::spawn(http1(
            listener,
            LIMITS,
            plain,
            service,
            std::future::pending(),
        ));
        addr
    }

    /// What the server sends until it closes, or None if it keeps the connection past `wait`.
    async fn until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
        let mut all = Vec::new();
        let read = tokio::time::timeout(wait, stream.read_to_end(&mut all)).await;
        read.ok()
            .map(|_| String::from_utf8_lossy(&all).into_owned())
    }

    #[tokio::test]
    async fn a_request_head_sent_too_slowly_is_cut_off_and_a_prompt_one_answered() {
        let addr = hello_server().await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut prompt = TcpStream::connect(addr).await.unwrap();
        prompt
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = until_closed(&mut prompt, Duration::from_secs(1)).await;
        assert!(answer.is_some_and(|a| a.ends_with("hello")));
        let cut = Duration::from_secs(1);
        assert!(
            until_closed(&mut slow, cut).await.is_some(),
            "slow head kept"
        );
        assert!(
            until_closed(&mut silent, cut).await.is_some(),
            "silent peer kept"
        );
    }

    #[tokio::test]
    async fn a_keep_alive_connection_ends_at_its_deadline() {
        let addr = hello_server().await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        // One request every 200 ms keeps the head timeout from firing; the deadline still does.
        let mut answered = 0;
        while client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_ok()
        {
            let mut buf = [0; 1024];
            match tokio::time::timeout(Duration::from_secs(1), client.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => answered += 1,
                _ => break,
            }
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "served past its deadline"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            answered >= 5,
            "{answered} requests answered before the deadline"
        );
    }
}
