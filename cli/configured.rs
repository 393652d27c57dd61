//! What the `dns` and `deploy` groups share: both manage credentialed configurations (the
//! engine's `form::credentialed`), added and edited from a JSON file of the kind's fields
//! (`--config FILE`, secrets to the keychain), listed, shown, enabled or disabled, deleted and
//! tested the same way. Each group says what differs in a [`Configurations`] implementation.

use std::path::PathBuf;

use certdesk_engine::form::Configured;
use certdesk_engine::next_step::Listing;
use certdesk_engine::{Engine, Result};
use clap::Args;
use serde::Serialize;

use crate::input::{read_config, refuse_without_yes};
use crate::output::Out;

/// `edit NAME --config FILE [--rename NEW_NAME]`.
#[derive(Args)]
pub struct EditArgs {
    pub name: String,
    #[arg(long, value_name = "FILE.json")]
    pub config: PathBuf,
    /// Rename it (the requests that use it follow).
    #[arg(long, value_name = "NEW_NAME")]
    pub rename: Option<String>,
}

/// `delete --yes NAME`.
#[derive(Args)]
pub struct DeleteArgs {
    #[arg(long)]
    pub yes: bool,
    pub name: String,
}

/// One group's configurations: the engine calls and the words that differ.
pub trait Configurations {
    type Info: Serialize + std::ops::Deref<Target = Configured>;
    /// What one is called, e.g. "DNS account".
    const WHAT: &'static str;
    /// What `--config` holds, for a file that is not a JSON object.
    const FIELDS: &'static str;
    const LISTING: Listing;

    fn all(engine: &Engine) -> Result<Vec<Self::Info>>;
    fn one(engine: &Engine, name: &str) -> Result<Self::Info>;
    fn kind(info: &Self::Info) -> &str;
    /// Saves the `--config` file `config` as `name`, of `kind`, editing `existing`; `enabled`:
    /// none keeps it as it is (a new one is enabled).
    async fn save(
        engine: &Engine,
        kind: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        existing: Option<&Self::Info>,
        enabled: Option<bool>,
    ) -> Result<Self::Info>;
    async fn delete(engine: &Engine, name: &str) -> Result<Self::Info>;
    async fn set_enabled(engine: &Engine, name: &str, enabled: bool) -> Result<Self::Info>;
    /// One line of `list`.
    fn line(info: &Self::Info) -> String;
    /// What `show` prints.
    fn show(out: &Out, info: &Self::Info);
}

pub async fn add<C: Configurations>(
    engine: &Engine,
    out: &Out,
    kind: &str,
    name: &str,
    config: &std::path::Path,
    enabled: bool,
) -> Result<()> {
    let config = read_config(config, C::FIELDS)?;
    C::show(
        out,
        &C::save(engine, kind, name, &config, None, Some(enabled)).await?,
    );
    Ok(())
}

pub async fn edit<C: Configurations>(engine: &Engine, out: &Out, args: EditArgs) -> Result<()> {
    let existing = C::one(engine, &args.name)?;
    let config = read_config(&args.config, C::FIELDS)?;
    let name = args.rename.as_deref().unwrap_or(&args.name);
    let kind = C::kind(&existing);
    let saved = C::save(engine, kind, name, &config, Some(&existing), None).await?;
    C::show(out, &saved);
    Ok(())
}

pub fn list<C: Configurations>(engine: &Engine, out: &Out) -> Result<()> {
    out.listing(&C::all(engine)?, &engine.damaged(C::LISTING)?, C::line);
    Ok(())
}

pub fn show<C: Configurations>(engine: &Engine, out: &Out, name: &str) -> Result<()> {
    C::show(out, &C::one(engine, name)?);
    Ok(())
}

pub async fn set_enabled<C: Configurations>(
    engine: &Engine,
    out: &Out,
    name: &str,
    enabled: bool,
) -> Result<()> {
    C::show(out, &C::set_enabled(engine, name, enabled).await?);
    Ok(())
}

pub async fn delete<C: Configurations>(engine: &Engine, out: &Out, args: DeleteArgs) -> Result<()> {
    refuse_without_yes(
        args.yes,
        &format!("this deletes {} {:?}", C::WHAT, args.name),
    )?;
    C::show(out, &C::delete(engine, &args.name).await?);
    Ok(())
}

/// The lines every `show` ends with: the fields, the secrets that are set and the last test.
pub fn details(info: &Configured) -> String {
    let mut text = String::new();
    for (k, v) in &info.fields {
        text.push_str(&format!("\n  {k}: {v}"));
    }
    for k in &info.secrets_set {
        text.push_str(&format!("\n  {k}: set (in the keychain)"));
    }
    if let Some(test) = &info.last_test {
        text.push_str(&format!(
            "\n  last test: {} at {}: {}",
            if test.ok { "passed" } else { "FAILED" },
            rfc3339(test.at),
            test.message
        ));
    }
    text
}

/// A time as the CLI prints it.
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `enabled` or `disabled`.
pub fn state(info: &Configured) -> &'static str {
    match info.enabled {
        true => "enabled",
        false => "disabled",
    }
}
