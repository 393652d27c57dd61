//! `certdesk notify add | list | show | edit | enable | disable | delete | test | kinds`: notice
//! channels (a signed JSON webhook, Slack, Microsoft Teams, ntfy) that get every renewal notice
//! beside e-mail. Everything but `test` and `kinds` is the plumbing the `dns` and `deploy` groups
//! share ([`crate::configured`]).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::form::ConfigForm;
use certdesk_engine::next_step::Listing;
use certdesk_engine::notify::ChannelInfo;
use certdesk_engine::{Engine, Result};
use clap::Subcommand;

use crate::configured::{self, Configurations, DeleteArgs, EditArgs};
use crate::output::Out;

#[derive(Subcommand)]
pub enum NotifyCmd {
    /// Add a channel from a JSON file of its kind's fields (secrets go to the keychain; certdesk
    /// keeps no copy of the file). webhook: {"url", "secret"}; slack, teams: {"url"}; ntfy:
    /// {"url", "topic", "token"}; each may add "ca_certificate" (a PEM file).
    Add {
        /// webhook, slack, teams or ntfy.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "FILE.json")]
        config: PathBuf,
        /// Add it disabled.
        #[arg(long)]
        disabled: bool,
    },
    List,
    Show {
        name: String,
    },
    /// Change fields (those the file leaves out stay as they are).
    Edit(EditArgs),
    Enable {
        name: String,
    },
    Disable {
        name: String,
    },
    Delete(DeleteArgs),
    /// Send a test notice through the channel.
    Test {
        name: String,
    },
    /// The kinds of channel and the fields each one takes.
    Kinds,
}

/// The notice channels as the shared plumbing sees them.
struct Channels;

impl Configurations for Channels {
    type Info = ChannelInfo;
    const WHAT: &'static str = "notice channel";
    const FIELDS: &'static str = "the channel's fields (see `certdesk notify kinds`)";
    const LISTING: Listing = Listing::NoticeChannels;

    fn all(engine: &Engine) -> Result<Vec<ChannelInfo>> {
        engine.notice_channels()
    }

    fn one(engine: &Engine, name: &str) -> Result<ChannelInfo> {
        engine.notice_channel(name)
    }

    fn kind(info: &ChannelInfo) -> &str {
        &info.kind
    }

    async fn save(
        engine: &Engine,
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&ChannelInfo>,
        enabled: Option<bool>,
    ) -> Result<ChannelInfo> {
        let mut form = ConfigForm::from_config(kind, name, config, existing)?;
        form.enabled = enabled;
        engine.save_notice_channel(form).await
    }

    async fn delete(engine: &Engine, name: &str) -> Result<ChannelInfo> {
        engine.delete_notice_channel(name).await
    }

    async fn set_enabled(engine: &Engine, name: &str, enabled: bool) -> Result<ChannelInfo> {
        engine.set_notice_channel_enabled(name, enabled).await
    }

    fn line(c: &ChannelInfo) -> String {
        format!("{}\t{}\t{}", c.name, c.kind, configured::state(c))
    }

    fn show(out: &Out, c: &ChannelInfo) {
        let text = format!(
            "notice channel {} ({}): {}{}",
            c.name,
            c.kind,
            configured::state(c),
            configured::details(c)
        );
        out.value(c, &text);
    }
}

pub async fn run(engine: &Engine, cmd: NotifyCmd, out: &Out) -> Result<ExitCode> {
    type C = Channels;
    match cmd {
        NotifyCmd::Add {
            kind,
            name,
            config,
            disabled,
        } => configured::add::<C>(engine, out, &kind, &name, &config, !disabled).await?,
        NotifyCmd::List => configured::list::<C>(engine, out)?,
        NotifyCmd::Show { name } => configured::show::<C>(engine, out, &name)?,
        NotifyCmd::Edit(args) => configured::edit::<C>(engine, out, args).await?,
        NotifyCmd::Enable { name } => {
            configured::set_enabled::<C>(engine, out, &name, true).await?
        }
        NotifyCmd::Disable { name } => {
            configured::set_enabled::<C>(engine, out, &name, false).await?
        }
        NotifyCmd::Delete(args) => configured::delete::<C>(engine, out, args).await?,
        NotifyCmd::Test { name } => out.done(&engine.test_notice_channel(&name).await?),
        NotifyCmd::Kinds => {
            let kinds = engine.notice_channel_kinds();
            let mut text = String::new();
            for k in &kinds {
                text.push_str(&format!("{} ({})\n", k.kind, k.label));
                for f in &k.fields {
                    let how = match (f.secret, f.required) {
                        (true, true) => " [secret]",
                        (true, false) => " [secret, optional]",
                        (false, true) => "",
                        (false, false) => " [optional]",
                    };
                    text.push_str(&format!("  {}{how}: {}\n", f.name, f.help));
                }
            }
            out.value(&kinds, text.trim_end());
        }
    }
    Ok(ExitCode::SUCCESS)
}
