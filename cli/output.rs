//! Printing results: readable text on a terminal, JSON with `--json`. Errors go to stderr with
//! what to do, and (with `--json`) as an object on stdout too; the exit code tells the kind.

use std::io::IsTerminal;
use std::process::ExitCode;

use certdesk_engine::account::{AccountInfo, CaTerms};
use certdesk_engine::dns::ProviderSpec;
use certdesk_engine::dns_accounts::DnsAccountInfo;
use certdesk_engine::progress::{Progress, Stage};
use certdesk_engine::repository::{CertSummary, CertVersion};
use certdesk_engine::request::{Challenge, RequestInfo};
use certdesk_engine::{Error, ErrorKind, Result};
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::Receiver;

/// Stops a background printer when the command is done.
pub struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub struct Out {
    json: bool,
    terminal: bool,
}

/// A time as administrators read it: `2026-11-26 20:17 UTC`.
fn when(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Input => 1,
        ErrorKind::Remote => 2,
        ErrorKind::Local => 3,
    }
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn print_json(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot print JSON: {e}"),
        }
    }

    pub fn error_json(e: &Error) -> serde_json::Value {
        json!({"error": {"kind": e.kind(), "message": e.to_string(), "problem": e.problem()}})
    }

    pub fn error(&self, e: &Error) -> ExitCode {
        eprintln!("error: {e}");
        if self.json {
            self.print_json(&Self::error_json(e));
        }
        ExitCode::from(exit_code(e.kind()))
    }

    /// A note on stderr that does not change the result.
    pub fn note(&self, text: &str) {
        eprintln!("note: {text}");
    }

    /// Prints each issuance stage on a terminal (scripts read clean output) until the returned
    /// guard is dropped.
    pub fn follow(&self, mut events: Receiver<Progress>) -> Option<AbortOnDrop> {
        if !self.terminal {
            return None;
        }
        Some(AbortOnDrop(tokio::spawn(async move {
            while let Ok(p) = events.recv().await {
                print_progress(&p);
            }
        })))
    }

    /// Prints one issuance stage, on a terminal only.
    pub fn progress(&self, p: &Progress) {
        if self.terminal {
            print_progress(p);
        }
    }

    /// `value` as JSON, or else `text`.
    pub fn value(&self, value: &impl Serialize, text: &str) {
        if self.json {
            self.print_json(value);
        } else {
            println!("{text}");
        }
    }

    /// One entry of a log that goes on (the daemon's passes): `value` as one JSON line, or else
    /// `text`.
    pub fn log(&self, value: &impl Serialize, text: &str) {
        if !self.json {
            return println!("{text}");
        }
        match serde_json::to_string(value) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("error: cannot print JSON: {e}"),
        }
    }

    pub fn done(&self, text: &str) {
        if self.json {
            self.print_json(&json!({"ok": true, "message": text}));
        } else {
            println!("{text}");
        }
    }

    pub fn account(&self, a: &AccountInfo, what: &str) {
        if self.json {
            return self.print_json(a);
        }
        if !what.is_empty() {
            println!("account {} {what}", a.name);
        }
        println!(
            "name:      {}\ne-mail:    {}\nCA:        {}\naccount:   {}\nstatus:    {:?}\ncreated:   {}",
            a.name,
            a.email,
            a.ca.label(),
            a.url,
            a.status,
            when(a.created)
        );
    }

    pub fn accounts(&self, all: &[AccountInfo]) {
        if self.json {
            return self.print_json(&all);
        }
        if all.is_empty() {
            println!("no accounts yet: certdesk account register --help");
        }
        for a in all {
            println!("{}\t{}\t{}\t{:?}", a.name, a.email, a.ca.label(), a.status);
        }
    }

    pub fn terms(&self, t: &CaTerms) {
        if self.json {
            return self.print_json(t);
        }
        println!(
            "directory: {}\nterms:     {}\nEAB:       {}\nprofiles:  {}",
            t.directory_url,
            t.terms_of_service.as_deref().unwrap_or("(none published)"),
            if t.external_account_required {
                "required"
            } else {
                "not required"
            },
            if t.profiles.is_empty() {
                "(none)".into()
            } else {
                t.profiles.join(", ")
            }
        );
    }

    pub fn request(&self, r: &RequestInfo) {
        if self.json {
            return self.print_json(r);
        }
        println!("request {}: {:?}", r.id, r.status);
        println!(
            "names: {}",
            r.names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(fallback) = &r.fallback_account {
            println!(
                "fallback account: {fallback} (renews after failed attempts at {})",
                r.account
            );
        }
        if let Some(mapping) = &r.deploy {
            let when = if r.auto_deploy {
                "automatically after validation and every renewal"
            } else {
                "by hand (certdesk deploy run)"
            };
            println!("deploy mapping: {mapping}, deploys {when}");
        }
        for c in &r.challenges {
            match &c.challenge {
                Challenge::Http01 { domain, url, key_authorization, .. } => println!(
                    "  {domain} [{}]\n    serve at: {url}\n    content:  {key_authorization}",
                    c.status
                ),
                Challenge::Dns01 { domain, record_name, record_value } => println!(
                    "  {domain} [{}]\n    TXT record: {record_name}\n    value:      {record_value}",
                    c.status
                ),
            }
        }
        if let Some(p) = &r.problem {
            println!("the CA's problem: {p}");
        }
        if let Some(next) = &r.next_step {
            println!("next: {next}");
        }
    }

    pub fn requests(&self, all: &[RequestInfo]) {
        if self.json {
            return self.print_json(&all);
        }
        for r in all {
            println!(
                "{}\t{:?}\t{}\t{}",
                r.id,
                r.status,
                r.challenge_type,
                r.names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
    }

    /// One result per request, as a list (or, when `list` is false, the one result as an
    /// object); `labels` name the requests in error messages. The exit code is the worst.
    pub fn request_results(
        &self,
        labels: &[String],
        mut results: Vec<Result<RequestInfo>>,
        list: bool,
    ) -> ExitCode {
        if !list && results.len() == 1 {
            return match results.remove(0) {
                Ok(info) => {
                    self.request(&info);
                    ExitCode::SUCCESS
                }
                Err(e) => self.error(&e),
            };
        }
        let mut worst = 0;
        if self.json {
            let values: Vec<_> = results
                .iter()
                .map(|r| match r {
                    Ok(info) => serde_json::to_value(info).unwrap_or_default(),
                    Err(e) => Self::error_json(e),
                })
                .collect();
            self.print_json(&values);
        }
        for (label, result) in labels.iter().zip(&results) {
            match result {
                Ok(info) if !self.json => self.request(info),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("error: request {label}: {e}");
                    worst = worst.max(exit_code(e.kind()));
                }
            }
        }
        ExitCode::from(worst)
    }

    pub fn cert(&self, c: &CertSummary, what: &str) {
        if self.json {
            return self.print_json(c);
        }
        if !what.is_empty() {
            println!("certificate {} {what}", c.id);
        }
        println!(
            "id:          {}\nnames:       {}\nissuer:      {}\nserial:      {}\nvalid:       {} to {}\ndays left:   {}\nkey:         {}\nstatus:      {:?}\nsha-256:     {}\nversions:    {}",
            c.id,
            c.info.names.join(", "),
            c.info.issuer,
            c.info.serial,
            when(c.info.not_before),
            when(c.info.not_after),
            c.days_left,
            c.info.key_type,
            c.status,
            c.info.sha256_fingerprint,
            c.versions
        );
    }

    pub fn certs(&self, all: &[CertSummary]) {
        if self.json {
            return self.print_json(&all);
        }
        for c in all {
            println!(
                "{}\t{:?}\t{} days\t{}\t{}",
                c.id,
                c.status,
                c.days_left,
                c.info.serial,
                c.info.names.join(",")
            );
        }
    }

    pub fn history(&self, versions: &[CertVersion]) {
        if self.json {
            return self.print_json(&versions);
        }
        for (i, v) in versions.iter().enumerate() {
            println!(
                "{}\t{}\t{} to {}\t{}\t{}{}",
                i + 1,
                v.info.serial,
                when(v.info.not_before),
                when(v.info.not_after),
                v.info.key_type,
                v.issued_by
                    .as_ref()
                    .map_or("(the request's account)", |by| by.directory_url.as_str()),
                if v.revoked.is_some() { "\trevoked" } else { "" }
            );
        }
    }

    pub fn dns_account(&self, a: &DnsAccountInfo) {
        if self.json {
            return self.print_json(a);
        }
        println!(
            "DNS account {} ({}): {}",
            a.name,
            a.provider,
            if a.enabled { "enabled" } else { "disabled" }
        );
        for (k, v) in &a.fields {
            println!("  {k}: {v}");
        }
        for k in &a.secrets_set {
            println!("  {k}: set (in the keychain)");
        }
    }

    pub fn dns_accounts(&self, all: &[DnsAccountInfo]) {
        if self.json {
            return self.print_json(&all);
        }
        for a in all {
            println!(
                "{}\t{}\t{}",
                a.name,
                a.provider,
                if a.enabled { "enabled" } else { "disabled" }
            );
        }
    }

    pub fn dns_providers(&self, all: &[ProviderSpec]) {
        if self.json {
            return self.print_json(&all);
        }
        for p in all {
            println!("{} ({}): {}", p.id, p.label, p.privilege);
            for f in p.fields() {
                println!(
                    "  {}{}{}: {}",
                    f.name,
                    if f.required { "" } else { " (optional)" },
                    if f.secret { " [secret]" } else { "" },
                    f.help
                );
            }
        }
    }
}

fn print_progress(p: &Progress) {
    let done = matches!(p.stage, Stage::Issued | Stage::Failed);
    let dots = if done { "" } else { "…" };
    eprintln!("{}: {}{dots}", p.request, p.stage.label());
}
