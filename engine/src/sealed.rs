//! A sealed secret as a record keeps it, and what a record says its sealed secrets are: below
//! both the store (which keeps records holding them) and the vault (which seals and opens them),
//! so neither has to import the other for them.

use serde::{Deserialize, Serialize};

/// A sealed secret as it is stored: base64 of nonce ‖ ciphertext ‖ tag, or the mark a reset of
/// the data folder's secrets left in its place. Only the vault ([`crate::vault`]) makes and opens
/// blobs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(Stored);

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Stored {
    Blob(String),
    /// Forgotten by a reset of the secrets (RFC 3339 time): the user enters it again.
    Forgotten {
        forgotten: String,
    },
}

/// What a [`Sealed`] holds.
pub(crate) enum Content<'a> {
    /// The base64 blob.
    Blob(&'a str),
    /// Forgotten by a reset at this RFC 3339 time.
    Forgotten(&'a str),
}

impl Sealed {
    /// The blob `base64`, as the vault sealed it.
    pub(crate) fn blob(base64: String) -> Self {
        Self(Stored::Blob(base64))
    }

    /// The mark of a secret forgotten by a reset at `at` (RFC 3339).
    pub(crate) fn forgotten(at: &str) -> Self {
        Self(Stored::Forgotten {
            forgotten: at.to_owned(),
        })
    }

    pub(crate) fn is_forgotten(&self) -> bool {
        matches!(self.0, Stored::Forgotten { .. })
    }

    pub(crate) fn content(&self) -> Content<'_> {
        match &self.0 {
            Stored::Blob(blob) => Content::Blob(blob),
            Stored::Forgotten { forgotten } => Content::Forgotten(forgotten),
        }
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// A record that holds sealed secrets, each under a field name of its own within the record
/// (with [`crate::store::Record`], what the vault checks and a reset rewrites).
pub(crate) trait Sealing {
    /// Every sealed secret of the record with its field (e.g. `versions/0/key`).
    fn sealed_fields(&mut self) -> Vec<(String, &mut Sealed)>;
}
