//! Installing a certificate on this server. [`Installer`] is the seam between the API and the
//! platform: files plus a reload command ([`files`], Linux and any Unix) or the Windows
//! certificate store with the IIS binding (`iis`, compiled on Windows only).

pub mod files;
#[cfg(windows)]
mod iis;

use certdesk_base::agent_api::{InstallBundle, Installed};
use certdesk_base::Result;

use crate::config::Config;

#[async_trait::async_trait]
pub trait Installer: Send + Sync {
    /// Where certificates go, in words, for the health call.
    fn describe(&self) -> String;

    /// Installs the bundle so that a failure leaves the previous certificate in service.
    async fn install(&self, bundle: &InstallBundle) -> Result<Installed>;
}

/// The installer the configuration asks for on this platform.
pub fn for_config(config: &Config) -> Box<dyn Installer> {
    #[cfg(windows)]
    if let Some(site) = &config.iis_site {
        return Box::new(iis::IisStore::new(config, site.clone()));
    }
    Box::new(files::Files::new(config))
}
