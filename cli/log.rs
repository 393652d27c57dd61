//! `certdesk log [--since TIME] [--cert ID] [--json] [--csv]`: the activity log, oldest first —
//! what each face did, when, and how it ended (the CA's problem with a failure).

use std::process::ExitCode;

use certdesk_engine::activity::{self, ActivityEntry, Filter, Outcome};
use certdesk_engine::{Engine, Result};
use clap::Args;
use time::OffsetDateTime;

use crate::output::Out;
use crate::renew::rfc3339;

#[derive(Args)]
pub struct LogArgs {
    /// Only entries since this time: RFC 3339 (2027-01-31T00:00:00Z), a date (2027-01-31) or
    /// an age (30m, 24h, 7d, 2w).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries about this request or certificate.
    #[arg(long, value_name = "ID")]
    pub cert: Option<String>,
    /// Print the entries as CSV (a header row, every field quoted).
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

pub fn run(engine: &Engine, args: LogArgs, out: &Out) -> Result<ExitCode> {
    let filter = Filter {
        since: args
            .since
            .as_deref()
            .map(|t| activity::parse_since(t, OffsetDateTime::now_utc()))
            .transpose()?,
        cert: args.cert,
        text: None,
    };
    let log = engine.activity_log(&filter)?;
    if args.csv {
        let csv = activity::to_csv(&log.entries);
        // Control characters a CA wrote are escaped on the way out, as every line of the CLI's.
        crate::output::line(false, csv.strip_suffix('\n').unwrap_or(&csv));
        for d in &log.damaged {
            out.note(&format!(
                "activity entry {} is damaged: {}",
                d.id, d.damaged
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    out.listing(&log.entries, &log.damaged, line);
    Ok(ExitCode::SUCCESS)
}

/// One entry as a line: time, face, action, subject, outcome.
fn line(entry: &ActivityEntry) -> String {
    let subject = &entry.subject;
    let about: Vec<String> = [
        subject.request.clone(),
        subject.account.as_ref().map(|a| format!("account {a}")),
        (!subject.names.is_empty()).then(|| subject.names.join(", ")),
        subject.target.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let outcome = match &entry.outcome {
        Outcome::Ok { detail: None } => "ok".to_owned(),
        Outcome::Ok {
            detail: Some(detail),
        } => format!("ok: {detail}"),
        Outcome::Failed { message, .. } => format!("failed: {message}"),
    };
    format!(
        "{}\t{}\t{}\t{}\t{outcome}",
        rfc3339(entry.time),
        entry.face.name(),
        entry.action.name(),
        about.join(" "),
    )
}
