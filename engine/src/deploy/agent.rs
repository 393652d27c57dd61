//! End servers that run `certdesk-agent`: http-01 answered by the agent (its own listener or its
//! web root), dns-01 TXT records published by it when its configuration has a DNS command (or,
//! on Windows, the DNS Server), certificates installed by it where its own configuration says,
//! all over its HTTPS API pinned to its certificate and authenticated by the pairing token
//! ([`crate::agents::AgentClient`]). Pairing an agent makes these mappings.

use async_trait::async_trait;

use super::{
    Bundle, DeployTarget, Deployed, Dns01Source, Http01Solver, Http01Token, Pin, Probe,
    TargetConfig, TargetSpec, TxtKeyAuthorizations,
};
use crate::agent_api::{self, Action, InstallBundle, TxtChange};
use crate::agent_client::AgentClient;
use crate::dns::{DnsProvider, TxtSet, PROPAGATION_FIELDS};
use crate::error::{Error, Result};
use crate::form::FieldSpec;
use crate::next_step::NextStep;

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
            "Made when the agent is paired; the agent keeps only its hash.",
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
            Err(Error::blocked(
                format!(
                    "mapping {:?} has no pinned agent certificate: test the mapping, compare the \
                     fingerprint it shows with the one certdesk-agent printed and accept it",
                    self.name
                ),
                NextStep::TestMapping {
                    mapping: self.name.clone(),
                    accept: true,
                },
            ))
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
impl Http01Solver for Agent {
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
}

#[async_trait]
impl DeployTarget for Agent {
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

    fn http01(&self) -> Option<&dyn Http01Solver> {
        Some(self)
    }

    async fn dns01(&self) -> Result<Option<String>> {
        Ok(self.pinned()?.health().await?.dns01)
    }

    fn dns01_publisher(
        self: Box<Self>,
        keys: TxtKeyAuthorizations,
    ) -> Option<Box<dyn DnsProvider>> {
        Some(Box::new(AgentTxt { agent: *self, keys }))
    }
}

/// An agent as the dns-01 publisher of one order: it is sent each value's key authorization.
struct AgentTxt {
    agent: Agent,
    keys: TxtKeyAuthorizations,
}

#[async_trait]
impl DnsProvider for AgentTxt {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        self.agent
            .change_txt(Action::Present, set, &self.keys)
            .await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        self.agent
            .change_txt(Action::Cleanup, set, &self.keys)
            .await
    }

    async fn test(&self, _zone: Option<&str>) -> Result<String> {
        self.agent.test().await.map(|probe| probe.summary)
    }
}
