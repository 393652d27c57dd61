//! A declared field of a credentialed configuration (a DNS account or a deploy mapping): the
//! providers and the deploy targets each list theirs as data, which the CLI checks a
//! configuration file against and the window draws its form from. Here, below both, because the
//! DNS providers (certdesk-dns) and the engine's deploy mappings declare them alike.

use serde::Serialize;

/// One field of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldSpec {
    /// The key in the configuration, e.g. `api_token`.
    pub name: &'static str,
    pub label: &'static str,
    /// Kept in the keychain and never shown again once saved.
    pub secret: bool,
    pub required: bool,
    /// One sentence on where to find the value.
    pub help: &'static str,
}

impl FieldSpec {
    pub const fn new(name: &'static str, label: &'static str, help: &'static str) -> Self {
        Self {
            name,
            label,
            secret: false,
            required: true,
            help,
        }
    }

    pub const fn secret(self) -> Self {
        Self {
            secret: true,
            ..self
        }
    }

    pub const fn optional(self) -> Self {
        Self {
            required: false,
            ..self
        }
    }
}
