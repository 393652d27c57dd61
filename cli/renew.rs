//! `certdesk renew --due`: one pass of the renewal scheduler, for machines where nobody opens the
//! window (cron, systemd timers, Task Scheduler); `--dry-run [--at TIME]` says what would renew
//! by then and why. While the app or `certdesk daemon` holds the data folder, that process runs
//! it ([`forward`]).

use std::path::Path;
use std::process::ExitCode;

use certdesk_engine::control::{self, Answer, Call};
use certdesk_engine::next_step::NextStep;
use certdesk_engine::renewal::{Action, PassReport, Planned, RenewalOutcome};
use certdesk_engine::{Engine, Error, Result};
use clap::Args;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::next_step::words;
use crate::output::Out;

#[derive(Args)]
pub struct RenewArgs {
    /// Renew every saved certificate that is due, once (exit code 2 when a renewal failed).
    #[arg(long, required = true)]
    pub due: bool,
    /// Only list what would renew, and why (ARI window, lifetime rule or setting).
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: what would renew by this time (RFC 3339, e.g. 2027-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME", requires = "dry_run")]
    pub at: Option<String>,
    /// Act as if it were this time (RFC 3339): for tests of the schedule.
    #[arg(long, value_name = "TIME", env = "CERTDESK_NOW", hide = true)]
    pub now: Option<String>,
}

fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| {
        Error::input(format!(
            "{what} {text:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {e}"
        ))
    })
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub async fn run(engine: &Engine, args: RenewArgs, out: &Out) -> Result<ExitCode> {
    let answer = engine.answer(&call_of(&args)?).await?;
    Ok(print(answer, out))
}

/// `renew --due` while the app or `certdesk daemon` holds the data folder: the same call, run by
/// that process through its control socket, printed (its progress too) as a local run prints it.
pub async fn forward(dir: &Path, args: RenewArgs, out: &Out) -> Result<ExitCode> {
    let answer = control::call(dir, &call_of(&args)?, |p| out.progress(&p)).await?;
    Ok(print(answer, out))
}

fn call_of(args: &RenewArgs) -> Result<Call> {
    let now = match &args.now {
        Some(t) => parse_time(t, "--now")?,
        None => OffsetDateTime::now_utc(),
    };
    if !args.dry_run {
        return Ok(Call::RenewDue { now });
    }
    let by = match &args.at {
        Some(t) => parse_time(t, "--at")?,
        None => now,
    };
    Ok(Call::Preview { now, by })
}

fn print(answer: Answer, out: &Out) -> ExitCode {
    let report = match answer {
        Answer::Preview { by, due } => {
            let text = match due.is_empty() {
                true => format!("nothing would renew by {}", rfc3339(by)),
                false => due.iter().map(describe).collect::<Vec<_>>().join("\n"),
            };
            out.value(&due, &text);
            return ExitCode::SUCCESS;
        }
        Answer::Pass(report) => report,
    };
    let mut lines = pass_lines(&report);
    if let Some(next) = report.next_due {
        lines.push(format!("next due: {}", rfc3339(next)));
    }
    for e in &report.mail_errors {
        out.note(e);
    }
    out.value(&report, &lines.join("\n"));
    let failed = report.failed().count();
    if failed > 0 {
        eprintln!("error: {failed} renewal(s) failed; each is tried again at its next attempt");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// What a pass did, a line per certificate it acted on or that waits.
pub fn pass_lines(report: &PassReport) -> Vec<String> {
    let mut lines: Vec<String> = report
        .outcomes
        .iter()
        .map(|o| match &o.note {
            Some(note) => format!("{} ({note})", outcome_line(o)),
            None => outcome_line(o),
        })
        .collect();
    lines.extend(
        report
            .held
            .iter()
            .map(|p| format!("waiting {}", describe(p))),
    );
    if report.outcomes.is_empty() && report.held.is_empty() {
        lines.push("nothing is due".into());
    }
    for news in &report.endpoints {
        lines.push(format!(
            "endpoint {} ({}): new findings: {}",
            news.endpoint,
            news.sni,
            news.kinds()
        ));
        lines.extend(news.findings.iter().map(|f| format!("  {}", f.detail)));
    }
    if let Some(e) = &report.endpoint_error {
        lines.push(format!(
            "the endpoints due for a check were not checked: {e}"
        ));
    }
    lines.extend(
        report
            .skipped
            .iter()
            .map(|d| format!("skipped damaged record {}: {}", d.id, d.damaged)),
    );
    lines
}

fn outcome_line(o: &RenewalOutcome) -> String {
    let names = o.names.join(", ");
    match o.action {
        Action::Renewed => match o.request.as_ref().and_then(|r| r.order_account.as_ref()) {
            Some(fallback) => format!(
                "renewed {} ({names}) through the fallback account {fallback}: {}",
                o.id, o.reason
            ),
            None => format!("renewed {} ({names}): {}", o.id, o.reason),
        },
        Action::Waiting => format!(
            "{} ({names}): the new order's challenges wait to be published; see `certdesk \
             request show {}`",
            o.id, o.id
        ),
        Action::Failed => format!(
            "failed {} ({names}): {}{}; next attempt at {}",
            o.id,
            o.error.as_deref().unwrap_or("unknown error"),
            step_words(o.next_step.as_ref()),
            o.next_attempt.map(rfc3339).unwrap_or_default()
        ),
        Action::Reminder => format!(
            "renew {} ({names}) by hand: its challenges are published by hand ({}); it expires \
             {}. Run `certdesk cert renew {}`",
            o.id,
            o.reason,
            rfc3339(o.not_after),
            o.id
        ),
    }
}

/// A failure's next step as the CLI says it, after its message (as [`error_message`] does).
///
/// [`error_message`]: crate::next_step::error_message
fn step_words(step: Option<&NextStep>) -> String {
    step.map(|s| format!(": {}", words(s))).unwrap_or_default()
}

/// One line of the dry run: the certificate, when, why, and what holds it back.
fn describe(p: &Planned) -> String {
    let mut line = format!("{} ({})", p.id, p.names.join(", "));
    if let Some(plan) = &p.plan {
        line.push_str(&format!(" at {}: {}", rfc3339(plan.at), plan.reason));
    }
    if let Some(next) = p.next_attempt {
        line.push_str(&format!("; next attempt not before {}", rfc3339(next)));
        if let Some(why) = p.held_by {
            line.push_str(&format!(": {why}"));
        }
    }
    if p.failures > 0 {
        line.push_str(&format!(" ({} failure(s) in a row)", p.failures));
    }
    if let Some(error) = &p.last_error {
        line.push_str(&format!(
            "; last error: {error}{}",
            step_words(p.next_step.as_ref())
        ));
    }
    if !p.automated {
        line.push_str("; challenges by hand: a reminder, no order");
    }
    line
}
