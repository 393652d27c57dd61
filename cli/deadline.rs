//! The longest a command may take, whatever its peers (CAs, DNS providers, end servers, SMTP
//! servers) do: each request to them has its own deadline, and this caps the sum.

use std::time::Duration;

use certdesk_engine::{Error, Result};

use crate::args::{Command, EngineCommand};

/// Long enough for a large `request create --each`; what is cut off is finished by running it
/// again.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60 * 60);
/// `renew --due` renews every due certificate, each within its own deadline
/// ([`certdesk_engine::renewal::RENEWAL_DEADLINE`]); the pass as a whole gets longer.
const PASS_DEADLINE: Duration = Duration::from_secs(3 * 60 * 60);
/// Sets another deadline in seconds, for an administrator whose commands need more (or less).
const DEADLINE_VAR: &str = "CERTDESK_DEADLINE";

/// The deadline of `command`; none for `daemon`, which runs until it is stopped (each of its
/// passes is held to the per-certificate deadline).
pub fn of(command: &Command) -> Result<Option<Duration>> {
    let on_engine = match command {
        Command::Engine(command) => Some(&**command),
        Command::Store(_) => None,
    };
    if matches!(on_engine, Some(EngineCommand::Daemon)) {
        return Ok(None);
    }
    if let Some(text) = std::env::var_os(DEADLINE_VAR) {
        let text = text.to_string_lossy();
        return match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
            _ => Err(Error::input(format!(
                "{DEADLINE_VAR}={text:?} is not a number of seconds greater than 0"
            ))),
        };
    }
    Ok(Some(match on_engine {
        Some(EngineCommand::Renew(_)) => PASS_DEADLINE,
        _ => COMMAND_DEADLINE,
    }))
}

/// The error of a command cut off at `limit`.
pub fn passed(limit: Duration) -> Error {
    Error::Network(format!(
        "timed out: the command did not finish within {} seconds, the longest a certdesk \
         command may take ({DEADLINE_VAR} sets another). What it finished is kept: run it again \
         to continue",
        limit.as_secs()
    ))
}
