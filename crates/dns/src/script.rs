//! The administrator's own command, for any DNS service with a command-line tool, run on this
//! machine the way [`super::command`] describes.

use super::command::{Action, DnsCommand};
use super::{provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "script",
    label: "Script",
    own_fields: &[
        FieldSpec::new(
            "command",
            "Command",
            "Run by the shell as: COMMAND present|cleanup FQDN VALUE; exit 0 when done.",
        ),
        FieldSpec::new(
            "timeout",
            "Timeout (seconds)",
            "How long one run may take; 60 unless set.",
        )
        .optional(),
    ],
    http: false,
    privilege: "The command runs as the certdesk user: give that user only the DNS rights the \
                command needs.",
    build: |config| Ok(Box::new(Script::new(config)?)),
};

struct Script(DnsCommand);

impl Script {
    fn new(config: &Config) -> Result<Self> {
        DnsCommand::new(config.required("command")?, config.get("timeout"))
            .map(Self)
            .map_err(Error::input)
    }

    async fn run(&self, action: Action, set: &TxtSet) -> Result<()> {
        for value in &set.values {
            self.0
                .run_here(action, &set.fqdn, value)
                .await
                .map_err(|why| provider_error(SPEC.label, &self.0.doing(action, &set.fqdn), why))?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl DnsProvider for Script {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        self.run(Action::Present, set).await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        self.run(Action::Cleanup, set).await
    }

    async fn test(&self, _zone: Option<&str>) -> Result<String> {
        Ok(format!(
            "certdesk runs {}; the command itself is not run by a test",
            self.0.describe()
        ))
    }
}
