//! What the app holds: the engine of one data folder. The app starts even when the engine cannot
//! open (a folder in use by the CLI, a damaged store) so that the window can say why and offer
//! another folder; without a keychain it does not start (`lib.rs`).

use std::path::PathBuf;

use certdesk_engine::Engine;

use crate::datadir::Source;
use crate::error::CommandError;

pub struct AppState {
    pub data_dir: PathBuf,
    pub source: Source,
    engine: Result<Engine, CommandError>,
}

impl AppState {
    /// Opens the engine of `data_dir`, after the process that handed it over, if any, let go.
    pub async fn open(data_dir: PathBuf, source: Source) -> Self {
        let engine = crate::handoff::open_engine(&data_dir).await;
        Self::new(data_dir, source, engine)
    }

    /// The state over an engine opened (or not) already.
    pub fn new(data_dir: PathBuf, source: Source, engine: certdesk_engine::Result<Engine>) -> Self {
        Self {
            data_dir,
            source,
            engine: engine.map_err(CommandError::from),
        }
    }

    pub fn engine(&self) -> Result<&Engine, CommandError> {
        self.engine.as_ref().map_err(Clone::clone)
    }

    /// Why the engine did not open, if it did not.
    pub fn open_error(&self) -> Option<CommandError> {
        self.engine.as_ref().err().cloned()
    }
}
