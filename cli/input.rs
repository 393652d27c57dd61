//! What commands of several groups take beyond their parsed flags, read the same way in each:
//! the files they are handed (keys, passwords, JSON configurations), the `--yes` a destructive
//! command needs, and the built-in http-01 responder that `--http-listen` starts.

use std::path::Path;
use std::sync::Arc;

use certdesk_engine::http01::Http01Responder;
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

/// The responder `--http-listen ADDR:PORT` asks for, bound before the engine is called; none
/// without the flag.
pub async fn responder(listen: Option<String>) -> Result<Option<Arc<Http01Responder>>> {
    match listen {
        Some(addr) => Ok(Some(Http01Responder::bind(&addr).await?)),
        None => Ok(None),
    }
}
