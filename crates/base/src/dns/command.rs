//! The administrator's own DNS command and its convention: `COMMAND present|cleanup FQDN VALUE`,
//! once per value, exit status 0 when done. The Script provider runs it here, a certdesk agent on
//! its server, and an SSH mapping with a `dns_command` on the end server: one convention, one
//! set of checks and one way of reporting a failure for all three.

use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::shell::{self, posix_words, quote, tail};

/// How long one run may take unless the configuration says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The command's first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Add the value to the TXT records at the name.
    Present,
    /// Remove the value again; a value already gone is fine.
    Cleanup,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Present => "present",
            Self::Cleanup => "cleanup",
        })
    }
}

/// A DNS command checked to be usable, with how long one run may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsCommand {
    command: String,
    timeout: Duration,
}

impl DnsCommand {
    /// The command as configured and its timeout in seconds (60 unless given). The error says
    /// what is wrong with the values, for the caller to name where they came from.
    pub fn new(command: &str, timeout: Option<&str>) -> Result<Self, String> {
        let command = command.trim();
        if command.is_empty() {
            return Err("the DNS command is empty".into());
        }
        if command.chars().any(char::is_control) {
            return Err(format!(
                "the DNS command {command:?} is not one line: certdesk appends `present|cleanup \
                 FQDN VALUE` to it, so write a script and give its path"
            ));
        }
        let timeout = match timeout.map(str::trim).filter(|t| !t.is_empty()) {
            None => DEFAULT_TIMEOUT,
            Some(t) => match t.parse::<u64>() {
                Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(format!(
                        "the DNS command's timeout {t:?} is not a number of seconds from 1 to 3600"
                    ))
                }
            },
        };
        Ok(Self {
            command: command.to_owned(),
            timeout,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How the command is run, for the faces: "`CMD present|cleanup FQDN VALUE`".
    pub fn describe(&self) -> String {
        format!("`{} present|cleanup FQDN VALUE`", self.command)
    }

    /// One run in words, for messages (the value is left out: it is a secret until the CA
    /// has looked).
    pub fn doing(&self, action: Action, fqdn: &str) -> String {
        format!("running `{} {action} {fqdn} …`", self.command)
    }

    /// One run as a line for the login shell of an end server, every word quoted.
    pub fn line(&self, action: Action, fqdn: &str, value: &str) -> String {
        posix_words(&self.command, &[&action.to_string(), fqdn, value])
            .iter()
            .map(|w| quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Why a run that ended with `status` (its exit status, or how it ended) failed, with the
    /// end of what it printed.
    pub fn exited(status: impl std::fmt::Display, output: &str) -> String {
        let output = output.trim();
        if output.is_empty() {
            format!("it exited with status {status} and printed nothing")
        } else {
            format!("it exited with status {status}: {}", tail(output))
        }
    }

    /// Runs the command on this machine through the platform's shell, within its timeout. The
    /// error says why in words; the caller adds [`DnsCommand::doing`] and who ran it.
    pub async fn run_here(&self, action: Action, fqdn: &str, value: &str) -> Result<(), String> {
        let mut command = shell::command(&self.command, &[&action.to_string(), fqdn, value]);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|e| format!("it cannot be started ({e})"))?;
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| format!("it did not finish within {} s", self.timeout.as_secs()))?
            .map_err(|e| format!("its outcome cannot be read ({e})"))?;
        if output.status.success() {
            return Ok(());
        }
        let printed = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Err(Self::exited(
            output
                .status
                .code()
                .map_or_else(|| "none (killed by a signal)".to_owned(), |c| c.to_string()),
            &printed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_must_be_one_line_with_a_sane_timeout() {
        assert!(DnsCommand::new("/usr/local/bin/dns-hook", None).is_ok());
        for (command, timeout, needle) in [
            ("  ", None, "is empty"),
            ("a\nb", None, "not one line"),
            ("hook", Some("0"), "from 1 to 3600"),
            ("hook", Some("soon"), "from 1 to 3600"),
        ] {
            let e = DnsCommand::new(command, timeout).unwrap_err();
            assert!(e.contains(needle), "{command:?}: {e}");
        }
    }

    #[test]
    fn the_arguments_reach_the_command_as_three_words() {
        let c = DnsCommand::new("hook --zone-file /var/named", Some("5")).unwrap();
        assert_eq!(
            c.line(Action::Present, "_acme-challenge.example.com", "a'b"),
            r#"'/bin/sh' '-c' 'hook --zone-file /var/named "$@"' 'certdesk' 'present' '_acme-challenge.example.com' 'a'\''b'"#
        );
        assert_eq!(c.timeout(), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_failed_run_reports_its_status_and_what_it_printed() {
        let c = DnsCommand::new("test \"$1 $3\" = 'cleanup v' || exit 9; true", None).unwrap();
        let ok = c
            .run_here(Action::Cleanup, "_acme-challenge.example.com", "v")
            .await;
        assert!(ok.is_ok(), "{ok:?}");
        let c = DnsCommand::new("echo out; echo \"no zone for $2\" >&2; exit 3; :", None).unwrap();
        let e = c
            .run_here(Action::Present, "_acme-challenge.example.com", "v")
            .await
            .unwrap_err();
        assert!(
            e.contains("status 3")
                && e.contains("out")
                && e.contains("no zone for _acme-challenge.example.com"),
            "{e}"
        );
    }
}
