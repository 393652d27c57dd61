//! End servers that run `certdesk-agent`: http-01 answered by the agent (its own listener or its
//! web root), dns-01 TXT records published by it when its configuration has a DNS command (or,
//! on Windows, the DNS Server), certificates installed by it where its own configuration says,
//! all over its HTTPS API pinned to its certificate and authenticated by the pairing token
//! ([`crate::agents::AgentClient`]). `certdesk agent pair` makes these mappings.

use async_trait::async_trait;

use super::{
    Bundle, DeployTarget, Deployed, Dns01Source, Http01Token, Pin, Probe, TargetConfig, TargetSpec,
    TxtKeyAuthorizations,
};
use crate::agent_api::{self, Action, InstallBundle, TxtChange};
use crate::agents::AgentClient;
use crate::dns::{TxtSet, PROPAGATION_FIELDS};
use crate::error::{Error, Result};
use crate::form::FieldSpec;

pub const KIND: &str = "agent";
pub const URL_FIELD: &str = "url";
pub const FINGERPRINT_FIELD: &str = "fingerprint";
pub const TOKEN_FIELD: &str = "token";

pub const SPEC: TargetSpec = TargetSpec {
    kind: KIND,
    label: "certdesk agent",
    fields: &[
        FieldSpec::new(
            URL_FIELD,
            "Address",
            "The agent's address, https://HOST:PORT.",
        ),
        FieldSpec::new(
            FINGERPRINT_FIELD,
            "Certificate fingerprint (SHA-256)",
            "Pinned at pairing, after comparing it with the one certdesk-agent printed on the \
             server.",
        )
        .optional(),
        FieldSpec::new(
            TOKEN_FIELD,
            "Pairing token",
            "Made by `certdesk agent pair`; the agent keeps only its hash.",
        )
        .secret(),
        PROPAGATION_FIELDS[0],
        PROPAGATION_FIELDS[1],
    ],
    dns01: Dns01Source::Server,
    build,
};

fn build(config: &TargetConfig) -> Result<Box<dyn DeployTarget>> {
    let url = config.required(URL_FIELD)?;
    let token = config.required(TOKEN_FIELD)?;
    agent_api::check_token(token).map_err(|e| config.invalid(TOKEN_FIELD, e))?;
    let fingerprint = config
        .get(FINGERPRINT_FIELD)
        .map(agent_api::normalize_fingerprint)
        .transpose()?;
    let client = AgentClient::new(
        &config.name,
        url,
        fingerprint.as_deref().unwrap_or_default(),
        token,
    )?;
    Ok(Box::new(Agent {
        name: config.name.clone(),
        client,
        pinned: fingerprint.is_some(),
    }))
}

struct Agent {
    name: String,
    client: AgentClient,
    /// Without a pinned fingerprint nothing but [`DeployTarget::test`] talks to the agent.
    pinned: bool,
}

impl Agent {
    /// The client, once the agent's certificate is pinned.
    fn pinned(&self) -> Result<&AgentClient> {
        if self.pinned {
            Ok(&self.client)
        } else {
            Err(Error::input(format!(
                "mapping {:?} has no pinned agent certificate: run `certdesk deploy test {}`, \
                 compare the fingerprint with the one certdesk-agent printed and accept it \
                 (--accept-host-key)",
                self.name, self.name
            )))
        }
    }

    /// Adds or removes each of the set's values through the agent, sent as its key
    /// authorization: the agent checks the account in it and computes the value itself.
    async fn change_txt(
        &self,
        action: Action,
        set: &TxtSet,
        keys: &TxtKeyAuthorizations,
    ) -> Result<()> {
        for value in &set.values {
            let change = TxtChange {
                action,
                fqdn: set.fqdn.clone(),
                zone: set.zone.clone(),
                key_authorization: keys.of_value(value)?.to_owned(),
            };
            self.pinned()?.change_txt(&change).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl DeployTarget for Agent {
    async fn publish_tokens(&self, tokens: &[Http01Token]) -> Result<()> {
        for t in tokens {
            self.pinned()?
                .put_http01(&t.token, &t.key_authorization)
                .await?;
        }
        Ok(())
    }

    async fn withdraw_tokens(&self, tokens: &[Http01Token]) -> Result<()> {
        for t in tokens {
            self.pinned()?.delete_http01(&t.token).await?;
        }
        Ok(())
    }

    async fn deploy(&self, bundle: &Bundle) -> Result<Deployed> {
        let installed = self
            .pinned()?
            .install(&InstallBundle::from_bundle(bundle))
            .await?;
        let mut summary = format!(
            "through agent {}: {}",
            self.client.url(),
            installed.changes.join(", ")
        );
        if installed.reload.is_some() {
            summary.push_str(", reloaded");
        }
        if let Some(serial) = &installed.served_serial {
            summary.push_str(&format!(", serving {serial}"));
        }
        Ok(Deployed {
            summary,
            served_serial: installed.served_serial,
        })
    }

    async fn test(&self) -> Result<Probe> {
        if !self.pinned {
            let presented = self.client.presented_fingerprint().await?;
            return Ok(Probe {
                summary: format!(
                    "the agent at {} presents the certificate {presented}: compare it with the \
                     fingerprint certdesk-agent printed",
                    self.client.url()
                ),
                unpinned: Some(Pin {
                    field: FINGERPRINT_FIELD,
                    value: presented,
                }),
            });
        }
        let health = self.client.health().await?;
        Ok(Probe {
            summary: format!(
                "certdesk-agent {} on {}; names: {}; http-01: {}; dns-01: {}; installs: {}",
                health.version,
                health.os,
                health
                    .names
                    .as_deref()
                    .unwrap_or("(not told by this agent version)"),
                health.http01,
                health
                    .dns01
                    .as_deref()
                    .unwrap_or("not configured (set dns_command in the agent's configuration)"),
                health.installs
            ),
            unpinned: None,
        })
    }

    async fn dns01(&self) -> Result<Option<String>> {
        Ok(self.pinned()?.health().await?.dns01)
    }

    async fn present_txt(&self, set: &TxtSet, keys: &TxtKeyAuthorizations) -> Result<()> {
        self.change_txt(Action::Present, set, keys).await
    }

    async fn cleanup_txt(&self, set: &TxtSet, keys: &TxtKeyAuthorizations) -> Result<()> {
        self.change_txt(Action::Cleanup, set, keys).await
    }
}
