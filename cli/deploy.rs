//! `certdesk deploy add | edit | list | show | test | delete | run` and `certdesk request
//! set-deploy`: the mappings that reach end servers, and which request uses which.

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::deploy::mappings::{MappingForm, MappingInfo};
use certdesk_engine::next_step::Listing;
use certdesk_engine::request::RequestInfo;
use certdesk_engine::{Engine, Result};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::input::{read_config, refuse_without_yes};
use crate::output::Out;

const MAPPING_FIELDS: &str = "the mapping's fields (host, port, user, password or private_key, \
                              webroot, files, reload_command, check, dns_command, …)";

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
    Edit {
        name: String,
        #[arg(long, value_name = "FILE.json")]
        config: PathBuf,
        #[arg(long, value_name = "NEW_NAME")]
        rename: Option<String>,
    },
    /// Every mapping with its last deployment.
    List,
    Show {
        name: String,
    },
    /// Connect and log in without changing anything; shows an unpinned host key.
    Test {
        name: String,
        /// Pin the host key the server presents (after comparing it with the server's own).
        #[arg(long)]
        accept_host_key: bool,
    },
    Delete {
        #[arg(long)]
        yes: bool,
        name: String,
    },
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

pub async fn run(engine: &Engine, cmd: DeployCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        DeployCmd::Add { name, kind, config } => {
            let form = MappingForm::from_config(
                &kind,
                &name,
                &read_config(&config, MAPPING_FIELDS)?,
                None,
            )?;
            show(out, &engine.save_deployment(form).await?);
        }
        DeployCmd::Edit {
            name,
            config,
            rename,
        } => {
            let existing = engine.deployment(&name)?;
            let form = MappingForm::from_config(
                &existing.kind,
                rename.as_deref().unwrap_or(&name),
                &read_config(&config, MAPPING_FIELDS)?,
                Some(&existing),
            )?;
            show(out, &engine.save_deployment(form).await?);
        }
        DeployCmd::List => out.listing(
            &engine.deployments()?,
            &engine.damaged(Listing::Deployments)?,
            |m| format!("{}\t{}\t{}", m.name, m.kind, last(m)),
        ),
        DeployCmd::Show { name } => show(out, &engine.deployment(&name)?),
        DeployCmd::Test {
            name,
            accept_host_key,
        } => {
            let probe = engine.test_deployment(&name, accept_host_key).await?;
            out.value(&probe, &probe.summary);
        }
        DeployCmd::Delete { yes, name } => {
            refuse_without_yes(yes, &format!("this deletes deploy mapping {name:?}"))?;
            let gone = engine.delete_deployment(&name).await?;
            out.done(&format!("deploy mapping {} deleted", gone.name));
        }
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
            d.at.to_offset(time::UtcOffset::UTC)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            d.message
        ),
    }
}

fn show(out: &Out, m: &MappingInfo) {
    let mut text = format!("deploy mapping {} ({})", m.name, m.kind);
    for (k, v) in &m.fields {
        text.push_str(&format!("\n  {k}: {v}"));
    }
    for k in &m.secrets_set {
        text.push_str(&format!("\n  {k}: set (in the keychain)"));
    }
    text.push_str(&format!(
        "\n  dns-01: {}",
        m.dns01.as_deref().map_or_else(
            || "not answered (the request's DNS account publishes, else the administrator)".into(),
            |how| format!("answered through {how}")
        )
    ));
    text.push_str(&format!("\n  last deployment: {}", last(m)));
    out.value(m, &text);
}
