//! One error type for the engine. Every variant says what went wrong and what to do; the CA's
//! problem document is carried whole so that the faces (CLI, window) can show all of it.

use std::fmt;

use serde::Serialize;

use crate::challenge::UnknownChallenge;
use crate::listing::Listing;
use crate::next_step::NextStep;

/// The CA's problem document (RFC 8555 §6.7, RFC 7807), kept whole: type, detail, status and the
/// per-identifier subproblems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(optional_fields))]
pub struct Problem {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<_>"))]
    pub subproblems: Vec<Subproblem>,
    /// The CA's `Retry-After` header with the problem, in seconds from its answer: a
    /// `rateLimited` CA (RFC 8555 §6.6) or an overloaded one says when to ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// The page the CA sends the administrator to (RFC 7807 `instance`; RFC 8555 §7.3.3's
    /// `userActionRequired` names one, as a paused account's problem may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// One identifier's part of a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(optional_fields))]
pub struct Subproblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// The CA rejected the request's nonce: the request was not acted on and may be sent again.
    pub fn is_bad_nonce(&self) -> bool {
        self.short_type() == "badNonce"
    }

    /// The page where the administrator lifts a pause: Let's Encrypt pauses an account for names
    /// that failed validation again and again, and says so in a `rateLimited` problem whose
    /// detail ends with the link (`https://portal.letsencrypt.org/sfe/v1/unpause?jwt=…`), or in
    /// a `userActionRequired` one whose `instance` is the link. Only an `https` link whose path
    /// names `unpause` is taken, from the `instance`, the detail or a subproblem's detail.
    /// certdesk shows it and never follows it: lifting a pause is the administrator's act.
    pub fn unpause_link(&self) -> Option<&str> {
        if !matches!(self.short_type(), "rateLimited" | "userActionRequired") {
            return None;
        }
        let details = std::iter::once(&self.detail)
            .chain(self.subproblems.iter().map(|s| &s.detail))
            .flatten()
            .flat_map(|d| d.split_whitespace())
            .map(|word| word.trim_end_matches(['.', ',', ';', ')', '"', '\'']));
        self.instance
            .as_deref()
            .into_iter()
            .chain(details)
            .find(|word| {
                word.strip_prefix("https://")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(host, path)| !host.is_empty() && path.contains("unpause"))
            })
    }

    /// The problem type without the `urn:ietf:params:acme:error:` prefix, e.g. `rateLimited`.
    pub fn short_type(&self) -> &str {
        let kind = self.kind.as_deref().unwrap_or("unknown");
        kind.strip_prefix("urn:ietf:params:acme:error:")
            .unwrap_or(kind)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.as_deref().unwrap_or("(no type)"))?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(secs) = self.retry_after_secs {
            write!(f, " (Retry-After: {secs} seconds)")?;
        }
        if let Some(instance) = &self.instance {
            write!(f, " (see {instance})")?;
        }
        for sub in &self.subproblems {
            write!(
                f,
                "\n  - {}: {}: {}",
                sub.identifier.as_deref().unwrap_or("(no identifier)"),
                sub.kind.as_deref().unwrap_or("(no type)"),
                sub.detail.as_deref().unwrap_or("")
            )?;
        }
        if let Some(link) = self.unpause_link() {
            write!(
                f,
                "\n  The CA paused this account for these names after failed validations: fix \
                 what made them fail, then lift the pause at {link}"
            )?;
        }
        Ok(())
    }
}

/// A rejected domain name and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NameError {
    pub name: String,
    pub reason: String,
}

/// Which face of the failure the user must act on; the CLI maps it to its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorKind {
    /// The user's input is wrong: fix it and try again (CLI exit 1).
    Input,
    /// The CA or the network failed or refused (CLI exit 2).
    Remote,
    /// Something on this machine failed: storage, keychain, files (CLI exit 3).
    Local,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, with a message that says what to change.
    #[error("{0}")]
    Input(String),
    /// Bad input in one field of a form, named as the faces name it (`email`, `name`): the window
    /// puts the message beside that field.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// One or more names of a request were rejected; each is listed with its reason.
    #[error("{}", format_names(.0))]
    Names(Vec<NameError>),
    /// A thing the user named does not exist; the things there are are in `listing`.
    #[error("no {what} named {id:?}")]
    NotFound {
        what: &'static str,
        id: String,
        listing: Listing,
    },
    /// Refused until the administrator takes `step`, which each face words in its own terms
    /// (the CLI as the command to run, the window as the button or tab that does it): the
    /// message says what is wrong and never names a face's command.
    #[error("{message}")]
    Blocked {
        kind: ErrorKind,
        message: String,
        step: Box<NextStep>,
    },
    /// The CA answered with a problem document.
    #[error("the CA refused: {0}")]
    Ca(Problem),
    /// The CA could not be reached or answered with something that is not ACME.
    #[error("{0}")]
    Network(String),
    /// The CA sent something certdesk will not act on (a token that could name a path, an
    /// authorization for a name the request did not ask for): the order is given up before
    /// anything is written, published or answered.
    #[error("refused what the CA sent: {0}; nothing was written, published or answered")]
    CaData(String),
    /// A DNS provider or nameserver failed or refused, in its own words.
    #[error("{0}")]
    Dns(String),
    /// An end server (over SSH or through its agent) failed or refused, in its own words.
    #[error("{0}")]
    Deploy(String),
    /// The local store failed.
    #[error("the certdesk data store failed: {0}")]
    Store(String),
    /// A record or secret of the data folder reads but does not make sense (a certificate with
    /// no versions, a secret that is not text, credentials that do not parse): the store did its
    /// part, what it holds is wrong. The message says what and how to repair it.
    #[error("{0}")]
    Damaged(String),
    /// This machine failed outside the data store: the async runtime, a worker thread, the
    /// running executable's path, start at login, packaging.
    #[error("{0}")]
    System(String),
    /// The OS keychain failed.
    #[error("{0}")]
    Keychain(String),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Another certdesk process holds the data folder (the store locks it). `served`: that process
    /// is the app or `certdesk daemon`, which takes `certdesk renew --due` through its control
    /// socket (the engine's `control` module).
    #[error("{}", in_use(.dir, *.served))]
    InUse { dir: String, served: bool },
    /// Controlling a certdesk process failed: the control socket between two of them, or its
    /// stop signals.
    #[error("{0}")]
    Control(String),
    /// An error of the certdesk process that did the work for this one (through the engine's
    /// `control` module), as that process told it.
    #[error("{message}")]
    Forwarded {
        kind: ErrorKind,
        message: String,
        problem: Option<Box<Problem>>,
        step: Option<Box<NextStep>>,
    },
}

fn in_use(dir: &str, served: bool) -> String {
    match served {
        true => format!(
            "{dir} is in use by the certdesk app or `certdesk daemon`, which is running: \
             `certdesk renew --due` is forwarded to it, other commands need it closed (or another \
             --data-dir)"
        ),
        false => format!(
            "{dir} is in use by another certdesk process; close it or use another --data-dir"
        ),
    }
}

fn format_names(errors: &[NameError]) -> String {
    let mut out = format!(
        "{} name{} rejected:",
        errors.len(),
        if errors.len() == 1 { " was" } else { "s were" }
    );
    for e in errors {
        out.push_str(&format!("\n  - {}: {}", e.name, e.reason));
    }
    out
}

impl Error {
    pub fn input(msg: impl Into<String>) -> Self {
        Self::Input(msg.into())
    }

    /// Input refused until the administrator takes `step` ([`Error::Blocked`]).
    pub fn blocked(message: impl Into<String>, step: NextStep) -> Self {
        Self::Blocked {
            kind: ErrorKind::Input,
            message: message.into(),
            step: Box::new(step),
        }
    }

    pub fn file(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::File {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) | Self::Invalid { .. } | Self::Names(_) | Self::NotFound { .. } => {
                ErrorKind::Input
            }
            Self::Ca(_) | Self::CaData(_) | Self::Network(_) | Self::Dns(_) | Self::Deploy(_) => {
                ErrorKind::Remote
            }
            Self::Store(_)
            | Self::Damaged(_)
            | Self::System(_)
            | Self::Keychain(_)
            | Self::File { .. }
            | Self::InUse { .. }
            | Self::Control(_) => ErrorKind::Local,
            Self::Blocked { kind, .. } | Self::Forwarded { kind, .. } => *kind,
        }
    }

    /// The CA rejected the request's nonce. instant-acme retries that three times; past that the
    /// whole step is worth doing again (a CA under load, or Pebble's deliberate rejections).
    pub fn is_bad_nonce(&self) -> bool {
        matches!(self, Self::Ca(p) if p.is_bad_nonce())
    }

    /// Says which form field a bad input is about; any other error stays as it is.
    pub fn in_field(self, field: &'static str) -> Self {
        match self {
            Self::Input(message) => Self::Invalid { field, message },
            other => other,
        }
    }

    /// The form field a bad input is about, when the engine knows it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// What the administrator does about the error besides what its message says, for each
    /// face to word.
    pub fn next_step(&self) -> Option<NextStep> {
        match self {
            Self::NotFound { listing, .. } => Some(NextStep::SeeList { listing: *listing }),
            Self::Blocked { step, .. } => Some((**step).clone()),
            Self::Forwarded { step, .. } => step.as_deref().cloned(),
            _ => None,
        }
    }

    /// The CA's problem document, when the CA refused.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Ca(p) => Some(p),
            Self::Forwarded {
                problem: Some(p), ..
            } => Some(p),
            _ => None,
        }
    }
}

impl From<UnknownChallenge> for Error {
    fn from(e: UnknownChallenge) -> Self {
        Self::Input(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(detail: &str) -> Problem {
        Problem {
            kind: Some("urn:ietf:params:acme:error:rateLimited".into()),
            detail: Some(detail.into()),
            status: Some(429),
            ..Problem::default()
        }
    }

    #[test]
    fn a_paused_account_shows_the_link_that_lifts_the_pause() {
        let link = "https://portal.letsencrypt.org/sfe/v1/unpause?jwt=eyJhbGciOi.abc-_";
        let problem = limited(&format!(
            "Your account is temporarily prevented from requesting certificates for \
             www.example.com and possibly others. Please visit: {link}."
        ));
        assert_eq!(problem.unpause_link(), Some(link));
        let shown = problem.to_string();
        assert!(
            shown.contains(&format!("lift the pause at {link}")),
            "{shown}"
        );
        // The detail is still there whole.
        assert!(shown.contains("Please visit: "), "{shown}");
    }

    #[test]
    fn only_an_https_unpause_link_of_a_rate_limit_is_taken() {
        for detail in [
            "too many new orders recently: see https://letsencrypt.org/docs/rate-limits/",
            "visit http://portal.example/unpause?jwt=x",
            "visit https:///unpause",
        ] {
            assert_eq!(limited(detail).unpause_link(), None, "{detail}");
        }
        let other = Problem {
            kind: Some("urn:ietf:params:acme:error:unauthorized".into()),
            detail: Some("see https://portal.example/unpause".into()),
            ..Problem::default()
        };
        assert_eq!(other.unpause_link(), None);
        let sub = Problem {
            subproblems: vec![Subproblem {
                identifier: Some("a.example".into()),
                kind: None,
                detail: Some("Please visit: https://ca.example/unpause?t=1".into()),
            }],
            ..limited("paused")
        };
        assert_eq!(sub.unpause_link(), Some("https://ca.example/unpause?t=1"));
    }

    #[test]
    fn a_user_action_required_problem_gives_its_instance_as_the_unpause_link() {
        let link = "https://portal.example/sfe/v1/unpause?jwt=e30.x";
        let problem = Problem {
            kind: Some("urn:ietf:params:acme:error:userActionRequired".into()),
            detail: Some("this account is paused for www.example.com".into()),
            instance: Some(link.into()),
            ..Problem::default()
        };
        assert_eq!(problem.unpause_link(), Some(link));
        let shown = problem.to_string();
        assert!(shown.contains(&format!("(see {link})")), "{shown}");
        assert!(
            shown.contains(&format!("lift the pause at {link}")),
            "{shown}"
        );
        // Any other page the CA names is shown, but is no unpause link.
        let terms = Problem {
            instance: Some("https://ca.example/terms".into()),
            ..problem
        };
        assert_eq!(terms.unpause_link(), None);
        assert!(terms.to_string().contains("(see https://ca.example/terms)"));
    }
}
