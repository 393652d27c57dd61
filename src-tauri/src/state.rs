//! What the app holds: the engine of one data folder. The app starts even when the engine cannot
//! open (a locked keychain, a folder in use by the CLI) so that the window can say why and offer
//! another folder.

use std::path::PathBuf;

use certdesk_engine::activity::Face;
use certdesk_engine::Engine;

use crate::datadir::Source;
use crate::error::CommandError;

pub struct AppState {
    pub data_dir: PathBuf,
    pub source: Source,
    engine: Result<Engine, CommandError>,
}

impl AppState {
    pub async fn open(data_dir: PathBuf, source: Source) -> Self {
        let engine = Engine::open(&data_dir, Face::Window)
            .await
            .map_err(CommandError::from);
        Self {
            data_dir,
            source,
            engine,
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
