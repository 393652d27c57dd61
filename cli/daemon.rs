//! `certdesk daemon`: renewal on its own where nobody opens the window. The app's scheduler in the
//! foreground (for systemd, launchd or a terminal), plus the control socket that takes
//! `certdesk renew --due` from cron while it holds the data folder. Stops on SIGINT or SIGTERM;
//! a renewal cut off by the stop is finished by the next pass.

use std::process::ExitCode;

use certdesk_engine::control::Server;
use certdesk_engine::renewal::scheduler::SystemClock;
use certdesk_engine::renewal::PassReport;
use certdesk_engine::{Engine, Error, Result};
use time::OffsetDateTime;

use crate::output::Out;
use crate::renew::{pass_lines, rfc3339};

pub async fn run(engine: &Engine, out: &Out) -> Result<ExitCode> {
    // Without the socket the daemon still renews; only cron's passes cannot reach it.
    let control = Server::bind(engine)
        .inspect_err(|e| {
            out.note(&format!(
                "`certdesk renew --due` cannot reach this daemon: {e}"
            ))
        })
        .ok();
    out.note(&format!(
        "certdesk daemon: renewing the certificates of {} as they come due{}; stop with Ctrl-C \
         or SIGTERM",
        engine.data_dir().display(),
        match &control {
            Some(server) => format!(
                "; `certdesk renew --due` is served at {}",
                server.path().display()
            ),
            None => String::new(),
        }
    ));
    let serve = async {
        match &control {
            Some(server) => {
                engine
                    .serve_control(server, |pass| print_pass(out, pass))
                    .await
            }
            None => std::future::pending().await,
        }
    };
    let signal = tokio::select! {
        () = engine.run_scheduler(&SystemClock, |pass| print_pass(out, pass)) => None,
        () = serve => None,
        signal = stop_signal() => Some(signal?),
    };
    if let Some(signal) = signal {
        out.note(&format!("certdesk daemon: stopped by {signal}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A pass as a log reads it: a line per certificate it acted on (or "nothing is due"), each
/// stamped with the pass's time; one JSON line with `--json`.
fn print_pass(out: &Out, pass: std::result::Result<&PassReport, &Error>) {
    match pass {
        Ok(report) => {
            let at = stamp(report.at);
            let lines: Vec<String> = pass_lines(report)
                .iter()
                .map(|line| format!("{at} {line}"))
                .collect();
            out.log(report, &lines.join("\n"));
        }
        Err(e) => out.log(
            &Out::error_json(e),
            &format!(
                "{} the renewal pass could not run: {e}",
                stamp(OffsetDateTime::now_utc())
            ),
        ),
    }
}

/// A log line's time, to the second.
fn stamp(t: OffsetDateTime) -> String {
    rfc3339(t.replace_nanosecond(0).unwrap_or(t))
}

/// Waits for SIGINT or SIGTERM; says which.
async fn stop_signal() -> Result<&'static str> {
    let failed = |e: std::io::Error| Error::Control(format!("cannot watch for stop signals: {e}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).map_err(failed)?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT").map_err(failed),
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(failed)?;
        Ok("Ctrl-C")
    }
}
