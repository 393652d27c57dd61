//! `certdesk agent pair | list | remove | package`: the certdesk agents this data folder talks to,
//! and the package to install one from.
//!
//! Pairing shows the fingerprint of the certificate the agent presents and pins it only once the
//! administrator confirmed it (`--fingerprint` for scripts, a question otherwise), then shows the
//! new pairing token once, for `certdesk-agent pair` on the server.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use certdesk_engine::agent_package;
use certdesk_engine::agents::AgentStatus;
use certdesk_engine::{Engine, Error, Result};
use clap::Subcommand;
use serde_json::json;

use crate::output::Out;

#[derive(Subcommand)]
pub enum AgentCmd {
    /// Pair a running certdesk-agent: pin its certificate and make its token.
    Pair {
        #[arg(long)]
        name: String,
        /// The agent's address, https://HOST:PORT.
        #[arg(long)]
        url: String,
        /// The fingerprint certdesk-agent printed, to pin without being asked (scripts).
        #[arg(long, value_name = "SHA256")]
        fingerprint: Option<String>,
        /// Write the token to this file (mode 0600) instead of showing it.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
    },
    /// The paired agents, each asked for its health.
    List,
    /// Forget an agent here (uninstall it on its server with `certdesk-agent uninstall`).
    Remove { name: String },
    /// Write the agent package (the certdesk-agent binary shipped with certdesk, install steps
    /// and an example configuration) as a .tar.gz to copy to the server.
    Package {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// `certdesk agent package --out FILE`.
pub fn package(path: &Path, out: &Out) -> Result<ExitCode> {
    let package = agent_package::write(&agent_package::locate()?, path)?;
    out.value(
        &package,
        &format!(
            "Wrote the agent package {} ({} bytes; unpacks into {}/).\nSHA-256 of certdesk-agent \
             inside: {}",
            package.path.display(),
            package.size,
            package.folder,
            package.binary_sha256
        ),
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(engine: &Engine, cmd: AgentCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        AgentCmd::Pair {
            name,
            url,
            fingerprint,
            token_file,
        } => {
            let fingerprint = match fingerprint {
                Some(f) => f,
                None => confirm(&engine.agent_fingerprint(&url).await?)?,
            };
            let pairing = engine.pair_agent(&name, &url, &fingerprint).await?;
            let agent = &pairing.mapping;
            let field = |f: &str| agent.fields.get(f).map(String::as_str).unwrap_or_default();
            let token_shown = match &token_file {
                Some(path) => {
                    certdesk_engine::keystore::write_file_0600(path, pairing.token.as_bytes())?;
                    None
                }
                None => Some(pairing.token.as_str()),
            };
            let give = match &token_file {
                Some(path) => format!(
                    "the token is in {} (mode 0600): copy it to the server, run \
                     `certdesk-agent pair --token-file FILE` there, then delete both copies",
                    path.display()
                ),
                None => format!(
                    "token (shown once): {}\nrun `certdesk-agent pair` on the server and paste it",
                    pairing.token.as_str()
                ),
            };
            out.value(
                &json!({"agent": agent, "token": token_shown}),
                &format!(
                    "paired agent {} at {}, certificate {} pinned\n{give}",
                    agent.name,
                    field("url"),
                    field("fingerprint")
                ),
            );
        }
        AgentCmd::List => {
            let all = engine.agents_status().await?;
            let text = if all.is_empty() {
                "no agents paired (certdesk agent pair --name N --url https://HOST:PORT)".into()
            } else {
                all.iter().map(status_line).collect::<Vec<_>>().join("\n")
            };
            out.value(&all, &text);
        }
        AgentCmd::Remove { name } => {
            let mapping = engine.remove_agent(&name).await?;
            out.value(
                &mapping,
                &format!(
                    "agent {} forgotten here; uninstall it on its server with \
                     `certdesk-agent uninstall`",
                    mapping.name
                ),
            );
        }
        AgentCmd::Package { out: path } => return package(&path, out),
    }
    Ok(ExitCode::SUCCESS)
}

fn status_line(s: &AgentStatus) -> String {
    let state = if s.online { "online" } else { "offline" };
    format!("{}  {}  {state}  {}", s.name, s.url, s.message)
}

/// Asks the administrator to confirm `fingerprint`; returns it when confirmed.
fn confirm(fingerprint: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::input(format!(
            "the agent presents the certificate {fingerprint}: compare it with the fingerprint \
             certdesk-agent printed on the server and, if they are the same, pass it with \
             --fingerprint"
        )));
    }
    eprint!(
        "The agent presents the certificate\n  SHA256 {fingerprint}\nIs it the fingerprint \
         certdesk-agent printed on the server? [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::input(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(fingerprint.to_owned())
    } else {
        Err(Error::input(
            "not paired: the fingerprint was not confirmed (if it differs from the agent's, \
             something else answers at that address)",
        ))
    }
}
