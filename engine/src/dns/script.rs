//! The administrator's own command, for any DNS service with a command-line tool: run as
//! `COMMAND present|cleanup FQDN VALUE`, once per value, with a timeout.

use std::process::Stdio;
use std::time::Duration;

use super::{provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use crate::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "script",
    label: "Script",
    own_fields: &[
        FieldSpec::new(
            "command",
            "Command",
            "Run by the shell as: COMMAND present|cleanup FQDN VALUE; exit 0 when done.",
        ),
        FieldSpec::new(
            "timeout",
            "Timeout (seconds)",
            "How long one run may take; 60 unless set.",
        )
        .optional(),
    ],
    http: false,
    privilege: "The command runs as the certdesk user: give that user only the DNS rights the \
                command needs.",
    build: |config| Ok(Box::new(Script::new(config)?)),
};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

struct Script {
    command: String,
    timeout: Duration,
}

impl Script {
    fn new(config: &Config) -> Result<Self> {
        let timeout = match config.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(t) => match t.trim().parse::<u64>() {
                Ok(secs) if (1..=3600).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(Error::input(format!(
                        "the script timeout {t:?} is not a number of seconds from 1 to 3600"
                    )))
                }
            },
        };
        Ok(Self {
            command: config.required("command")?.to_owned(),
            timeout,
        })
    }

    async fn run(&self, action: &str, fqdn: &str, value: &str) -> Result<()> {
        let doing = format!("running `{} {action} {fqdn} …`", self.command);
        let mut command = shell(&self.command);
        command
            .args([action, fqdn, value])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|e| provider_error(SPEC.label, &doing, format!("cannot start it ({e})")))?;
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                provider_error(
                    SPEC.label,
                    &doing,
                    format!("it did not finish within {} s", self.timeout.as_secs()),
                )
            })?
            .map_err(|e| provider_error(SPEC.label, &doing, e))?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.trim();
        Err(provider_error(
            SPEC.label,
            &doing,
            format!(
                "it exited with {}{}",
                output.status,
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                }
            ),
        ))
    }
}

/// The command line through the platform's shell, with our arguments appended as `$1 $2 $3`.
#[cfg(unix)]
fn shell(command: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("/bin/sh");
    c.args(["-c", &format!("{command} \"$@\""), "certdesk-dns"]);
    c
}

#[cfg(windows)]
fn shell(command: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("cmd");
    c.args(["/C", command]);
    c
}

#[async_trait::async_trait]
impl DnsProvider for Script {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        for value in &set.values {
            self.run("present", &set.fqdn, value).await?;
        }
        Ok(())
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        for value in &set.values {
            self.run("cleanup", &set.fqdn, value).await?;
        }
        Ok(())
    }

    async fn test(&self, _zone: Option<&str>) -> Result<String> {
        Ok(format!(
            "certdesk runs `{} present|cleanup FQDN VALUE`; the command itself is not run by a test",
            self.command
        ))
    }
}
