//! Which data folder the app opens. `CERTDESK_DATA_DIR` wins (as for the CLI: scripts, tests and
//! benchmarks point the app at a folder of their own); then the folder chosen in Settings,
//! remembered in a small file in the user's config folder (it cannot live in the data folder it
//! names); then the platform's default.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

const ENV: &str = "CERTDESK_DATA_DIR";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Env,
    Chosen,
    Default,
}

/// `~/.config/certdesk/data-dir` (or the platform's config folder).
fn pointer_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("certdesk").join("data-dir"))
}

pub fn resolve() -> (PathBuf, Source) {
    if let Some(dir) = std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        return (PathBuf::from(dir), Source::Env);
    }
    let chosen = pointer_file()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match chosen {
        Some(dir) => (PathBuf::from(dir), Source::Chosen),
        None => (certdesk_engine::default_data_dir(), Source::Default),
    }
}

/// Remembers `dir` for the next start.
pub fn choose(dir: &Path) -> Result<(), certdesk_engine::Error> {
    let file = pointer_file().ok_or_else(|| {
        certdesk_engine::Error::input("this system has no config folder to remember the choice in")
    })?;
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| certdesk_engine::Error::file(parent, e))?;
    }
    std::fs::write(&file, dir.to_string_lossy().as_bytes())
        .map_err(|e| certdesk_engine::Error::file(&file, e))
}
