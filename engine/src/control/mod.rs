//! The control channel: how a second certdesk process gets work done by the one that holds the
//! data folder.
//!
//! The store locks the data folder for one process. While the app (window or tray) or
//! `certdesk daemon` runs, a `certdesk renew --due` from cron cannot open the folder, so it asks
//! the running process to make the pass instead, through a Unix domain socket in the data folder
//! ([`SOCKET_FILE`]). The pass runs on the holder's engine, so the scheduler, the tray and cron
//! share one set of in-flight renewals: two triggers never renew a certificate twice.
//!
//! # Protocol (version [`VERSION`])
//! One connection carries one exchange: the client writes one JSON line; the server answers
//! with a line for each stage its renewals reach while it works (as a local run prints them on a
//! terminal), then one JSON line with the answer, and closes.
//!
//! ```text
//! → {"v":1,"call":"renew_due","now":"2027-01-31T00:00:00Z"}
//! ← {"v":1,"progress":{"request":"3f2a…","stage":"placing_order"}}
//! ← …
//! ← {"v":1,"ok":{"pass":{ PassReport }}}
//! → {"v":1,"call":"preview","now":"…","by":"…"}
//! ← {"v":1,"ok":{"preview":{"by":"…","due":[ Planned, … ]}}}
//! ← {"v":1,"error":{"kind":"remote","message":"…","problem":{…}}}
//! ```
//! A server refuses a request of another version with an error reply rather than guessing; a
//! client refuses a reply of another version. Both ends are the same binary in practice (the app
//! and the CLI ship together), so a mismatch means an update half done.
//!
//! # Who may call
//! Only the owner of the data folder. The folder is mode 0700 ([`crate::store`]) and the socket
//! is made mode 0600 right after it is bound, so no other user can reach it; the server also
//! checks that the peer's uid is the folder owner's. There is no token: anyone who can connect
//! can also read the store itself.
//!
//! # Platforms
//! Unix only for now ([`unix`]). Elsewhere the same functions exist and say that the channel is
//! not built ([`elsewhere`]); Windows named pipes (`tokio::net::windows::named_pipe`, with a
//! security descriptor for the current user) are the seam for it, speaking the same lines.

#[cfg(not(unix))]
mod elsewhere;
#[cfg(unix)]
mod unix;

#[cfg(not(unix))]
pub use elsewhere::{call, is_served, Server};
#[cfg(unix)]
pub use unix::{call, is_served, Server};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activity::Face;
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::next_step::NextStep;
use crate::progress::Progress;
use crate::renewal::{PassReport, Planned};
use crate::Engine;

/// The protocol's version, the `v` of every line.
pub const VERSION: u32 = 1;

/// The socket's name inside the data folder.
pub const SOCKET_FILE: &str = "control.sock";

/// The longest request line a server reads: a request is a few hundred bytes.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// What a client asks the holder of the data folder to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// One renewal pass at `now` ([`Engine::renew_due_once`], `certdesk renew --due`). The
    /// client's clock is the pass's time, as in a local run.
    RenewDue {
        #[serde(with = "time::serde::rfc3339")]
        now: OffsetDateTime,
    },
    /// What would renew by `by` ([`Engine::preview`], `certdesk renew --due --dry-run`).
    Preview {
        #[serde(with = "time::serde::rfc3339")]
        now: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        by: OffsetDateTime,
    },
}

/// The answer to a [`Call`], the same whether the call ran here or across the socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Pass(PassReport),
    Preview {
        #[serde(with = "time::serde::rfc3339")]
        by: OffsetDateTime,
        due: Vec<Planned>,
    },
}

impl Engine {
    /// Runs `call` on this engine: what a local `certdesk renew --due` does, and what the server
    /// does for a client.
    pub async fn answer(&self, call: &Call) -> Result<Answer> {
        match *call {
            // The socket's caller is `certdesk renew --due`: its renewals are the CLI's.
            Call::RenewDue { now } => Ok(Answer::Pass(self.pass(now, Face::Cli).await?)),
            Call::Preview { now, by } => Ok(Answer::Preview {
                by,
                due: self.preview(now, by).await?,
            }),
        }
    }
}

/// A request line.
#[derive(Serialize, Deserialize)]
struct Request {
    v: u32,
    #[serde(flatten)]
    call: Call,
}

/// A reply line.
#[derive(Serialize, Deserialize)]
struct Reply {
    v: u32,
    #[serde(flatten)]
    result: Outcome,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// A stage reached while the server works; more lines follow.
    Progress(Progress),
    Ok(Answer),
    Error(RemoteError),
}

/// An error as it crosses the socket: enough for the client to print it and exit as a local
/// run would.
#[derive(Serialize, Deserialize)]
struct RemoteError {
    kind: ErrorKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problem: Option<Problem>,
    /// What to do about it, for the client to word as a local run would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_step: Option<NextStep>,
}

impl From<&Error> for RemoteError {
    fn from(e: &Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
            problem: e.problem().cloned(),
            next_step: e.next_step(),
        }
    }
}

/// Just the version of a line, read before the rest so that a line of another version is
/// refused for its version, not for a field it may have renamed.
#[derive(Deserialize)]
struct Versioned {
    v: u32,
}

fn version_error(side: &str, v: u32) -> String {
    format!(
        "the certdesk {side} speaks control protocol {v}, this one {VERSION}: update certdesk so \
         that the app, the daemon and the command line are the same version"
    )
}

/// The request of a line, or why it is refused (as the reply to send).
fn parse_request(line: &str) -> std::result::Result<Call, Error> {
    let v = serde_json::from_str::<Versioned>(line)
        .map_err(|e| Error::input(format!("not a certdesk control request: {e}")))?
        .v;
    if v != VERSION {
        return Err(Error::input(version_error("client", v)));
    }
    serde_json::from_str::<Request>(line)
        .map(|r| r.call)
        .map_err(|e| Error::input(format!("not a certdesk control request: {e}")))
}

/// The reply line to a request (no newline).
fn reply_line(result: &Result<Answer>) -> String {
    let reply = Reply {
        v: VERSION,
        result: match result {
            Ok(answer) => Outcome::Ok(answer.clone()),
            Err(e) => Outcome::Error(RemoteError::from(e)),
        },
    };
    serde_json::to_string(&reply).unwrap_or_else(|e| {
        let error = RemoteError::from(&Error::Control(format!(
            "the answer could not be written as JSON: {e}"
        )));
        // A plain struct of strings: always serialises.
        serde_json::json!({"v": VERSION, "error": error}).to_string()
    })
}

/// The request line of a call (no newline).
fn request_line(call: &Call) -> Result<String> {
    let request = Request {
        v: VERSION,
        call: call.clone(),
    };
    serde_json::to_string(&request)
        .map_err(|e| Error::Control(format!("the request could not be written as JSON: {e}")))
}

/// A progress line (no newline).
fn progress_line(progress: &Progress) -> String {
    serde_json::json!({"v": VERSION, "progress": progress}).to_string()
}

/// What a line from the server says: a stage reached while it works, or the end of the exchange.
enum ServerLine {
    Progress(Progress),
    Done(Result<Answer>),
}

/// A line from the server; an error when it is garbled or of another version.
fn parse_reply(line: &str) -> Result<ServerLine> {
    let bad = |e: serde_json::Error| Error::Control(format!("a garbled answer came back: {e}"));
    let v = serde_json::from_str::<Versioned>(line).map_err(bad)?.v;
    if v != VERSION {
        return Err(Error::Control(version_error("app or daemon", v)));
    }
    Ok(
        match serde_json::from_str::<Reply>(line).map_err(bad)?.result {
            Outcome::Progress(p) => ServerLine::Progress(p),
            Outcome::Ok(answer) => ServerLine::Done(Ok(answer)),
            Outcome::Error(e) => ServerLine::Done(Err(Error::Forwarded {
                kind: e.kind,
                message: e.message,
                problem: e.problem.map(Box::new),
                step: e.next_step.map(Box::new),
            })),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn a_request_is_one_versioned_json_line() {
        let call = Call::Preview {
            now: at("2027-01-01T00:00:00Z"),
            by: at("2027-01-31T00:00:00Z"),
        };
        let line = request_line(&call).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            serde_json::json!({
                "v": 1, "call": "preview",
                "now": "2027-01-01T00:00:00Z", "by": "2027-01-31T00:00:00Z"
            })
        );
        assert_eq!(parse_request(&line).unwrap(), call);
    }

    #[test]
    fn another_version_is_refused_in_words() {
        let e = parse_request(r#"{"v":2,"call":"renew_due","now":"2027-01-01T00:00:00Z"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("protocol 2, this one 1"), "{e}");
        let Err(e) = parse_reply(r#"{"v":7,"ok":{}}"#) else {
            panic!("another version was taken");
        };
        assert!(e.to_string().contains("update certdesk"), "{e}");
        assert!(parse_request("GET / HTTP/1.1").is_err());
    }

    #[test]
    fn progress_lines_come_before_the_answer() {
        let progress = Progress {
            request: "3f2a".into(),
            stage: crate::progress::Stage::PlacingOrder,
        };
        let line = progress_line(&progress);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            serde_json::json!({"v": 1, "progress": {"request": "3f2a", "stage": "placing_order"}})
        );
        let Ok(ServerLine::Progress(back)) = parse_reply(&line) else {
            panic!("not a progress line: {line}");
        };
        assert_eq!(
            (back.request.as_str(), back.stage),
            ("3f2a", progress.stage)
        );
    }

    #[test]
    fn an_error_comes_back_with_its_kind_and_the_cas_problem() {
        let problem = Problem {
            kind: Some("urn:ietf:params:acme:error:rateLimited".into()),
            detail: Some("too many certificates".into()),
            ..Problem::default()
        };
        let line = reply_line(&Err(Error::Ca(problem.clone())));
        let Ok(ServerLine::Done(Err(e))) = parse_reply(&line) else {
            panic!("not an error: {line}");
        };
        assert_eq!(e.kind(), ErrorKind::Remote);
        assert_eq!(e.problem(), Some(&problem));
        assert_eq!(e.to_string(), Error::Ca(problem).to_string());
    }

    #[test]
    fn an_error_comes_back_with_its_next_step() {
        let step = NextStep::Renew {
            cert: "c0ffee".into(),
        };
        let sent = Error::blocked("the key is lost", step.clone());
        let line = reply_line(&Err(sent));
        let Ok(ServerLine::Done(Err(e))) = parse_reply(&line) else {
            panic!("not an error: {line}");
        };
        assert_eq!(e.kind(), ErrorKind::Input);
        assert_eq!(e.next_step(), Some(step));
        assert_eq!(e.to_string(), "the key is lost");
    }
}
