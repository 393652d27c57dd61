//! The one error type the page receives: the engine's error, kept whole so the page can put it
//! next to what caused it (every rejected name under the names field, the CA's problem document
//! with its subproblems under the request).

use certdesk_engine::error::NameError;
use certdesk_engine::next_step::NextStep;
use certdesk_engine::{Error, ErrorKind, Problem};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(optional_fields)]
pub struct CommandError {
    /// `input`: the user fixes the form; `remote`: the CA or network; `local`: this machine.
    pub kind: ErrorKind,
    /// The engine's message, which says what to do.
    pub message: String,
    /// The CA's problem document, when the CA refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Box<Problem>>,
    /// What to do besides what the message says, for the page to offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<Box<NextStep>>,
    /// The form field the message is about (`email`, `name`), for the page to put it beside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// Each rejected domain name with its reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub names: Vec<NameError>,
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
            problem: e.problem().cloned().map(Box::new),
            next_step: e.next_step().map(Box::new),
            field: e.field(),
            names: match e {
                Error::Names(names) => names,
                _ => Vec::new(),
            },
        }
    }
}

impl CommandError {
    /// A mistake in what the page sent, in the words of [`Error::Input`].
    pub fn input(message: impl Into<String>) -> Self {
        Error::input(message).into()
    }
}

pub type CmdResult<T> = Result<T, CommandError>;
