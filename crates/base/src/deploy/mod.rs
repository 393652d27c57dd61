//! What the agent shares of the engine's deployment side: the files a certificate is written as
//! on an end server, their staging and backup names, and the check of what a server serves.
//! The targets (SSH, agent) stay in the engine.

pub mod bundle;
pub mod served;

pub use bundle::{Bundle, FileFormat, FileSpec};

/// The extension of a file being written on an end server, renamed over the real name once
/// complete (SSH target and agent alike, so an administrator finds the same names everywhere).
pub const STAGED_EXTENSION: &str = "certdesk-new";

/// The extension of the previous file kept beside a deployed one, put back when a deployment
/// fails.
pub const BACKUP_EXTENSION: &str = "bak";
