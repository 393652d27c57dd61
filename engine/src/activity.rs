//! The activity log: every action an administrator takes and every renewal attempt, with its
//! outcome, the face that did it and the CA's problem if any (`Table::Activity`).
//!
//! Entries are keyed by their time in nanoseconds since 1970, zero-padded, so the keys' byte
//! order is time order and "since T" is a range read. An entry's time is never before the last
//! one's (a clock set back would otherwise hide entries from a `--since` read), and each entry
//! carries a sequence number one past the last: the log's length is the difference of its last
//! and first sequence numbers, with no count to keep. Each write prunes at most
//! [`PRUNE_BATCH`] of the oldest entries that the retention setting lets go, so a write costs
//! the same with 10 entries as with 100,000, and a log over its bounds shrinks by many entries a
//! write.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::{Error, Problem, Result};
use crate::store::{Change, Damaged, Record, Store, Table};

/// Days an entry is kept by default.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// Entries kept at most by default, whatever their age.
pub const DEFAULT_MAX_ENTRIES: u32 = 100_000;

/// The most entries one write prunes: bounded work per write, many times the one it adds.
const PRUNE_BATCH: usize = 32;

/// Who drove the engine for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Face {
    /// The `certdesk` command (also a `certdesk renew --due` the daemon or the app ran for it).
    Cli,
    /// The desktop app's window (and its tray).
    Window,
    /// `certdesk daemon`.
    Daemon,
    /// The renewal scheduler, in the app or the daemon.
    Scheduler,
}

impl Face {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Window => "window",
            Self::Daemon => "daemon",
            Self::Scheduler => "scheduler",
        }
    }
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ActivityAction")]
pub enum Action {
    RegisterAccount,
    ImportAccount,
    UpdateAccount,
    DeactivateAccount,
    DeleteAccount,
    CreateRequest,
    VerifyRequest,
    NewChallenge,
    SaveCertificate,
    /// A certificate file imported as a tracked certificate.
    ImportCertificate,
    MailCertificate,
    Deploy,
    /// A renewal attempt: `renew ID`, or one certificate of a renewal pass.
    Renew,
    Revoke,
    DeleteCertificate,
    /// A certificate written out for a face (a file, a keystore), not by mail.
    ExportCertificate,
    UpdateSettings,
    /// A test mail to the settings' recipient.
    TestMail,
    /// The daily digest of notices, by mail.
    SendDigest,
    /// An ACME account's key written out for a face.
    ExportAccountKey,
    /// A request's DNS account given or taken away.
    AssignDns,
    /// A request's deploy mapping given or taken away.
    SetDeploy,
    /// A request's fallback account given or taken away.
    SetFallback,
    /// A dns-persist-01 record written through a DNS account.
    WritePersistRecord,
    AddDnsAccount,
    EditDnsAccount,
    DeleteDnsAccount,
    EnableDnsAccount,
    DisableDnsAccount,
    TestDnsAccount,
    /// A deploy mapping (deploy target) added by hand; an agent's is [`Action::PairAgent`].
    AddMapping,
    EditMapping,
    DeleteMapping,
    EnableMapping,
    DisableMapping,
    TestMapping,
    PairAgent,
    RemoveAgent,
    AddNoticeChannel,
    EditNoticeChannel,
    DeleteNoticeChannel,
    EnableNoticeChannel,
    DisableNoticeChannel,
    TestNoticeChannel,
    /// A TLS endpoint to watch ([`crate::endpoints`]).
    AddEndpoint,
    DeleteEndpoint,
    /// A scheduled check of a watched endpoint that found what the check before did not.
    CheckEndpoint,
}

impl Action {
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// What an entry is about; each part only where the action has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[ts(rename = "ActivitySubject")]
pub struct Subject {
    /// The request's id, which is also its saved certificate's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub names: Vec<String>,
    /// Anything else that names the subject: a deploy mapping, a mail's recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Subject {
    pub fn request(id: &str) -> Self {
        Self {
            request: Some(id.to_owned()),
            ..Self::default()
        }
    }

    pub fn account(name: Option<&str>) -> Self {
        Self {
            account: name.map(str::to_owned),
            ..Self::default()
        }
    }

    pub fn target(mut self, target: &str) -> Self {
        self.target = Some(target.to_owned());
        self
    }

    /// `self` with what `more` knows filled in where `self` knows nothing.
    fn or(self, more: Self) -> Self {
        Self {
            request: self.request.or(more.request),
            account: self.account.or(more.account),
            names: if self.names.is_empty() {
                more.names
            } else {
                self.names
            },
            target: self.target.or(more.target),
        }
    }
}

/// What an action's result says of its subject, once it succeeded.
pub(crate) trait About {
    fn about(&self) -> Subject {
        Subject::default()
    }
}

impl About for () {}

impl About for crate::account::AccountInfo {
    fn about(&self) -> Subject {
        Subject::account(Some(&self.name))
    }
}

impl About for crate::request::RequestInfo {
    fn about(&self) -> Subject {
        Subject {
            request: Some(self.id.clone()),
            account: Some(self.account.clone()),
            names: self.names.iter().map(|n| n.as_str().to_owned()).collect(),
            target: None,
        }
    }
}

impl About for crate::repository::CertSummary {
    fn about(&self) -> Subject {
        Subject {
            names: self.info.names.clone(),
            ..Subject::request(&self.id)
        }
    }
}

impl About for crate::mail::MailSent {}

impl About for crate::deploy::Deployed {}

impl About for crate::deploy::Probe {}

/// What a test found: the entry's subject names the configuration already.
impl About for String {}

/// An export: the format it was written in.
/// An account key: the entry's subject names the account already.
impl About for Zeroizing<String> {}

impl About for (crate::keystore::ExportFormat, Zeroizing<Vec<u8>>) {
    fn about(&self) -> Subject {
        Subject::default().target(&self.0.to_string())
    }
}

impl About for crate::persist::PersistRecordInfo {}

impl About for crate::agents::Pairing {
    fn about(&self) -> Subject {
        self.mapping.about()
    }
}

/// A credentialed configuration (DNS account, deploy mapping, notice channel) is named by its
/// name.
impl<C: crate::form::credentialed::Credentialed> About for C {
    fn about(&self) -> Subject {
        Subject::default().target(self.name())
    }
}

/// How the action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "status", rename_all = "snake_case")]
#[ts(optional_fields = nullable)]
#[ts(rename = "ActivityOutcome")]
pub enum Outcome {
    Ok {
        /// What the result was, when "ok" alone does not say it (a renewal that waits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    Failed {
        message: String,
        /// The CA's problem document, whole.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<Problem>,
    },
}

impl Outcome {
    pub fn ok() -> Self {
        Self::Ok { detail: None }
    }

    pub fn of<T>(result: &Result<T>) -> Self {
        match result {
            Ok(_) => Self::ok(),
            Err(e) => Self::failed(e),
        }
    }

    pub fn failed(e: &Error) -> Self {
        Self::Failed {
            message: e.to_string(),
            problem: e.problem().cloned(),
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct ActivityEntry {
    /// The store's key: the time in nanoseconds since 1970, zero-padded.
    pub id: String,
    /// One past the previous entry's.
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub time: OffsetDateTime,
    pub face: Face,
    pub action: Action,
    pub subject: Subject,
    pub outcome: Outcome,
}

impl Record for ActivityEntry {
    const TABLE: Table = Table::Activity;
    fn key(&self) -> &str {
        &self.id
    }
}

/// The key of time `t`: its nanoseconds since 1970, 20 digits (`u64::MAX` has 20), clamped to
/// the range a key can hold.
fn key_at(t: OffsetDateTime) -> String {
    let nanos = u64::try_from(t.unix_timestamp_nanos().max(0)).unwrap_or(u64::MAX);
    format!("{nanos:020}")
}

/// How long the log keeps its entries: the settings' `activity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ActivityRetention")]
pub struct Retention {
    /// Entries older than this many days are pruned (0: kept whatever their age).
    pub retention_days: u32,
    /// At most this many entries are kept, the oldest pruned first (at least 1).
    pub max_entries: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

impl Retention {
    /// The oldest time an entry written at `now` lets stay, if age prunes at all.
    fn cutoff(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        (self.retention_days > 0)
            .then(|| now.saturating_sub(Duration::days(i64::from(self.retention_days))))
    }

    pub(crate) fn validate(self) -> Result<Self> {
        if self.max_entries == 0 {
            return Err(Error::input(
                "activity.max_entries is 0: the log keeps at least one entry",
            ));
        }
        Ok(self)
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
#[ts(rename = "ActivityFilter")]
pub struct Filter {
    /// Entries at or after this time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub since: Option<OffsetDateTime>,
    /// Entries about this request or certificate.
    #[serde(default)]
    pub cert: Option<String>,
    /// Entries that contain this text anywhere (any case): the window's search.
    #[serde(default)]
    pub text: Option<String>,
}

/// The entries a read found, oldest first, and those that did not read.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ActivityLog {
    pub entries: Vec<ActivityEntry>,
    pub damaged: Vec<Damaged>,
}

impl Filter {
    fn keeps(&self, entry: &ActivityEntry) -> bool {
        let cert = self
            .cert
            .as_deref()
            .is_none_or(|id| entry.subject.request.as_deref() == Some(id));
        let text = self.text.as_deref().map(str::trim).unwrap_or_default();
        cert && (text.is_empty() || csv_row(entry).to_lowercase().contains(&text.to_lowercase()))
    }
}

/// An entry as its writer gives it; the log adds the time and the sequence number.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub face: Face,
    pub action: Action,
    pub subject: Subject,
    pub outcome: Outcome,
}

/// An action's result and the store writes that make it, staged for [`crate::Engine::commit_noted`]
/// to commit together with the action's entry.
pub(crate) struct Staged<T> {
    /// Written only with the entry; empty where the action failed before writing anything.
    pub change: Change,
    pub result: Result<T>,
}

/// A prepared change and its value, or the error that stopped it before anything was written.
impl<T> From<Result<(Change, T)>> for Staged<T> {
    fn from(prepared: Result<(Change, T)>) -> Self {
        match prepared {
            Ok((change, value)) => Self {
                change,
                result: Ok(value),
            },
            Err(e) => Self {
                change: Change::new(),
                result: Err(e),
            },
        }
    }
}

/// The owner of the Activity table.
pub(crate) struct Activity {
    store: Arc<Store>,
    /// One write at a time in this process (the only one that holds the store): the last
    /// entry read and the next one written stay in order.
    writer: tokio::sync::Mutex<()>,
}

impl Activity {
    pub fn new(store: &Arc<Store>) -> Self {
        Self {
            store: Arc::clone(store),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Writes `note`'s entry at `now` (or just after the last one, if the clock went back) with
    /// the writes of `with` (the action's own, if any) and prunes what `retention` lets go, all in
    /// one flushed commit: an action that is one transaction is never without its entry.
    pub async fn append(
        &self,
        with: Change,
        now: OffsetDateTime,
        retention: Retention,
        note: Note,
    ) -> Result<ActivityEntry> {
        let _alone = self.writer.lock().await;
        let last = self.store.last::<ActivityEntry>()?;
        let (time, seq) = match &last {
            Some(last) => (
                now.max(last.time + Duration::nanoseconds(1)),
                last.seq.saturating_add(1),
            ),
            None => (now, 0),
        };
        let entry = ActivityEntry {
            id: key_at(time),
            seq,
            time,
            face: note.face,
            action: note.action,
            subject: note.subject,
            outcome: note.outcome,
        };
        let mut change = with.put(&entry);
        for key in self.prunable(&entry, retention)? {
            change = change.delete::<ActivityEntry>(&key);
        }
        self.store.commit(change).await?;
        Ok(entry)
    }

    /// The keys of the oldest entries (at most [`PRUNE_BATCH`]) that `retention` lets go once
    /// `newest` is written: older than its days, or beyond its count.
    fn prunable(&self, newest: &ActivityEntry, retention: Retention) -> Result<Vec<String>> {
        let cutoff = retention.cutoff(newest.time);
        let first_kept_seq = newest
            .seq
            .saturating_sub(u64::from(retention.max_entries.max(1)) - 1);
        let oldest = self.store.scan_from::<ActivityEntry>("", PRUNE_BATCH)?;
        let expired = |e: &ActivityEntry| {
            e.seq < first_kept_seq || cutoff.is_some_and(|cutoff| e.time < cutoff)
        };
        // Entries are in time order: the first one kept ends the batch. A damaged entry is
        // pruned with the entries around it, or kept while they are.
        let mut keys = Vec::new();
        let mut damaged = oldest.damaged.into_iter().map(|d| d.id).peekable();
        for entry in oldest.records.iter().take_while(|e| expired(e)) {
            while damaged.peek().is_some_and(|id| *id < entry.id) {
                keys.extend(damaged.next());
            }
            keys.push(entry.id.clone());
        }
        Ok(keys)
    }

    /// The entries `filter` keeps, oldest first.
    pub fn read(&self, filter: &Filter) -> Result<ActivityLog> {
        let from = filter.since.map(key_at).unwrap_or_default();
        let scan = self.store.scan_from::<ActivityEntry>(&from, usize::MAX)?;
        Ok(ActivityLog {
            entries: scan
                .records
                .into_iter()
                .filter(|e| filter.keeps(e))
                .collect(),
            damaged: scan.damaged,
        })
    }
}

/// The CSV export's columns.
pub const CSV_HEADER: [&str; 10] = [
    "time", "face", "action", "request", "account", "names", "target", "outcome", "message",
    "problem",
];

/// `entries` as CSV ([`crate::csv`]): a header row, then a row per entry, so commas, quotes and
/// line breaks in a CA's message stay in their field (the CLI prints what a CA wrote with its
/// control characters escaped, a carriage return too). The problem is its JSON document.
pub fn to_csv(entries: &[ActivityEntry]) -> String {
    crate::csv::table(&CSV_HEADER, entries, csv_fields)
}

fn csv_row(entry: &ActivityEntry) -> String {
    crate::csv::row(csv_fields(entry))
}

fn csv_fields(entry: &ActivityEntry) -> Vec<String> {
    let (outcome, message, problem) = match &entry.outcome {
        Outcome::Ok { detail } => ("ok", detail.clone().unwrap_or_default(), String::new()),
        Outcome::Failed { message, problem } => (
            "failed",
            message.clone(),
            problem
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok())
                .unwrap_or_default(),
        ),
    };
    let subject = &entry.subject;
    vec![
        entry.time.format(&Rfc3339).unwrap_or_default(),
        entry.face.name().to_owned(),
        entry.action.name(),
        subject.request.clone().unwrap_or_default(),
        subject.account.clone().unwrap_or_default(),
        subject.names.join(" "),
        subject.target.clone().unwrap_or_default(),
        outcome.to_owned(),
        message,
        problem,
    ]
}

/// A `--since` as the administrator gives it: RFC 3339, a date (its midnight UTC), or an age
/// before `now` such as `30m`, `24h`, `7d`, `2w`. Far-off times are clamped to what the log's
/// keys hold.
pub fn parse_since(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    if let Ok(d) = time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE) {
        return Ok(d.midnight().assume_utc());
    }
    let unit = text.chars().last().unwrap_or_default();
    let amount = text[..text.len() - unit.len_utf8().min(text.len())].parse::<u32>();
    let unit = match unit {
        'm' => Some(Duration::minutes(1)),
        'h' => Some(Duration::hours(1)),
        'd' => Some(Duration::days(1)),
        'w' => Some(Duration::weeks(1)),
        _ => None,
    };
    match (amount, unit) {
        (Ok(n), Some(unit)) => {
            let n = i32::try_from(n).unwrap_or(i32::MAX);
            Ok(now.saturating_sub(unit.saturating_mul(n)))
        }
        _ => Err(Error::input(format!(
            "--since {text:?} is neither an RFC 3339 time (2027-01-31T00:00:00Z), a date \
             (2027-01-31) nor an age such as 30m, 24h, 7d or 2w"
        ))),
    }
}

impl crate::Engine {
    /// The activity log's entries that `filter` keeps, oldest first.
    pub fn activity_log(&self, filter: &Filter) -> Result<ActivityLog> {
        self.activity.read(filter)
    }

    /// Records what `result` says of `action` on `subject`, done by `face`, and returns the
    /// result, for an action whose writes were committed on their own (or that writes nothing).
    /// A result that succeeds fills in what `subject` leaves out. A log entry that cannot be
    /// written fails a successful action with that error (the action itself stands); a failed
    /// action's own error wins.
    pub(crate) async fn noted_by<T: About>(
        &self,
        face: Face,
        action: Action,
        subject: Subject,
        result: Result<T>,
    ) -> Result<T> {
        let (subject, outcome) = judged(subject, &result);
        let written = self.note(face, action, subject, outcome).await;
        match (result, written) {
            (Ok(_), Err(e)) => Err(Error::Store(format!(
                "{} was done, but its activity entry was not written: {e}",
                action.name().replace('_', " ")
            ))),
            (result, _) => result,
        }
    }

    /// [`Engine::noted_by`] by the face that opened the engine.
    pub(crate) async fn noted<T: About>(
        &self,
        action: Action,
        subject: Subject,
        result: Result<T>,
    ) -> Result<T> {
        self.noted_by(self.face, action, subject, result).await
    }

    /// Commits an action that is one store transaction together with its entry, by the face
    /// that opened the engine: the staged writes and the entry are flushed at once, so the log
    /// cannot miss a change nor record one that did not happen. When that commit fails nothing
    /// was written, and the failure is logged alone, as is a failure that staged no writes.
    pub(crate) async fn commit_noted<T: About>(
        &self,
        action: Action,
        subject: Subject,
        staged: Staged<T>,
    ) -> Result<T> {
        let Staged { change, result } = staged;
        let (judged_subject, outcome) = judged(subject.clone(), &result);
        let note = Note {
            face: self.face,
            action,
            subject: judged_subject,
            outcome,
        };
        let committed = match self.settings() {
            Ok(settings) => {
                self.activity
                    .append(change, OffsetDateTime::now_utc(), settings.activity, note)
                    .await
            }
            Err(e) => Err(e),
        };
        match committed {
            Ok(_) => result,
            Err(e) => self.noted(action, subject, result.and(Err(e))).await,
        }
    }

    /// Writes one entry now, alone, pruned as the settings say.
    pub(crate) async fn note(
        &self,
        face: Face,
        action: Action,
        subject: Subject,
        outcome: Outcome,
    ) -> Result<ActivityEntry> {
        let retention = self.settings()?.activity;
        let note = Note {
            face,
            action,
            subject,
            outcome,
        };
        self.activity
            .append(Change::new(), OffsetDateTime::now_utc(), retention, note)
            .await
    }
}

/// The subject and outcome `result` gives an entry: a success fills in what `subject` leaves out.
fn judged<T: About>(subject: Subject, result: &Result<T>) -> (Subject, Outcome) {
    match result {
        Ok(value) => (subject.or(value.about()), Outcome::ok()),
        Err(e) => (subject, Outcome::failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds).expect("a time")
    }

    async fn write(
        activity: &Activity,
        now: OffsetDateTime,
        retention: Retention,
    ) -> ActivityEntry {
        let note = Note {
            face: Face::Cli,
            action: Action::Renew,
            subject: Subject::request("c0ffee"),
            outcome: Outcome::ok(),
        };
        activity
            .append(Change::new(), now, retention, note)
            .await
            .expect("written")
    }

    fn all(activity: &Activity) -> Vec<ActivityEntry> {
        activity.read(&Filter::default()).expect("reads").entries
    }

    #[tokio::test]
    async fn a_write_prunes_beyond_the_count_in_bounded_batches() {
        let activity = Activity::new(&Arc::new(Store::memory()));
        let keep_all = Retention {
            retention_days: 0,
            max_entries: u32::MAX,
        };
        for i in 0..100 {
            write(&activity, at(i), keep_all).await;
        }
        let ten = Retention {
            retention_days: 0,
            max_entries: 10,
        };
        write(&activity, at(100), ten).await;
        assert_eq!(all(&activity).len(), 101 - PRUNE_BATCH, "one batch a write");
        for i in 101..105 {
            write(&activity, at(i), ten).await;
        }
        let left = all(&activity);
        assert_eq!(left.len(), 10);
        assert_eq!(left[0].seq, 95, "the oldest go first");
        assert_eq!(left[9].seq, 104);
    }

    #[tokio::test]
    async fn a_write_prunes_what_is_older_than_the_days() {
        let activity = Activity::new(&Arc::new(Store::memory()));
        let days = Retention {
            retention_days: 2,
            max_entries: 1000,
        };
        let day = 86_400;
        for i in 0..5 {
            write(&activity, at(i * day), days).await;
        }
        let left: Vec<OffsetDateTime> = all(&activity).iter().map(|e| e.time).collect();
        assert_eq!(left, [at(2 * day), at(3 * day), at(4 * day)]);
    }

    #[tokio::test]
    async fn a_clock_set_back_keeps_the_log_in_order_and_since_reads_a_range() {
        let activity = Activity::new(&Arc::new(Store::memory()));
        let retention = Retention::default();
        write(&activity, at(10), retention).await;
        let back = write(&activity, at(5), retention).await;
        assert!(back.time > at(10), "clamped after the last entry");
        write(&activity, at(20), retention).await;
        let since = Filter {
            since: Some(at(15)),
            ..Filter::default()
        };
        let read = activity.read(&since).expect("reads").entries;
        assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), [2]);
        let far = Filter {
            since: Some(OffsetDateTime::UNIX_EPOCH - Duration::days(1)),
            ..Filter::default()
        };
        assert_eq!(activity.read(&far).expect("reads").entries.len(), 3);
    }

    #[tokio::test]
    async fn an_action_is_written_in_its_entrys_commit_and_a_refusal_alone() {
        let engine = crate::Engine::in_memory().await;
        crate::testing::add_account(&engine, "le").await;
        let id = crate::testing::recorded(&engine, &["www.example.com"])
            .await
            .id;
        let before = all(&engine.activity).len();
        // The request's change is staged, not committed: only the entry's commit writes it.
        let mut record = engine.request_record(&id).expect("the request");
        record.info.auto_deploy = true;
        let change = engine.requests.put(Change::new(), &record);
        let staged = Staged {
            change,
            result: Ok(record.info.clone()),
        };
        let info = engine
            .commit_noted(Action::SetDeploy, Subject::request(&id), staged)
            .await
            .expect("committed");
        assert!(info.auto_deploy);
        assert!(engine.request_record(&id).expect("read").info.auto_deploy);
        let entries = all(&engine.activity);
        assert_eq!(entries.len(), before + 1);
        let entry = &entries[before];
        assert_eq!((entry.action, entry.face), (Action::SetDeploy, Face::Cli));
        assert_eq!(
            entry.subject.names,
            ["www.example.com"],
            "filled in from the result"
        );

        let refused: Staged<crate::request::RequestInfo> =
            Staged::from(Err(Error::input("no such mapping")));
        engine
            .commit_noted(Action::SetDeploy, Subject::request(&id), refused)
            .await
            .expect_err("the refusal comes back");
        let entries = all(&engine.activity);
        assert_eq!(entries.len(), before + 2, "the refusal is logged alone");
        assert!(matches!(
            &entries[before + 1].outcome,
            Outcome::Failed { message, .. } if message == "no such mapping"
        ));
    }

    #[tokio::test]
    async fn a_failed_action_keeps_its_own_error_over_the_logs() {
        let engine = crate::Engine::in_memory().await;
        let failed: Result<()> = Err(Error::input("refused"));
        let e = engine
            .noted(Action::Deploy, Subject::default(), failed)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "refused");
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        let entry = ActivityEntry {
            id: key_at(at(0)),
            seq: 0,
            time: at(0),
            face: Face::Scheduler,
            action: Action::Renew,
            subject: Subject {
                names: vec!["a.example".into(), "b.example".into()],
                ..Subject::request("c0ffee")
            },
            outcome: Outcome::Failed {
                message: "refused, \"no\"\nsecond line".into(),
                problem: Some(Problem {
                    kind: Some("urn:ietf:params:acme:error:rejectedIdentifier".into()),
                    detail: Some("a, \"b\"".into()),
                    status: Some(400),
                    subproblems: Vec::new(),
                    retry_after_secs: None,
                    instance: None,
                }),
            },
        };
        let csv = to_csv(&[entry]);
        let (header, row) = csv.split_once('\n').expect("a header line");
        assert_eq!(
            header,
            "\"time\",\"face\",\"action\",\"request\",\"account\",\"names\",\"target\",\
             \"outcome\",\"message\",\"problem\""
        );
        assert!(row.starts_with("\"2027-01-15T08:00:00Z\","), "{row}");
        assert!(row.ends_with("}\"\n"), "one row, ended once: {row:?}");
        assert!(
            row.contains(
                "\"scheduler\",\"renew\",\"c0ffee\",\"\",\"a.example b.example\",\"\",\"failed\",\
                 \"refused, \"\"no\"\"\nsecond line\""
            ),
            "{csv}"
        );
        assert!(row.contains(r#"""detail"":""a, \""b\"""""#), "{csv}");
    }

    #[test]
    fn since_takes_times_dates_and_ages() {
        let now = at(0);
        assert_eq!(parse_since("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(
            parse_since(" 24h ", now).unwrap(),
            now - Duration::hours(24)
        );
        assert_eq!(
            parse_since("30m", now).unwrap(),
            now - Duration::minutes(30)
        );
        let midnight = OffsetDateTime::parse("2027-01-31T00:00:00Z", &Rfc3339).unwrap();
        assert_eq!(parse_since("2027-01-31T00:00:00Z", now).unwrap(), midnight);
        assert_eq!(parse_since("2027-01-31", now).unwrap(), midnight);
        for bad in ["", "d", "7y", "-3d", "soon", "7é"] {
            assert!(parse_since(bad, now).is_err(), "{bad:?}");
        }
        assert!(
            parse_since("99999999w", now).is_ok(),
            "clamped, not an overflow"
        );
    }
}
