//! `certdesk settings show | set KEY VALUE [KEY VALUE…]`: the data folder's settings by dotted
//! name (`renewal.days_before_expiry`, `smtp.host`, `mail.digest`, …). The names follow the
//! settings' own fields, so a field the engine adds is settable here without a change; several
//! pairs in one command are saved together (an SMTP host needs its sender and recipient).

use std::path::Path;
use std::process::ExitCode;

use certdesk_engine::settings::SettingsUpdate;
use certdesk_engine::{Engine, Error, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::input::read_password;
use crate::output::Out;

#[derive(Subcommand)]
pub enum SettingsCmd {
    /// Every setting with its value (the SMTP password only as whether it is set).
    Show,
    /// Change settings, e.g. `renewal.days_before_expiry 10` (0: follow the CA's renewal
    /// information, else renew with a third of the lifetime left, half under 10 days),
    /// `smtp.host mail.example.com smtp.port 587`, `smtp.password-file FILE` (its first line; empty clears it).
    Set {
        #[arg(required = true, num_args = 2.., value_names = ["KEY", "VALUE"])]
        pairs: Vec<String>,
    },
}

/// Friendlier names for fields whose name in the settings record is terse or nested elsewhere.
const ALIASES: &[(&str, &str)] = &[
    ("renewal.days_before_expiry", "renew_days_before"),
    ("notify.issued", "notify_issued"),
    ("notify.failed", "notify_failed"),
    ("notify.renewed", "notify_renewed"),
    ("http01.listen", "http_listen"),
    ("tls_alpn01.listen", "tls_alpn_listen"),
    ("mail.digest", "smtp.digest"),
];

/// What a field takes, for the fields whose type alone does not say it.
const HINTS: &[(&str, &str)] = &[
    ("smtp.port", "a port number from 1 to 65535"),
    ("smtp.security", "one of starttls, tls, none"),
];

/// The SMTP password is not a field of the settings view: it is read from a file and sealed.
const PASSWORD_FILE: &str = "smtp.password-file";

/// The record's field for a user's key.
fn field_of(key: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == key)
        .map_or(key, |(_, field)| field)
}

/// The user's name for a field (its alias when there is one).
fn key_of(field: &str) -> &str {
    ALIASES
        .iter()
        .find(|(_, f)| *f == field)
        .map_or(field, |(alias, _)| alias)
}

/// Every leaf of `value` as (dotted field, value), in the record's order.
fn leaves(prefix: &str, value: &Value, into: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, v, into);
            }
        }
        other => into.push((prefix.to_owned(), other.clone())),
    }
}

/// The names `settings set` takes, in the record's order.
fn settable(view: &Value) -> Vec<String> {
    let mut all = Vec::new();
    leaves("", view, &mut all);
    let mut keys: Vec<String> = all
        .iter()
        .filter(|(field, _)| !field.ends_with("password_set"))
        .map(|(field, _)| key_of(field).to_owned())
        .collect();
    keys.push(PASSWORD_FILE.to_owned());
    keys
}

fn hint(key: &str, field: &str) -> Option<String> {
    HINTS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, h)| format!("{key} is {h}"))
}

/// `text` as a value of the same kind as the field's current value.
fn parse_like(key: &str, field: &str, current: &Value, text: &str) -> Result<Value> {
    let text = text.trim();
    Ok(match current {
        Value::Bool(_) => match text {
            "true" | "yes" | "on" | "1" => Value::Bool(true),
            "false" | "no" | "off" | "0" => Value::Bool(false),
            _ => {
                return Err(Error::input(format!(
                    "{key} is on or off (also true/false, yes/no), not {text:?}"
                )))
            }
        },
        Value::Number(_) => text.parse::<u64>().map(Value::from).map_err(|_| {
            Error::input(
                hint(key, field).unwrap_or_else(|| format!("{key} is a whole number"))
                    + &format!(", not {text:?}"),
            )
        })?,
        // Optional text: empty (or "none") clears it.
        Value::Null if text.is_empty() || text == "none" => Value::Null,
        _ => Value::String(text.to_owned()),
    })
}

/// The settings form with one pair applied.
fn apply(form: &mut Value, view: &Value, key: &str, text: &str) -> Result<()> {
    let key = key.trim();
    if key == PASSWORD_FILE {
        let change = match text.trim() {
            "" => json!({"action": "clear"}),
            path => {
                let password = read_password(Path::new(path))?;
                json!({"action": "set", "value": password})
            }
        };
        form["smtp"]["password"] = change;
        return Ok(());
    }
    let field = field_of(key);
    let unknown = || {
        Error::input(format!(
            "there is no setting {key:?}; the settings are: {}",
            settable(view).join(", ")
        ))
    };
    let mut slot = &mut *form;
    for part in field.split('.') {
        slot = slot.get_mut(part).ok_or_else(unknown)?;
    }
    if slot.is_object() || field.ends_with("password_set") {
        return Err(unknown());
    }
    *slot = parse_like(key, field, slot, text)?;
    // Check the one field now, so that the message names it.
    serde_json::from_value::<SettingsUpdate>(form.clone()).map_err(|e| {
        Error::input(hint(key, field).map_or_else(
            || format!("{key} cannot be {text:?}: {e}"),
            |h| format!("{h}, not {text:?}"),
        ))
    })?;
    Ok(())
}

pub async fn run(engine: &Engine, cmd: SettingsCmd, out: &Out) -> Result<ExitCode> {
    let view = to_json(&engine.settings()?)?;
    match cmd {
        SettingsCmd::Show => show(&view, out),
        SettingsCmd::Set { pairs } => {
            if pairs.len() % 2 != 0 {
                return Err(Error::input(format!(
                    "give each setting a value: KEY VALUE [KEY VALUE…] ({} has none)",
                    pairs.last().map(String::as_str).unwrap_or_default()
                )));
            }
            let mut form = view.clone();
            for pair in pairs.chunks(2) {
                apply(&mut form, &view, &pair[0], &pair[1])?;
            }
            let update: SettingsUpdate = serde_json::from_value(form)
                .map_err(|e| Error::input(format!("these settings do not fit together: {e}")))?;
            let saved = engine.update_settings(update).await?;
            show(&to_json(&saved)?, out)
        }
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::System(format!("the settings do not serialise: {e}")))
}

fn show(view: &Value, out: &Out) -> Result<ExitCode> {
    let mut all = Vec::new();
    leaves("", view, &mut all);
    let text: Vec<String> = all
        .into_iter()
        .map(|(field, value)| {
            let value = match value {
                Value::String(s) => s,
                Value::Null => "(none)".into(),
                other => other.to_string(),
            };
            format!("{} = {value}", key_of(&field))
        })
        .collect();
    out.value(view, &text.join("\n"));
    Ok(ExitCode::SUCCESS)
}
