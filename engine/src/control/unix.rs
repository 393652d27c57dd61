//! The control channel over a Unix domain socket in the data folder.

use std::io::ErrorKind as IoErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;

use super::{
    parse_reply, parse_request, progress_line, reply_line, request_line, Answer, Call, ServerLine,
    MAX_REQUEST_BYTES, SOCKET_FILE,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::renewal::PassReport;
use crate::serve::Gate;
use crate::Engine;

/// How long a client may take to send its request once connected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one progress line may take to reach a client before the server stops sending them.
const PROGRESS_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the answer may take to reach a client that stopped reading.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Clients served at once; more wait at the accept. A client holds its place for
/// [`REQUEST_TIMEOUT`] at most before it has asked for anything.
const MAX_CLIENTS: usize = 256;
/// The longest path a Unix socket address holds (`sun_path` is 108 bytes on Linux, with its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// The listening control socket of a data folder; the socket file goes when this is dropped.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    /// The uid that owns the data folder: the only peer served.
    owner: u32,
}

impl Server {
    /// Binds the control socket of `engine`'s data folder, mode 0600. An open [`Engine`] means
    /// this process holds the folder's lock, so a socket file already there was left by a
    /// process that was killed: it is replaced.
    pub fn bind(engine: &Engine) -> Result<Server> {
        let dir = engine.data_dir();
        let path = dir.join(SOCKET_FILE);
        if path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(Error::Control(format!(
                "the control socket {} is longer than a Unix socket path may be ({MAX_SOCKET_PATH} \
                 bytes): use a data folder with a shorter path",
                path.display()
            )));
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != IoErrorKind::NotFound => return Err(Error::file(&path, e)),
            _ => {}
        }
        let listener = UnixListener::bind(&path).map_err(|e| Error::file(&path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::file(&path, e))?;
        let owner = std::fs::metadata(dir)
            .map_err(|e| Error::file(dir, e))?
            .uid();
        Ok(Server {
            listener,
            path,
            owner,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Ours to remove: no other process can have bound it while this one holds the folder.
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Engine {
    /// Answers the clients of `server` for as long as the future is polled, several at once.
    /// `on_pass` sees the report of each pass run for a client, as the scheduler's callback
    /// does. A client that goes away mid-pass does not cut the pass short.
    ///
    /// At most `MAX_CLIENTS` are served at once ([`Gate`]). A client's own part of an exchange
    /// has deadlines: its request within `REQUEST_TIMEOUT`, each progress line within
    /// `PROGRESS_WRITE_TIMEOUT`, the answer within `REPLY_TIMEOUT`. The work between them is not
    /// cut at a connection deadline (that would drop a renewal mid-order): the renewals bound it.
    pub async fn serve_control(
        &self,
        server: &Server,
        mut on_pass: impl FnMut(std::result::Result<&PassReport, &Error>),
    ) {
        let mut gate = Gate::new(&server.listener, MAX_CLIENTS);
        let mut clients = FuturesUnordered::new();
        loop {
            tokio::select! {
                (stream, _, slot) = gate.accept() => clients.push(async move {
                    let _slot = slot;
                    self.serve_client(stream, server.owner).await
                }),
                Some(pass) = clients.next(), if !clients.is_empty() => {
                    if let Some(result) = pass {
                        on_pass(result.as_ref());
                    }
                }
            }
        }
    }

    /// One exchange; the pass's result when it ran one.
    async fn serve_client(&self, mut stream: UnixStream, owner: u32) -> Option<Result<PassReport>> {
        let call = match read_call(&mut stream, owner).await {
            Ok(Some(call)) => call,
            // Connected and hung up: a check whether anyone serves (see `is_served`).
            Ok(None) => return None,
            Err(e) => {
                send(&mut stream, &Err(e), false).await;
                return None;
            }
        };
        let (result, cut) = self.answer_streaming(&call, &mut stream).await;
        send(&mut stream, &result, cut).await;
        match (call, result) {
            (Call::RenewDue { .. }, Ok(Answer::Pass(report))) => Some(Ok(report)),
            (Call::RenewDue { .. }, Err(e)) => Some(Err(e)),
            _ => None,
        }
    }

    /// Answers `call`, sending each stage this engine's renewals reach meanwhile as a progress
    /// line (see [`ProgressLines`]). Also says whether a progress line was cut off midway.
    async fn answer_streaming(
        &self,
        call: &Call,
        stream: &mut UnixStream,
    ) -> (Result<Answer>, bool) {
        let mut events = self.subscribe();
        let work = self.answer(call);
        tokio::pin!(work);
        let mut lines = ProgressLines::default();
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                event = events.recv(), if !lines.stopped => match event {
                    Ok(progress) => lines.send(stream, &progress).await,
                    // Missed stages are not worth stopping for; the answer has the outcome.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => lines.stopped = true,
                },
            }
        };
        // The last stages were reported just before the work ended: they come before the answer.
        loop {
            match events.try_recv() {
                Ok(progress) if !lines.stopped => lines.send(stream, &progress).await,
                Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                _ => break,
            }
        }
        (result, lines.cut)
    }
}

/// The progress lines of one exchange. A client that stops reading (or went away) gets no more
/// of them: a write that does not finish within [`PROGRESS_WRITE_TIMEOUT`] stops them, never the
/// work.
#[derive(Default)]
struct ProgressLines {
    stopped: bool,
    /// A line was cut off midway: the answer needs a fresh line.
    cut: bool,
}

impl ProgressLines {
    async fn send(&mut self, stream: &mut UnixStream, progress: &Progress) {
        let mut line = progress_line(progress);
        line.push('\n');
        let write = stream.write_all(line.as_bytes());
        match tokio::time::timeout(PROGRESS_WRITE_TIMEOUT, write).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => self.stopped = true,
            Err(_) => (self.stopped, self.cut) = (true, true),
        }
    }
}

/// The client's request; none when it sent nothing.
async fn read_call(stream: &mut UnixStream, owner: u32) -> Result<Option<Call>> {
    let peer = stream
        .peer_cred()
        .map_err(|e| Error::Control(format!("the caller could not be identified: {e}")))?;
    if peer.uid() != owner {
        return Err(Error::Control(format!(
            "only the owner of the data folder (uid {owner}) may use its control socket"
        )));
    }
    let mut line = String::new();
    let mut reader = BufReader::new(stream.take(MAX_REQUEST_BYTES));
    let read = tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line))
        .await
        .map_err(|_| Error::Control("no request came within 10 seconds".into()))?
        .map_err(|e| Error::Control(format!("the request could not be read: {e}")))?;
    if read == 0 {
        return Ok(None);
    }
    parse_request(&line).map(Some)
}

/// Writes the reply line, on a fresh line when `cut` (a progress line was cut off midway). A
/// client that went away misses it; the work stands.
async fn send(stream: &mut UnixStream, result: &Result<Answer>, cut: bool) {
    let mut line = if cut { "\n".to_owned() } else { String::new() };
    line.push_str(&reply_line(result));
    line.push('\n');
    let write = async {
        if stream.write_all(line.as_bytes()).await.is_ok() {
            let _ = stream.shutdown().await;
        }
    };
    let _ = tokio::time::timeout(REPLY_TIMEOUT, write).await;
}

/// Runs `call` on the certdesk process that holds `dir` (the app or `certdesk daemon`);
/// `on_progress` sees each stage that process's renewals reach until the answer comes.
pub async fn call(
    dir: &Path,
    call: &Call,
    mut on_progress: impl FnMut(Progress),
) -> Result<Answer> {
    let path = dir.join(SOCKET_FILE);
    let lost = |e: std::io::Error| {
        Error::Control(format!(
            "the connection to the certdesk app or daemon at {} broke: {e}",
            path.display()
        ))
    };
    let mut stream = UnixStream::connect(&path).await.map_err(|e| {
        Error::Control(format!(
            "no certdesk app or daemon answers at {} ({e}); if it has just stopped, run the \
             command again",
            path.display()
        ))
    })?;
    let mut request = request_line(call)?;
    request.push('\n');
    stream.write_all(request.as_bytes()).await.map_err(lost)?;
    let mut lines = BufReader::new(stream).lines();
    // A garbled line is a progress line cut off (see `send`) unless no answer follows it.
    let mut garbled = None;
    while let Some(line) = lines.next_line().await.map_err(lost)? {
        match parse_reply(&line) {
            Ok(ServerLine::Progress(progress)) => on_progress(progress),
            Ok(ServerLine::Done(answer)) => return answer,
            Err(e) => garbled = garbled.or(Some(e)),
        }
    }
    Err(garbled.unwrap_or_else(|| {
        Error::Control(format!(
            "the certdesk app or daemon at {} closed the connection without an answer (did it \
             stop?); run the command again",
            path.display()
        ))
    }))
}

/// Whether a process serves the control socket of `dir` (it accepts a connection).
pub fn is_served(dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(dir.join(SOCKET_FILE)).is_ok()
}
