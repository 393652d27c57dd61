//! Printing results: readable text on a terminal, JSON with `--json`. Errors go to stderr with
//! what to do, and (with `--json`) as an object on stdout too; the exit code tells the kind.
//!
//! Every line goes out through [`say!`] / [`tell!`] (or `Out::print_json`'s JSON form), which escape
//! control characters ([`escape`]): what a CA, a DNS provider or an SMTP server wrote reaches the
//! terminal as text, never as commands to it.

/// A line on stdout, its control characters escaped.
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::line(false, &format!($($arg)*)) };
}

/// A line on stderr, its control characters escaped.
macro_rules! tell {
    ($($arg:tt)*) => { $crate::output::line(true, &format!($($arg)*)) };
}

use std::io::IsTerminal;
use std::process::ExitCode;

use certdesk_engine::account::{AccountInfo, CaTerms};
use certdesk_engine::acme::{CaProfile, Challenge};
use certdesk_engine::dns::ProviderSpec;
use certdesk_engine::progress::{Progress, Stage};
use certdesk_engine::repository::{CertSummary, CertVersion, Origin};
use certdesk_engine::request::RequestInfo;
use certdesk_engine::store::Damaged;
use certdesk_engine::{escape, Error, ErrorKind, Result};
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::Receiver;

use crate::next_step;

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

/// Writes `text` and a line end to stdout (or stderr), its control characters escaped. A closed
/// stream (a pipe whose reader left) is not worth a panic.
pub(crate) fn line(stderr: bool, text: &str) {
    use std::io::Write;
    let text = escape::controls(text);
    let _ = match stderr {
        true => writeln!(std::io::stderr(), "{text}"),
        false => writeln!(std::io::stdout(), "{text}"),
    };
}

fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Input => 1,
        ErrorKind::Remote => 2,
        ErrorKind::Local => 3,
    }
}

/// `value` as JSON with its next steps in the CLI's words ([`next_step::word_json`]).
fn worded(value: &impl Serialize) -> serde_json::Result<serde_json::Value> {
    let mut json = serde_json::to_value(value)?;
    next_step::word_json(&mut json);
    Ok(json)
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn print_json(&self, value: &impl Serialize) {
        match worded(value).and_then(|v| serde_json::to_string_pretty(&v)) {
            Ok(text) => line(false, &escape::json(&text)),
            Err(e) => tell!("error: cannot print JSON: {e}"),
        }
    }

    pub fn error_json(e: &Error) -> serde_json::Value {
        json!({"error": {"kind": e.kind(), "message": next_step::error_message(e), "problem": e.problem()}})
    }

    pub fn error(&self, e: &Error) -> ExitCode {
        tell!("error: {}", next_step::error_message(e));
        if self.json {
            self.print_json(&Self::error_json(e));
        }
        ExitCode::from(exit_code(e.kind()))
    }

    /// A note on stderr that does not change the result.
    pub fn note(&self, text: &str) {
        tell!("note: {text}");
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

    /// A line said before a result comes, without --json (whose output is the result alone).
    pub fn heading(&self, text: &str) {
        if !self.json {
            say!("{text}");
        }
    }

    /// How far long work is, on a terminal only.
    pub fn step(&self, text: &str) {
        if self.terminal {
            tell!("{text}…");
        }
    }

    /// `value` as JSON, or else `text`.
    pub fn value(&self, value: &impl Serialize, text: &str) {
        if self.json {
            self.print_json(value);
        } else {
            say!("{text}");
        }
    }

    /// One entry of a log that goes on (the daemon's passes): `value` as one JSON line, or else
    /// `text`.
    pub fn log(&self, value: &impl Serialize, text: &str) {
        if !self.json {
            return say!("{text}");
        }
        match worded(value).and_then(|v| serde_json::to_string(&v)) {
            Ok(text) => line(false, &escape::json(&text)),
            Err(e) => tell!("error: cannot print JSON: {e}"),
        }
    }

    /// A listing: with `--json` the list with a `{"id", "damaged"}` entry at its end per record
    /// that does not read; else `line` per item, then a line per damaged record.
    pub fn listing<T: Serialize>(
        &self,
        all: &[T],
        damaged: &[Damaged],
        line: impl Fn(&T) -> String,
    ) {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Entry<'a, T> {
            Item(&'a T),
            Damaged(&'a Damaged),
        }
        if self.json {
            let entries: Vec<Entry<T>> = all
                .iter()
                .map(Entry::Item)
                .chain(damaged.iter().map(Entry::Damaged))
                .collect();
            return self.print_json(&entries);
        }
        for item in all {
            say!("{}", line(item));
        }
        for d in damaged {
            say!("{}\tdamaged: {}", d.id, d.damaged);
        }
        if !damaged.is_empty() {
            self.note(
                "a damaged record is left out of everything certdesk does; restore the data \
                 folder from a backup to get it back",
            );
        }
    }

    pub fn done(&self, text: &str) {
        if self.json {
            self.print_json(&json!({"ok": true, "message": text}));
        } else {
            say!("{text}");
        }
    }

    pub fn account(&self, a: &AccountInfo, what: &str) {
        if self.json {
            return self.print_json(a);
        }
        if !what.is_empty() {
            say!("account {} {what}", a.name);
        }
        say!(
            "name:      {}\ne-mail:    {}\nCA:        {}\naccount:   {}\nstatus:    {:?}\ncreated:   {}",
            a.name,
            a.email,
            a.ca.label(),
            a.url,
            a.status,
            when(a.created)
        );
    }

    pub fn accounts(&self, all: &[AccountInfo], damaged: &[Damaged]) {
        if all.is_empty() && damaged.is_empty() && !self.json {
            say!("no accounts yet: certdesk account register --help");
        }
        self.listing(all, damaged, |a| {
            format!("{}\t{}\t{}\t{:?}", a.name, a.email, a.ca.label(), a.status)
        });
    }

    pub fn terms(&self, t: &CaTerms) {
        if self.json {
            return self.print_json(t);
        }
        say!(
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
                t.profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }

    /// A CA's certificate profiles: one line each, its name and the CA's description.
    pub fn profiles(&self, profiles: &[CaProfile]) {
        if self.json {
            return self.print_json(&profiles);
        }
        if profiles.is_empty() {
            say!("this CA offers no certificate profiles: leave out --profile");
        }
        for p in profiles {
            say!("{}\t{}", p.name, p.description);
        }
    }

    pub fn request(&self, r: &RequestInfo) {
        if self.json {
            return self.print_json(r);
        }
        say!("request {}: {:?}", r.id, r.status);
        say!(
            "names: {}",
            r.names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(fallback) = &r.fallback_account {
            say!(
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
            say!("deploy mapping: {mapping}, deploys {when}");
        }
        if let Some(notice) = &r.names_notice {
            say!("notice: {notice}");
        }
        if let Some(warning) = &r.persist_warning {
            say!("warning: {warning}");
        }
        for c in &r.challenges {
            match &c.challenge {
                Challenge::Http01 { domain, url, key_authorization, .. } => say!(
                    "  {domain} [{}]\n    serve at: {url}\n    content:  {key_authorization}",
                    c.status
                ),
                Challenge::Dns01 { domain, record_name, record_value, .. } => say!(
                    "  {domain} [{}]\n    TXT record: {record_name}\n    value:      {record_value}",
                    c.status
                ),
                Challenge::TlsAlpn01 { domain, key_authorization } => say!(
                    "  {domain} [{}]\n    on port 443, to ALPN acme-tls/1: a self-signed \
                     certificate for {domain} whose acmeIdentifier is the SHA-256 of\n    \
                     key authorization: {key_authorization}",
                    c.status
                ),
            }
        }
        if let Some(p) = &r.problem {
            say!("the CA's problem: {p}");
        }
        if let Some(next) = &r.next_step {
            say!("next: {}", next_step::words(next));
        }
    }

    pub fn requests(&self, all: &[RequestInfo], damaged: &[Damaged]) {
        self.listing(all, damaged, |r| {
            format!(
                "{}\t{:?}\t{}\t{}",
                r.id,
                r.status,
                r.challenge_type,
                r.names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        });
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
                    tell!("error: request {label}: {}", next_step::error_message(e));
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
            say!("certificate {} {what}", c.id);
        }
        say!(
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
        if let Origin::Tracked(t) = &c.origin {
            say!(
                "origin:      tracked: not renewed by certdesk{}\nimported:    {} from {} ({}){}\n\
                 replace:     certdesk request create --from-cert {} --keystore KEYSTORE \
                 --challenge CHALLENGE",
                t.label
                    .as_ref()
                    .map_or(String::new(), |l| format!(" ({l})")),
                when(t.imported),
                t.file,
                t.format,
                if c.private_key {
                    ""
                } else {
                    ", without its private key"
                },
                c.id
            );
        }
    }

    pub fn certs(&self, all: &[CertSummary], damaged: &[Damaged]) {
        self.listing(all, damaged, |c| {
            format!(
                "{}\t{:?}\t{} days\t{}\t{}{}",
                c.id,
                c.status,
                c.days_left,
                c.info.serial,
                c.info.names.join(","),
                match &c.origin {
                    Origin::Issued => String::new(),
                    Origin::Tracked(t) => format!(
                        "\ttracked: not renewed by certdesk{}",
                        t.label
                            .as_ref()
                            .map_or(String::new(), |l| format!(" ({l})"))
                    ),
                }
            )
        });
    }

    pub fn history(&self, versions: &[CertVersion]) {
        if self.json {
            return self.print_json(&versions);
        }
        for (i, v) in versions.iter().enumerate() {
            say!(
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

    pub fn dns_providers(&self, all: &[ProviderSpec]) {
        if self.json {
            return self.print_json(&all);
        }
        for p in all {
            say!("{} ({}): {}", p.id, p.label, p.privilege);
            for f in p.fields() {
                say!(
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
    tell!("{}: {}{dots}", p.request, p.stage.label());
}
