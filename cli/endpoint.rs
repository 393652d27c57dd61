//! `certdesk endpoint add|list|check|scan|delete`: the TLS endpoints to watch and what they
//! serve.
//! `list` shows each endpoint's last check, `check` checks again; both print, with --json, one
//! `{endpoint, sni, starttls?, checked_at, serial, not_after, names, findings: [{kind, detail,
//! cert?, mapping?}]}` each (a drift finding names the certificate and its deploy mapping). A
//! chain is complete when it reaches a trusted root: the system's (or `SSL_CERT_FILE`'s),
//! Mozilla's, or an account's CA root. `scan` probes only the hosts (or the one CIDR range) and
//! the ports given and prints, with --json, `{scanned: {hosts, addresses, ports, probes}, found:
//! [check…], summary: {probed, tls, not_tls, no_answer}, tracked, watched_already}`.

use std::process::ExitCode;

use certdesk_engine::endpoints::{EndpointCheck, ScanReport, Starttls, Targets};
use certdesk_engine::{Engine, Result};
use clap::Subcommand;

use crate::input::refuse_without_yes;
use crate::output::Out;
use crate::renew::rfc3339;

#[derive(Subcommand)]
pub enum EndpointCmd {
    /// Watch HOST:PORT (an IPv6 address as [ADDRESS]:PORT).
    Add {
        #[arg(value_name = "HOST:PORT")]
        address: String,
        /// The TLS server name to send and to match the certificate against (default: the
        /// host).
        #[arg(long, value_name = "NAME")]
        sni: Option<String>,
        /// Ask for TLS first in this protocol (a mail port that upgrades: 25, 587, 143, 110).
        #[arg(long, value_name = "smtp|imap|pop3")]
        starttls: Option<Starttls>,
    },
    /// The watched endpoints with their last check.
    List,
    /// Check HOST:PORT, or every watched endpoint: the served chain and what is wrong with it.
    Check {
        #[arg(value_name = "HOST:PORT")]
        address: Option<String>,
    },
    /// Look for TLS endpoints on these hosts (or this one CIDR range) and ports, and no others.
    Scan {
        /// The hosts, H[,H…], or one range, ADDRESS/PREFIX (1024 addresses at most).
        #[arg(long, value_name = "H[,H…]|CIDR")]
        hosts: String,
        /// The ports, P[,P…] (32 at most).
        #[arg(long, value_name = "P[,P…]")]
        ports: String,
        /// Watch each TLS endpoint found.
        #[arg(long)]
        track: bool,
    },
    /// Stop watching HOST:PORT.
    Delete {
        #[arg(long)]
        yes: bool,
        #[arg(value_name = "HOST:PORT")]
        address: String,
    },
}

pub async fn run(engine: &Engine, cmd: EndpointCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        EndpointCmd::Add {
            address,
            sni,
            starttls,
        } => {
            let added = engine
                .endpoint_add(&address, sni.as_deref(), starttls)
                .await?;
            let over = added
                .starttls
                .map(|p| format!(", STARTTLS over {p}"))
                .unwrap_or_default();
            out.value(
                &added.view(),
                &format!(
                    "watching {} (server name {}{over})",
                    added.endpoint,
                    added.name()
                ),
            );
        }
        EndpointCmd::List => {
            let scan = engine.endpoint_list()?;
            let views: Vec<EndpointCheck> = scan.records.iter().map(|e| e.view()).collect();
            out.listing(&views, &scan.damaged, line);
        }
        EndpointCmd::Check { address } => {
            let checks = engine.endpoint_check(address.as_deref()).await?;
            out.listing(&checks, &[], line);
        }
        EndpointCmd::Scan {
            hosts,
            ports,
            track,
        } => {
            let targets = Targets::parse(&hosts, &ports)?;
            out.heading(&format!(
                "scanning {} ({} addresses x {} ports, {} probes), only these",
                targets.hosts,
                targets.addresses,
                targets.ports.len(),
                targets.probes
            ));
            let step = (targets.probes / 10).max(1);
            let report = engine
                .endpoint_scan(targets, track, |done, of| {
                    if done % step == 0 || done == of {
                        out.step(&format!("probed {done} of {of}"));
                    }
                })
                .await?;
            out.value(&report, &scanned(&report));
        }
        EndpointCmd::Delete { yes, address } => {
            refuse_without_yes(
                yes,
                &format!("deleting endpoint {address} forgets its checks"),
            )?;
            let deleted = engine.endpoint_delete(&address).await?;
            out.done(&format!("endpoint {} deleted", deleted.endpoint));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A scan's endpoints found, a line each, then what it tracked and its summary.
fn scanned(report: &ScanReport) -> String {
    let mut lines: Vec<String> = report.found.iter().map(line).collect();
    lines.extend(report.tracked.iter().map(|e| format!("watching {e}")));
    lines.extend(
        report
            .watched_already
            .iter()
            .map(|e| format!("{e} is watched already")),
    );
    let s = report.summary;
    lines.push(format!(
        "{} probed: {} TLS, {} open without TLS, {} closed or silent",
        s.probed, s.tls, s.not_tls, s.no_answer
    ));
    lines.join("\n")
}

/// One endpoint as a line: address, server name, serial and expiry, then each finding.
fn line(check: &EndpointCheck) -> String {
    let served = match (&check.serial, check.not_after) {
        (Some(serial), Some(not_after)) => {
            format!("serial {serial}, expires {}", rfc3339(not_after))
        }
        _ if check.checked_at.is_none() => "not checked yet".to_owned(),
        _ => "no certificate".to_owned(),
    };
    let findings = match check.findings.is_empty() {
        true if check.checked_at.is_some() => "\tok".to_owned(),
        _ => check
            .findings
            .iter()
            .map(|f| format!("\n  - {}", f.detail))
            .collect(),
    };
    format!("{}\t{}\t{served}{findings}", check.endpoint, check.sni)
}
