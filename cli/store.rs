//! `certdesk store reset-secrets [--yes]`: the way out for a data folder whose master key is lost
//! (copied from another machine, a keychain reset). It runs without opening the folder's secrets,
//! which is exactly what fails in that case.

use std::path::Path;
use std::process::ExitCode;

use certdesk_engine::Result;
use clap::Subcommand;
use serde_json::json;

use crate::output::Out;

#[derive(Subcommand)]
pub enum StoreCmd {
    /// Make a new master key and forget every stored secret (ACME account keys, certificates'
    /// private keys, DNS and deploy credentials, the SMTP password, keystore passwords), which
    /// are then entered again. Without --yes, says what would be lost and changes nothing.
    ResetSecrets {
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(data_dir: &Path, cmd: StoreCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        StoreCmd::ResetSecrets { yes } => {
            let forgotten = certdesk_engine::sealing::reset_secrets(data_dir, yes).await?;
            let text = format!(
                "a new master key is in the keychain; {} stored secret(s) forgotten{}",
                forgotten.len(),
                forgotten
                    .iter()
                    .map(|place| format!("\n  - {place}"))
                    .collect::<String>()
            );
            out.value(&json!({ "forgotten": forgotten }), &text);
        }
    }
    Ok(ExitCode::SUCCESS)
}
