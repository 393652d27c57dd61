//! certdesk's engine: ACME accounts, certificate requests, issuance, the certificate repository
//! and its secrets. The desktop app and the `certdesk` CLI are thin faces over [`Engine`].

pub mod account;
pub mod acme;
pub mod activity;
pub mod agent_client;
pub mod agent_package;
pub mod agents;
pub mod caa;
pub mod choices;
pub mod control;
mod csv;
pub mod deploy;
pub mod details;
pub mod dns_accounts;
pub mod endpoints;
pub mod form;
pub mod http01;
mod ids;
mod issuance;
mod labels;
pub mod mail;
pub mod notify;
pub mod overview;
pub mod persist;
pub mod progress;
pub mod renewal;
pub mod repository;
pub mod request;
pub mod responders;
mod sealed;
pub mod sealing;
pub mod settings;
pub mod store;
#[cfg(test)]
mod testing;
mod tracked;
pub mod vault;

pub use certdesk_base::{
    agent_api, certinfo, error, escape, keys, keystore, names, next_step, serve, shell,
};

/// The DNS providers and their lookups are a crate below the engine; here at their old path.
pub use certdesk_dns as dns;

use std::path::Path;
use std::sync::Arc;

pub use error::{Error, ErrorKind, Problem, Result};
pub use tracked::Replacement;

use store::Store;

/// One data folder opened: its store, the master key of its secrets, and the services that own
/// its tables, each over shared handles of the two. A change across tables is one [`store::Change`]
/// the owners add their records to and the engine commits.
pub struct Engine {
    /// The store itself, for the changes that span the services' tables.
    store: Arc<Store>,
    /// The Accounts table.
    accounts: account::Accounts,
    /// The Requests table (issuance is a request's lifecycle).
    requests: request::Requests,
    /// The Certificates table: saved certificates and their history.
    repository: repository::Repository,
    /// The Renewals table: the scheduler's state per certificate.
    renewal_states: renewal::state::RenewalStates,
    /// The settings record of the Settings table.
    settings: settings::Settings,
    /// The mail digest's queue, the Settings table's other record.
    digest_queue: mail::notice::DigestQueues,
    /// The DNS Accounts, Deployments and Notice Channels tables: the credentialed
    /// configurations.
    configurations: form::credentialed::Configurations,
    /// The Activity table: what was done, by which face, and how it ended.
    activity: activity::Activity,
    /// Who drives this engine, for the activity log.
    face: activity::Face,
    progress: progress::Reporter,
    renewals: renewal::Renewals,
}

impl Engine {
    /// Opens the data folder `dir` (created on first use) and unlocks its secrets. A folder
    /// whose master key is missing from the keychain, or is not the keychain's, fails here with
    /// nothing written ([`sealing`]). `face` is who drives it: its actions are logged as that
    /// face's ([`activity`]).
    pub async fn open(dir: &Path, face: activity::Face) -> Result<Self> {
        let store = open_store(dir)?;
        let vault = sealing::unlock(&store, &vault::OsKeychain).await?;
        Ok(Self::with(store, vault, face))
    }

    /// A new data folder in memory, its master key in a keychain in memory: the engine of the
    /// unit tests above the store ([`testing`]).
    #[cfg(test)]
    pub(crate) async fn in_memory() -> Self {
        let store = Store::memory();
        let vault = sealing::unlock(&store, &vault::MemoryKeychain::default())
            .await
            .expect("a new store in memory unlocks");
        Self::with(store, vault, activity::Face::Cli)
    }

    /// The engine over an open store and its unlocked master key.
    fn with(store: Store, vault: vault::Vault, face: activity::Face) -> Self {
        let store = Arc::new(store);
        let vault = Arc::new(vault.reentering(sealing::reentry));
        Self {
            accounts: account::Accounts::new(&store, &vault),
            requests: request::Requests::new(&store, &vault),
            repository: repository::Repository::new(&store, &vault),
            renewal_states: renewal::state::RenewalStates::new(&store),
            settings: settings::Settings::new(&store, &vault),
            digest_queue: mail::notice::DigestQueues::new(&store),
            configurations: form::credentialed::Configurations::new(&store, &vault),
            activity: activity::Activity::new(&store),
            face,
            store,
            progress: progress::Reporter::new(),
            renewals: renewal::Renewals::default(),
        }
    }

    /// Every stage of every issuance from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<progress::Progress> {
        self.progress.subscribe()
    }

    pub fn data_dir(&self) -> &Path {
        self.store.dir()
    }
}

/// The store of `dir`; a folder another process holds says whether that process serves a
/// control socket.
fn open_store(dir: &Path) -> Result<Store> {
    Store::open(dir).map_err(|e| match e {
        Error::InUse { dir: shown, .. } => Error::InUse {
            dir: shown,
            served: control::is_served(dir),
        },
        e => e,
    })
}

/// The platform's data folder for certdesk: `$XDG_DATA_HOME/certdesk` (usually
/// `~/.local/share/certdesk`), `~/Library/Application Support/certdesk`, `%APPDATA%\certdesk`.
pub fn default_data_dir() -> std::path::PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("certdesk")
}
