//! The lists certdesk keeps, which an error ("no request named …") and a next step ("look it up
//! in the requests") both point to.

use serde::{Deserialize, Serialize};

/// The things certdesk lists, each in its own place of a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Listing {
    Accounts,
    Requests,
    /// Saved certificates: a request's is listed once it is saved.
    Certificates,
    DnsAccounts,
    Deployments,
    NoticeChannels,
}
