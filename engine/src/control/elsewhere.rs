//! The control channel where it is not built (Windows): the functions of [`super::unix`], which
//! say so. Named pipes are the seam: a server at `\\.\pipe\certdesk-<store id>` with a security
//! descriptor for the current user, speaking the same lines.

use std::path::Path;

use super::{Answer, Call};
use crate::error::{Error, Result};
use crate::renewal::PassReport;
use crate::Engine;

const NOT_BUILT: &str = "the control channel between certdesk processes is not built for this \
                         platform yet (Unix only): close the certdesk app to run commands on its \
                         data folder";

/// No control socket can exist here.
pub enum Server {}

impl Server {
    pub fn bind(_engine: &Engine) -> Result<Server> {
        Err(Error::Control(NOT_BUILT.into()))
    }

    pub fn path(&self) -> &Path {
        match *self {}
    }
}

impl Engine {
    pub async fn serve_control(
        &self,
        server: &Server,
        _on_pass: impl FnMut(std::result::Result<&PassReport, &Error>),
    ) {
        match *server {}
    }
}

pub async fn call(
    _dir: &Path,
    _call: &Call,
    _on_progress: impl FnMut(crate::progress::Progress),
) -> Result<Answer> {
    Err(Error::Control(NOT_BUILT.into()))
}

pub fn is_served(_dir: &Path) -> bool {
    false
}
