//! The Tauri commands, one file per tab. Each command is one engine call and the mapping of its
//! error; files the page names are read and written here so that keys never pass through the
//! page.

pub mod accounts;
pub mod activity;
pub mod agent;
pub mod app;
pub mod caa;
pub mod certs;
pub mod channels;
pub mod damaged;
pub mod deploy;
pub mod dns;
pub mod endpoints;
pub mod mail;
pub mod overview;
pub mod renewal;
pub mod requests;
pub mod settings;

use std::path::{Path, PathBuf};

use certdesk_engine::Error;

use crate::error::CommandError;

/// A path the user typed or picked; empty means none was given.
fn path_from(text: &str, what: &str) -> Result<PathBuf, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::input(format!("choose the {what} first")));
    }
    Ok(PathBuf::from(text))
}

/// The text of a file the user picked (a key, a CA root).
fn read_text(path: &Path) -> Result<String, CommandError> {
    std::fs::read_to_string(path).map_err(|e| Error::file(path, e).into())
}

/// An optional file: `None` or blank means none.
fn read_optional(path: Option<&str>) -> Result<Option<String>, CommandError> {
    match path.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => read_text(Path::new(p)).map(Some),
        None => Ok(None),
    }
}
