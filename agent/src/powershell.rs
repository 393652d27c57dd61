//! Running a PowerShell script, for the Windows pieces that act through cmdlets (IIS, the DNS
//! Server role). Compiled and tested on Windows only.

use certdesk_base::{Error, Result};

/// Runs `script` with `env` set (values reach the script as `$env:NAME`, never as code) and
/// returns its trimmed output, or its error output as the error.
pub async fn powershell(script: &str, env: &[(&str, &str)]) -> Result<String> {
    let output = tokio::process::Command::new("powershell.exe")
        .args(["-NoProfile", "-NonInteractive", "-Command", script])
        .envs(env.iter().copied())
        .output()
        .await
        .map_err(|e| Error::Deploy(format!("cannot run PowerShell: {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(Error::Deploy(format!(
            "PowerShell failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
