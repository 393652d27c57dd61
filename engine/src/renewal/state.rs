//! What the scheduler remembers of each saved certificate (`Table::Renewals`, keyed by the
//! certificate's id): the CA's last ARI answer, the attempts and failures with the next attempt,
//! the orders of the last day, and the last reminder. Written before each order is placed, so a
//! renewal cut off by a kill is finished, not repeated, by the next pass.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::acme::ari::{Answer, AriWindow};
use crate::error::Problem;
use crate::error::Result;
use crate::next_step::NextStep;
use crate::store::{Change, Record, Store, Table};

/// Orders one certificate may get in any 24 hours, whatever triggers them: a stale ARI answer or
/// a bug must not turn into a re-issue loop against the CA's rate limits.
pub const MAX_ORDERS_PER_DAY: usize = 3;
/// The first retry after a failure; each further failure doubles it…
pub const FIRST_RETRY: Duration = Duration::minutes(15);
/// …up to this.
pub const MAX_RETRY: Duration = Duration::hours(24);
/// A CA that says `rateLimited` without a time is asked again no sooner than this.
pub const RATE_LIMIT_PAUSE: Duration = Duration::hours(3);
/// Failed attempts in a row after which a request's fallback account takes over. One failure may
/// be a blip (it is retried after 15 minutes); a second says the CA is in trouble. The fallback's
/// order is then the third of the day, which the daily guard still lets through.
pub const FALLBACK_AFTER: u32 = 2;
const _: () = assert!((FALLBACK_AFTER as usize) < MAX_ORDERS_PER_DAY);
/// Reminders for certificates renewed by hand come at most this often.
pub const REMINDER_INTERVAL: Duration = Duration::days(1);
/// ARI answers are asked for again no sooner than this, whatever Retry-After says…
pub const MIN_ARI_RECHECK: Duration = Duration::hours(1);
/// …and no later than this (RFC 9773 §4.3.2 suggests about daily checks).
pub const MAX_ARI_RECHECK: Duration = Duration::days(1);
/// The longest wait a CA can ask for (Retry-After, a rate limit's time) that certdesk honours;
/// a CA that asks for more (a year, or `u64::MAX` seconds) is asked again after this. The week of
/// [`crate::acme::http::LONGEST_CA_WAIT`], in the scheduler's time type.
pub const LONGEST_CA_WAIT: Duration =
    Duration::seconds(crate::acme::http::LONGEST_CA_WAIT.as_secs() as i64);

/// The CA's renewal information as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AriState {
    /// Not asked yet (or the certificate changed).
    Unknown,
    /// The CA has no renewalInfo endpoint (or the certificate has no identifier for it).
    Unsupported,
    Window {
        #[serde(flatten)]
        window: AriWindow,
        #[serde(with = "time::serde::rfc3339")]
        next_check: OffsetDateTime,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RenewalRecord {
    pub id: String,
    /// The serial of the version this state is about: a new version starts afresh (its ARI
    /// window and failures belong to the old one).
    pub serial: String,
    pub ari: AriState,
    /// When the ARI answer should be asked for again, when the last try failed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ari_retry: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_attempt: Option<OffsetDateTime>,
    /// Failed attempts in a row.
    #[serde(default)]
    pub failures: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// What the administrator must do about the last failure, when it said (an
    /// [`crate::Error::Blocked`]); absent in older data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
    /// The next attempt is the CA's time (its Retry-After, or the time in its rate-limit text),
    /// not the backoff's.
    #[serde(default)]
    pub ca_asked: bool,
    /// When each order of the last 24 hours was placed (the daily guard).
    #[serde(default)]
    pub orders: Vec<i64>,
    /// A renewal was started and has not come back: the next pass continues its order.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub in_flight: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub reminded: Option<OffsetDateTime>,
}

impl Record for RenewalRecord {
    const TABLE: Table = Table::Renewals;
    fn key(&self) -> &str {
        &self.id
    }
}

/// The owner of the Renewals table: the scheduler's state per certificate.
pub(crate) struct RenewalStates {
    store: Arc<Store>,
}

impl RenewalStates {
    pub fn new(store: &Arc<Store>) -> Self {
        Self {
            store: Arc::clone(store),
        }
    }

    /// Every certificate's state that reads, by certificate id.
    pub fn all(&self) -> Result<HashMap<String, RenewalRecord>> {
        Ok(self
            .store
            .list::<RenewalRecord>()?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect())
    }

    /// The state of certificate `id`, if it has one; a record that does not read is an error.
    pub fn find(&self, id: &str) -> Result<Option<RenewalRecord>> {
        self.store.get::<RenewalRecord>(id)
    }

    /// `change` with `state` written.
    pub fn put(&self, change: Change, state: &RenewalRecord) -> Change {
        change.put(state)
    }

    /// Writes `state` alone, in one flushed commit.
    pub async fn save(&self, state: &RenewalRecord) -> Result<()> {
        self.store.commit(self.put(Change::new(), state)).await
    }
}

impl RenewalRecord {
    pub fn new(id: &str, serial: &str) -> Self {
        Self {
            id: id.to_owned(),
            serial: serial.to_owned(),
            ari: AriState::Unknown,
            ari_retry: None,
            last_attempt: None,
            failures: 0,
            next_attempt: None,
            last_error: None,
            next_step: None,
            ca_asked: false,
            orders: Vec::new(),
            in_flight: None,
            reminded: None,
        }
    }

    /// The state for version `serial`: this one if it is about that version; else a fresh one
    /// that keeps only the orders of the day (the daily guard spans versions).
    pub fn for_version(stored: Option<Self>, id: &str, serial: &str) -> Self {
        match stored {
            Some(s) if s.serial == serial => s,
            Some(s) => Self {
                orders: s.orders,
                ..Self::new(id, serial)
            },
            None => Self::new(id, serial),
        }
    }

    /// The ARI window to plan with, if the CA gave one.
    pub fn window(&self) -> Option<&AriWindow> {
        match &self.ari {
            AriState::Window { window, .. } => Some(window),
            _ => None,
        }
    }

    /// Whether the ARI answer should be fetched (again) at `now`.
    pub fn ari_due(&self, now: OffsetDateTime) -> bool {
        if self.ari_retry.is_some_and(|t| t > now) {
            return false;
        }
        match &self.ari {
            AriState::Unknown => true,
            AriState::Unsupported => false,
            AriState::Window { next_check, .. } => *next_check <= now,
        }
    }

    /// Records the CA's answer about the renewal window at `now` (`None`: asking failed). A
    /// window is asked for again after the CA's Retry-After, kept between [`MIN_ARI_RECHECK`]
    /// and [`MAX_ARI_RECHECK`]; a failure keeps the last answer and asks again after
    /// [`MIN_ARI_RECHECK`].
    pub fn ari_answered(&mut self, answer: Option<Answer>, now: OffsetDateTime) {
        match answer {
            Some(Answer::Window(window, retry_after)) => {
                let wait = Duration::try_from(retry_after)
                    .unwrap_or(MAX_ARI_RECHECK)
                    .clamp(MIN_ARI_RECHECK, MAX_ARI_RECHECK);
                self.ari = AriState::Window {
                    window,
                    next_check: now.saturating_add(wait),
                };
                self.ari_retry = None;
            }
            Some(Answer::Unsupported) => {
                self.ari = AriState::Unsupported;
                self.ari_retry = None;
            }
            None => self.ari_retry = Some(now.saturating_add(MIN_ARI_RECHECK)),
        }
    }

    /// Orders placed in the 24 hours before `now`.
    pub fn orders_today(&self, now: OffsetDateTime) -> Vec<i64> {
        let since = now.saturating_sub(Duration::days(1)).unix_timestamp();
        self.orders.iter().copied().filter(|t| *t > since).collect()
    }

    /// When the daily guard lets the next order through (`None`: now).
    pub fn guard_until(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let today = self.orders_today(now);
        if today.len() < MAX_ORDERS_PER_DAY {
            return None;
        }
        let oldest = today.iter().min().copied().unwrap_or(now.unix_timestamp());
        OffsetDateTime::from_unix_timestamp(oldest)
            .ok()
            .map(|t| t.saturating_add(Duration::days(1)))
    }

    /// What holds the next attempt back, and until when: the later of the retry after failures
    /// and the daily guard.
    pub fn hold(&self, now: OffsetDateTime) -> Option<(OffsetDateTime, Hold)> {
        let retry = self.next_attempt.map(|t| {
            let why = match self.ca_asked {
                true => Hold::CaAsked,
                false => Hold::Backoff,
            };
            (t, why)
        });
        let guard = self.guard_until(now).map(|t| (t, Hold::DailyLimit));
        retry.into_iter().chain(guard).max_by_key(|(t, _)| *t)
    }

    /// Whether this attempt orders with the request's fallback account: from the
    /// [`FALLBACK_AFTER`]th failure in a row on, attempts alternate between the fallback and the
    /// first CA, so that neither CA's outage (nor a fallback set up wrong) stops the renewal.
    pub fn fallback_turn(&self) -> bool {
        self.failures >= FALLBACK_AFTER && (self.failures - FALLBACK_AFTER).is_multiple_of(2)
    }

    /// Records an attempt starting at `now`, before it orders: a kill from here on leaves it
    /// `in_flight`, for the next pass to continue. An attempt that places an order counts
    /// towards the daily guard; one that continues an order does not.
    pub fn attempting(&mut self, now: OffsetDateTime, places_order: bool) {
        self.orders = self.orders_today(now);
        if places_order {
            self.orders.push(now.unix_timestamp());
        }
        self.last_attempt = Some(now);
        self.in_flight = Some(now);
    }

    /// Records a failed attempt and schedules the next one: exponential backoff with jitter,
    /// capped; the CA's time wins when it asks for more (its Retry-After, or for `rateLimited`
    /// the time in its text, else [`RATE_LIMIT_PAUSE`]), up to [`LONGEST_CA_WAIT`]. A longer wait
    /// the CA asked for is cut to that, and the error says so.
    /// `step`: what the administrator must do about it, when the failure says.
    pub fn failed(
        &mut self,
        now: OffsetDateTime,
        error: String,
        problem: Option<&Problem>,
        step: Option<NextStep>,
    ) {
        self.failures = self.failures.saturating_add(1);
        let doubling = 2i32.saturating_pow(self.failures.saturating_sub(1).min(16));
        let base = FIRST_RETRY.saturating_mul(doubling).min(MAX_RETRY);
        let jitter = {
            use rand::Rng;
            let max = base.whole_seconds() / 5;
            Duration::seconds(rand::rng().random_range(0..=max.max(0)))
        };
        let backoff = now.saturating_add(base + jitter);
        let asked = problem.and_then(|p| {
            let header = p.retry_after_secs.map(CaWait::Seconds);
            match p.short_type() {
                "rateLimited" => Some(
                    header
                        .or_else(|| p.detail.as_deref().and_then(retry_after_in).map(CaWait::At))
                        .unwrap_or(CaWait::Seconds(
                            RATE_LIMIT_PAUSE.whole_seconds().unsigned_abs(),
                        )),
                ),
                _ => header,
            }
        });
        let (ca_time, capped) = match asked {
            Some(wait) => {
                let (at, capped) = wait.until(now);
                (Some(at), capped.then(|| wait.cut_note(now, at)))
            }
            None => (None, None),
        };
        self.ca_asked = ca_time.is_some_and(|t| t > backoff);
        self.next_attempt = Some(match ca_time {
            Some(t) => t.max(backoff),
            None => backoff,
        });
        self.last_error = Some(match capped {
            Some(note) => format!("{error}; {note}"),
            None => error,
        });
        self.next_step = step;
        self.in_flight = None;
    }

    /// Records a renewal that went through.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.next_attempt = None;
        self.last_error = None;
        self.next_step = None;
        self.ca_asked = false;
        self.in_flight = None;
    }
}

/// Why a certificate that is due waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum Hold {
    /// Failed attempts in a row: the backoff before the next one.
    Backoff,
    /// The CA asked to wait: its Retry-After, or the time in its `rateLimited` problem.
    CaAsked,
    /// [`MAX_ORDERS_PER_DAY`] orders for it in the last 24 hours.
    DailyLimit,
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Backoff => write!(f, "backing off after failed attempts"),
            Self::CaAsked => write!(f, "the CA asked to wait (rate limit or Retry-After)"),
            Self::DailyLimit => write!(
                f,
                "{MAX_ORDERS_PER_DAY} orders for it in the last 24 hours, the most certdesk \
                 places in a day"
            ),
        }
    }
}

/// A wait the CA asked for, as it asked.
#[derive(Debug, Clone, Copy)]
enum CaWait {
    /// Its Retry-After, in seconds (any number it sent, `u64::MAX` included).
    Seconds(u64),
    /// The time in its rate-limit text.
    At(OffsetDateTime),
}

impl CaWait {
    /// When the next attempt may come, and whether the CA asked for longer than
    /// [`LONGEST_CA_WAIT`] (then it is that long).
    fn until(self, now: OffsetDateTime) -> (OffsetDateTime, bool) {
        let longest = now.saturating_add(LONGEST_CA_WAIT);
        let at = match self {
            Self::Seconds(secs) => {
                let secs = i64::try_from(secs).unwrap_or(i64::MAX);
                now.saturating_add(Duration::seconds(secs))
            }
            Self::At(at) => at,
        };
        match at > longest {
            true => (longest, true),
            false => (at, false),
        }
    }

    /// What the administrator reads when the wait was cut: what the CA asked, what certdesk does.
    fn cut_note(self, now: OffsetDateTime, at: OffsetDateTime) -> String {
        let asked = match self {
            Self::Seconds(secs) => format!("{secs} seconds ({})", in_words(secs)),
            Self::At(t) => format!(
                "until {} ({})",
                super::window::short(t),
                in_words((t - now).whole_seconds().unsigned_abs())
            ),
        };
        format!(
            "the CA asked to wait {asked}; certdesk waits at most a week, until {}",
            super::window::short(at)
        )
    }
}

/// A long wait in the unit that reads best: days or years.
fn in_words(secs: u64) -> String {
    const DAY: u64 = 86_400;
    match secs / DAY {
        days if days >= 2 * 365 => format!("about {} years", days / 365),
        days => format!("about {days} days"),
    }
}

/// The time in a CA's rate-limit text, as Let's Encrypt writes it: "…, retry after
/// 2026-01-02 03:04:05 UTC: see https://…".
fn retry_after_in(detail: &str) -> Option<OffsetDateTime> {
    let rest = &detail[detail.find("retry after ")? + "retry after ".len()..];
    let stamp = rest.get(..19)?.replacen(' ', "T", 1) + "Z";
    OffsetDateTime::parse(&stamp, &time::format_description::well_known::Rfc3339).ok()
}

/// The certificates whose renewal is running in this process: two triggers that meet (the
/// scheduler and "Renew due now") never renew one certificate twice. Other processes are kept
/// out by the store's lock on the data folder.
#[derive(Default)]
pub(crate) struct InFlight(Mutex<HashSet<String>>);

/// Holds a certificate's place in [`InFlight`] until dropped.
pub(crate) struct Claim<'a> {
    set: &'a InFlight,
    id: String,
}

impl InFlight {
    /// The certificate's place, unless a renewal of it is running already.
    pub fn claim(&self, id: &str) -> Option<Claim<'_>> {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(id.to_owned()).then(|| Claim {
            set: self,
            id: id.to_owned(),
        })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time")
    }

    #[test]
    fn a_failure_keeps_its_step_until_the_next_attempt_says_otherwise() {
        let old: RenewalRecord = serde_json::from_value(serde_json::json!({
            "id": "r1", "serial": "01", "ari": {"state": "unknown"}, "last_error": "down",
        }))
        .expect("a state written before steps were kept reads");
        assert_eq!(old.next_step, None);
        let mut s = RenewalRecord::new("r1", "01");
        let lost = NextStep::ReplaceAccount {
            account: "le".into(),
        };
        s.failed(t0(), "forgotten".into(), None, Some(lost.clone()));
        let json = serde_json::to_value(&s).unwrap();
        let back: RenewalRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back.next_step, Some(lost));
        s.failed(t0(), "down".into(), None, None);
        assert_eq!(
            s.next_step, None,
            "the step of an earlier failure is not kept"
        );
        s.failed(
            t0(),
            "forgotten".into(),
            None,
            Some(NextStep::RegisterAccount),
        );
        s.succeeded();
        assert_eq!(s.next_step, None);
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_a_cap() {
        let mut s = RenewalRecord::new("id", "01");
        let mut last = Duration::ZERO;
        for n in 1..=10 {
            s.failed(t0(), "down".into(), None, None);
            let wait = s.next_attempt.expect("a next attempt") - t0();
            let base = (FIRST_RETRY * 2i32.pow(n - 1)).min(MAX_RETRY);
            assert!(
                wait >= base && wait <= base + base / 5,
                "failure {n}: {wait}"
            );
            assert!(wait >= last || base == MAX_RETRY);
            last = wait;
        }
    }

    #[test]
    fn rate_limits_wait_for_the_cas_time() {
        let mut s = RenewalRecord::new("id", "01");
        let problem = Problem {
            kind: Some("urn:ietf:params:acme:error:rateLimited".into()),
            detail: Some(
                "too many certificates (5) already issued for this exact set of identifiers in \
                 the last 168h0m0s, retry after 2027-01-20 05:06:07 UTC: see https://x"
                    .into(),
            ),
            ..Problem::default()
        };
        s.failed(t0(), "limited".into(), Some(&problem), None);
        let at = s.next_attempt.expect("a next attempt");
        assert_eq!(at.unix_timestamp(), 1_800_421_567);
        let mut s = RenewalRecord::new("id", "01");
        let vague = Problem {
            detail: None,
            ..problem
        };
        s.failed(t0(), "limited".into(), Some(&vague), None);
        assert!(s.next_attempt.expect("a next attempt") >= t0() + RATE_LIMIT_PAUSE);
    }

    #[test]
    fn a_retry_after_header_wins_over_the_backoff_and_says_the_ca_asked() {
        let mut s = RenewalRecord::new("id", "01");
        let problem = Problem {
            kind: Some("urn:ietf:params:acme:error:rateLimited".into()),
            retry_after_secs: Some(7200),
            ..Problem::default()
        };
        s.failed(t0(), "limited".into(), Some(&problem), None);
        assert_eq!(s.next_attempt, Some(t0() + Duration::hours(2)));
        assert_eq!(
            s.hold(t0()),
            Some((t0() + Duration::hours(2), Hold::CaAsked))
        );
        // A short Retry-After on another problem: the backoff is longer and decides.
        let mut s = RenewalRecord::new("id", "01");
        let busy = Problem {
            kind: Some("urn:ietf:params:acme:error:serverInternal".into()),
            retry_after_secs: Some(60),
            ..Problem::default()
        };
        s.failed(t0(), "busy".into(), Some(&busy), None);
        assert_eq!(s.hold(t0()).map(|(_, why)| why), Some(Hold::Backoff));
    }

    /// A problem of `kind` with the CA's Retry-After of `secs`.
    fn asking(kind: &str, secs: u64) -> Problem {
        Problem {
            kind: Some(format!("urn:ietf:params:acme:error:{kind}")),
            retry_after_secs: Some(secs),
            ..Problem::default()
        }
    }

    #[test]
    fn a_huge_retry_after_is_capped_at_a_week_and_said() {
        for secs in [1_000_000_000_000, i64::MAX as u64, u64::MAX] {
            for kind in ["rateLimited", "serverInternal"] {
                let mut s = RenewalRecord::new("id", "01");
                s.failed(t0(), "limited".into(), Some(&asking(kind, secs)), None);
                assert_eq!(
                    s.next_attempt,
                    Some(t0() + LONGEST_CA_WAIT),
                    "{secs} {kind}"
                );
                assert_eq!(s.hold(t0()).map(|(_, why)| why), Some(Hold::CaAsked));
                let error = s.last_error.as_deref().expect("an error");
                assert!(
                    error.starts_with("limited; the CA asked to wait ")
                        && error.contains(&format!("{secs} seconds"))
                        && error.contains("certdesk waits at most a week, until 2027-01-22"),
                    "{error}"
                );
            }
        }
        // A week exactly is honoured as asked, without a note.
        let mut s = RenewalRecord::new("id", "01");
        let week = LONGEST_CA_WAIT.whole_seconds().unsigned_abs();
        s.failed(
            t0(),
            "limited".into(),
            Some(&asking("rateLimited", week)),
            None,
        );
        assert_eq!(s.next_attempt, Some(t0() + LONGEST_CA_WAIT));
        assert_eq!(s.last_error.as_deref(), Some("limited"));
    }

    #[test]
    fn a_rate_limit_time_far_ahead_is_capped_and_one_in_the_past_is_the_backoff() {
        let mut s = RenewalRecord::new("id", "01");
        let far = Problem {
            kind: Some("urn:ietf:params:acme:error:rateLimited".into()),
            detail: Some("too many, retry after 9999-12-31 23:59:59 UTC: see https://x".into()),
            ..Problem::default()
        };
        s.failed(t0(), "limited".into(), Some(&far), None);
        assert_eq!(s.next_attempt, Some(t0() + LONGEST_CA_WAIT));
        let error = s.last_error.as_deref().expect("an error");
        assert!(
            error.contains("until 9999-12-31 23:59 UTC (about 7978 years)"),
            "{error}"
        );
        let mut s = RenewalRecord::new("id", "01");
        let ancient = Problem {
            detail: Some("too many, retry after 0001-01-01 00:00:00 UTC: see https://x".into()),
            ..far
        };
        s.failed(t0(), "limited".into(), Some(&ancient), None);
        let wait = s.next_attempt.expect("a next attempt") - t0();
        assert!(wait >= FIRST_RETRY && wait <= FIRST_RETRY * 2, "{wait}");
        assert_eq!(s.hold(t0()).map(|(_, why)| why), Some(Hold::Backoff));
    }

    #[test]
    fn the_edges_of_time_do_not_panic() {
        let edges = [
            time::PrimitiveDateTime::MAX.assume_utc(),
            time::PrimitiveDateTime::MIN.assume_utc(),
        ];
        for now in edges {
            let mut s = RenewalRecord::new("id", "01");
            s.failures = u32::MAX - 1;
            for secs in [0, 1, u64::MAX] {
                s.failed(now, "x".into(), Some(&asking("rateLimited", secs)), None);
            }
            s.orders = vec![i64::MIN, i64::MAX, now.unix_timestamp()];
            let _ = (s.hold(now), s.guard_until(now), s.orders_today(now));
            assert_eq!(s.failures, u32::MAX);
        }
    }

    #[test]
    fn the_fallback_takes_every_other_turn_from_the_second_failure_on() {
        let mut s = RenewalRecord::new("id", "01");
        let turns: Vec<bool> = (0..6)
            .map(|_| {
                let turn = s.fallback_turn();
                s.failed(t0(), "down".into(), None, None);
                turn
            })
            .collect();
        assert_eq!(turns, [false, false, true, false, true, false]);
        s.succeeded();
        assert!(!s.fallback_turn());
    }

    #[test]
    fn the_daily_guard_counts_orders_of_the_last_24_hours() {
        let mut s = RenewalRecord::new("id", "01");
        let now = t0();
        s.orders = vec![
            (now - Duration::hours(30)).unix_timestamp(),
            (now - Duration::hours(20)).unix_timestamp(),
            (now - Duration::hours(2)).unix_timestamp(),
        ];
        assert_eq!(s.guard_until(now), None);
        s.orders.push(now.unix_timestamp());
        assert_eq!(s.guard_until(now), Some(now + Duration::hours(4)));
        assert_eq!(
            s.hold(now),
            Some((now + Duration::hours(4), Hold::DailyLimit))
        );
    }

    fn window() -> AriWindow {
        AriWindow {
            start: t0(),
            end: t0() + Duration::days(2),
            explanation_url: None,
        }
    }

    #[test]
    fn ari_answers_are_asked_again_after_their_retry_after_kept_within_an_hour_and_a_day() {
        let asked = |secs: u64, now: OffsetDateTime| {
            let mut s = RenewalRecord::new("id", "01");
            let retry_after = std::time::Duration::from_secs(secs);
            s.ari_answered(Some(Answer::Window(window(), retry_after)), now);
            assert_eq!(s.window(), Some(&window()));
            match s.ari {
                AriState::Window { next_check, .. } => next_check,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(asked(6 * 3600, t0()), t0() + Duration::hours(6));
        assert_eq!(asked(0, t0()), t0() + MIN_ARI_RECHECK);
        assert_eq!(asked(u64::MAX, t0()), t0() + MAX_ARI_RECHECK);
        let end = time::PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(asked(u64::MAX, end), end);
        let mut s = RenewalRecord::new("id", "01");
        assert!(s.ari_due(t0()));
        s.ari_answered(
            Some(Answer::Window(window(), std::time::Duration::ZERO)),
            t0(),
        );
        assert!(!s.ari_due(t0()) && s.ari_due(t0() + MIN_ARI_RECHECK));
    }

    #[test]
    fn a_failed_ari_question_keeps_the_last_answer_and_a_ca_without_ari_is_not_asked_again() {
        let mut s = RenewalRecord::new("id", "01");
        s.ari_answered(
            Some(Answer::Window(window(), std::time::Duration::ZERO)),
            t0(),
        );
        let later = t0() + MAX_ARI_RECHECK;
        s.ari_answered(None, later);
        assert_eq!(s.window(), Some(&window()));
        assert_eq!(s.ari_retry, Some(later + MIN_ARI_RECHECK));
        assert!(!s.ari_due(later) && s.ari_due(later + MIN_ARI_RECHECK));
        s.ari_answered(Some(Answer::Unsupported), later);
        assert_eq!((s.window(), s.ari_retry), (None, None));
        assert!(!s.ari_due(time::PrimitiveDateTime::MAX.assume_utc()));
        // Asking fails at the end of time: no panic, asked again then.
        let end = time::PrimitiveDateTime::MAX.assume_utc();
        s.ari_answered(None, end);
        assert_eq!(s.ari_retry, Some(end));
    }

    #[test]
    fn an_attempt_is_in_flight_and_only_a_new_order_counts_for_the_guard() {
        let mut s = RenewalRecord::new("id", "01");
        let stale = (t0() - Duration::days(2)).unix_timestamp();
        s.orders = vec![stale];
        s.attempting(t0(), false);
        assert_eq!(s.orders, Vec::<i64>::new(), "the day's orders only");
        assert_eq!((s.last_attempt, s.in_flight), (Some(t0()), Some(t0())));
        for _ in 0..MAX_ORDERS_PER_DAY {
            assert_eq!(s.guard_until(t0()), None);
            s.attempting(t0(), true);
        }
        assert_eq!(s.guard_until(t0()), Some(t0() + Duration::days(1)));
        s.succeeded();
        assert_eq!(s.in_flight, None);
    }

    #[test]
    fn a_certificate_is_claimed_once_at_a_time() {
        let set = InFlight::default();
        let claim = set.claim("a").expect("free");
        assert!(set.claim("a").is_none());
        assert!(set.claim("b").is_some());
        drop(claim);
        assert!(set.claim("a").is_some());
    }
}
