//! What commands of several groups take beyond their parsed flags, read the same way in each:
//! the files they are handed (keys, passwords, JSON configurations), the `--yes` a destructive
//! command needs, and the built-in responders that `--http-listen` and `--tls-alpn-listen`
//! start.

use std::path::Path;

use certdesk_engine::responders::Responders;
use certdesk_engine::{Error, Result};

pub fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::file(path, e))
}

/// A password from a file: the first line, without its line ending.
pub fn read_password(path: &Path) -> Result<String> {
    let text = read_file(path)?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// A configuration file (of a DNS account, a deploy mapping): a JSON object of the fields that
/// `which` names.
pub fn read_config(path: &Path, which: &str) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = read_file(path)?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::input(format!(
            "{} must hold a JSON object of {which}",
            path.display()
        ))),
        Err(e) => Err(Error::input(format!("{} is not JSON: {e}", path.display()))),
    }
}

pub fn refuse_without_yes(yes: bool, what: &str) -> Result<()> {
    if yes {
        Ok(())
    } else {
        Err(Error::input(format!("{what}; add --yes to go ahead")))
    }
}

/// The responders `--http-listen ADDR:PORT` and `--tls-alpn-listen ADDR:PORT` ask for, bound
/// before the engine is called; none without the flags.
pub async fn responders(http01: Option<String>, tls_alpn01: Option<String>) -> Result<Responders> {
    Responders::bind(http01.as_deref(), tls_alpn01.as_deref()).await
}
