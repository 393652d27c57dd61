//! `certdesk deploy add | edit | list | show | enable | disable | test | delete | run` and
//! `certdesk request set-deploy`: the mappings that reach end servers, and which request uses
//! which. Adding, editing, listing, showing, enabling and deleting are the plumbing the `dns`
//! group shares ([`crate::configured`]).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::deploy::mappings::MappingInfo;
use certdesk_engine::form::ConfigForm;
use certdesk_engine::next_step::{Listing, NextStep};
use certdesk_engine::request::RequestInfo;
use certdesk_engine::{Engine, Result};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::configured::{self, Configurations, DeleteArgs, EditArgs};
use crate::next_step::words;
use crate::output::Out;

#[derive(Subcommand)]
pub enum DeployCmd {
    /// Add a mapping from a JSON file of its fields; its secrets go to the keychain (delete the
    /// file afterwards).
    Add {
        #[arg(long)]
        name: String,
        /// ssh (a Linux server over SSH) or agent (a paired certdesk agent).
        #[arg(long)]
        kind: String,
        #[arg(long, value_name = "FILE.json")]
        config: PathBuf,
    },
    /// Change a mapping's fields (those in the file; the others stay).
    Edit(EditArgs),
    /// Every mapping with its last deployment.
    List,
    Show {
        name: String,
    },
    /// Use the mapping again for publishing and deploying.
    Enable {
        name: String,
    },
    /// Keep the mapping and its credentials, but publish and deploy nothing through it.
    Disable {
        name: String,
    },
    /// Connect and log in without changing anything; shows an unpinned host key.
    Test {
        name: String,
        /// Pin the host key the server presents (after comparing it with the server's own).
        #[arg(long)]
        accept_host_key: bool,
    },
    Delete(DeleteArgs),
    /// Deploy a saved certificate through the mapping now.
    Run {
        name: String,
        #[arg(long, value_name = "ID")]
        cert: String,
    },
}

#[derive(Args)]
pub struct SetDeployArgs {
    pub id: String,
    /// The mapping; leave out with --none to take it away.
    #[arg(required_unless_present = "none")]
    pub mapping: Option<String>,
    #[arg(long, conflicts_with = "mapping")]
    pub none: bool,
    /// Deploy after validation (saving the certificate) and after every renewal.
    #[arg(long, conflicts_with = "none")]
    pub auto: bool,
}

pub async fn set_deploy(engine: &Engine, args: SetDeployArgs) -> Result<RequestInfo> {
    engine
        .set_deploy(&args.id, args.mapping.as_deref(), args.auto)
        .await
}

/// The mappings as the shared plumbing sees them.
struct Mappings;

impl Configurations for Mappings {
    type Info = MappingInfo;
    const WHAT: &'static str = "deploy mapping";
    const FIELDS: &'static str = "the mapping's fields (host, port, user, password or \
         private_key, webroot, files, reload_command, check, dns_command, …)";
    const LISTING: Listing = Listing::Deployments;

    fn all(engine: &Engine) -> Result<Vec<MappingInfo>> {
        engine.deployments()
    }

    fn one(engine: &Engine, name: &str) -> Result<MappingInfo> {
        engine.deployment(name)
    }

    fn kind(info: &MappingInfo) -> &str {
        &info.kind
    }

    async fn save(
        engine: &Engine,
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&MappingInfo>,
        enabled: Option<bool>,
    ) -> Result<MappingInfo> {
        let mut form = ConfigForm::from_config(kind, name, config, existing)?;
        form.enabled = enabled;
        engine.save_deployment(form).await
    }

    async fn delete(engine: &Engine, name: &str) -> Result<MappingInfo> {
        engine.delete_deployment(name).await
    }

    async fn set_enabled(engine: &Engine, name: &str, enabled: bool) -> Result<MappingInfo> {
        engine.set_deployment_enabled(name, enabled).await
    }

    fn line(m: &MappingInfo) -> String {
        let state = match m.enabled {
            true => String::new(),
            false => "\tdisabled".into(),
        };
        format!("{}\t{}\t{}{state}", m.name, m.kind, last(m))
    }

    fn show(out: &Out, m: &MappingInfo) {
        let mut text = format!(
            "deploy mapping {} ({}): {}{}",
            m.name,
            m.kind,
            configured::state(m),
            configured::details(m)
        );
        text.push_str(&format!(
            "\n  dns-01: {}",
            m.dns01.as_deref().map_or_else(
                || "not answered (the request's DNS account publishes, else the administrator)"
                    .into(),
                |how| format!("answered through {how}")
            )
        ));
        text.push_str(&format!("\n  last deployment: {}", last(m)));
        out.value(m, &text);
    }
}

pub async fn run(engine: &Engine, cmd: DeployCmd, out: &Out) -> Result<ExitCode> {
    type C = Mappings;
    match cmd {
        DeployCmd::Add { name, kind, config } => {
            configured::add::<C>(engine, out, &kind, &name, &config, true).await?
        }
        DeployCmd::Edit(args) => configured::edit::<C>(engine, out, args).await?,
        DeployCmd::List => configured::list::<C>(engine, out)?,
        DeployCmd::Show { name } => configured::show::<C>(engine, out, &name)?,
        DeployCmd::Enable { name } => {
            configured::set_enabled::<C>(engine, out, &name, true).await?
        }
        DeployCmd::Disable { name } => {
            configured::set_enabled::<C>(engine, out, &name, false).await?
        }
        DeployCmd::Test {
            name,
            accept_host_key,
        } => {
            let probe = engine.test_deployment(&name, accept_host_key).await?;
            let text = match &probe.unpinned {
                // The summary shows the identity; the CLI adds how to pin it.
                Some(_) => format!(
                    "{}: {}",
                    probe.summary,
                    words(&NextStep::TestMapping {
                        mapping: name,
                        accept: true
                    })
                ),
                None => probe.summary.clone(),
            };
            out.value(&probe, &text);
        }
        DeployCmd::Delete(args) => configured::delete::<C>(engine, out, args).await?,
        DeployCmd::Run { name, cert } => {
            let done = engine.deploy_now(&name, &cert).await?;
            out.value(
                &json!({"mapping": name, "cert": cert, "deployed": done}),
                &format!(
                    "deployed certificate {cert} through {name}: {}",
                    done.summary
                ),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn last(m: &MappingInfo) -> String {
    match &m.last_deploy {
        None => "never deployed".into(),
        Some(d) => format!(
            "{} {} at {}: {}",
            if d.ok { "deployed" } else { "FAILED" },
            d.cert,
            configured::rfc3339(d.at),
            d.message
        ),
    }
}
