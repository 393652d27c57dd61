//! The bottom of certdesk: what the engine and the agent on end servers both run. Errors (with
//! the administrator's next step), names, keys and keystores, certificate facts, the agent's
//! API, the HTTP serving limits, the http-01 responder, the shell helpers, DNS commands, the
//! deployed files and the checks of CA data.
//! It links no ACME client, store, keychain, mail, SSH or DNS-provider crate, so neither does
//! the agent; see ARCHITECTURE.md.

pub mod acme;
pub mod agent_api;
pub mod certinfo;
pub mod challenge;
pub mod deploy;
pub mod dns;
pub mod error;
pub mod escape;
pub mod field;
pub mod http01;
pub mod keys;
pub mod keystore;
pub mod listing;
pub mod names;
pub mod next_step;
pub mod persist;
pub mod serve;
pub mod shell;
pub mod tls_alpn;

pub use error::{Error, ErrorKind, Problem, Result};
