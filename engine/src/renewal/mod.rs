//! Renewal of saved certificates on their own: when each one is due ([`window`]), what the CA's
//! renewal information said ([`crate::acme::ari`] asks), what the scheduler remembers between
//! passes ([`state`]) and the task that runs the passes ([`scheduler`]). One pass is
//! [`Engine::renew_due_once`]; the app's scheduler, the tray's "Renew due now" and `certdesk renew
//! --due` all run it, so there is one meaning of "due".

mod decide;
mod fallback;
pub mod scheduler;
pub(crate) mod state;
pub mod window;

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::acme::ari;
use crate::activity::{self, Face, Outcome, Subject};
use crate::endpoints::EndpointNews;
use crate::error::{Error, Result};
use crate::issuance::Caller;
use crate::mail::Notice;
use crate::names::ChallengeType;
use crate::next_step::NextStep;
use crate::repository::{CertRecord, CertStatus, CertSummary};
use crate::request::{RequestInfo, RequestStatus, RequestView};
use crate::responders::Responders;
use crate::store::{Change, Damaged};
use crate::Engine;

use decide::{
    decide, order_again_without_replaces, Attempt, Order, Step, ORDERED_AGAIN_WITHOUT_REPLACES,
};
use state::RenewalRecord;
pub use state::{Hold, FALLBACK_AFTER};
pub use window::{Plan, Reason, Validity};

/// Renewals of one pass that run at once: enough to renew a large repository in minutes, few
/// enough not to look like an attack to the CA.
pub const CONCURRENT_RENEWALS: usize = 8;
/// ARI questions of one pass that run at once.
const CONCURRENT_ARI: usize = 16;
/// The longest one certificate's renewal may take in a pass: many times what ordering,
/// validating (DNS propagation waits included, 5 minutes by default) and deploying take, short
/// enough that a stuck peer cannot hold the renewals behind it for long.
pub const RENEWAL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The engine's renewal bookkeeping that lives only as long as the process.
#[derive(Default)]
pub(crate) struct Renewals {
    in_flight: state::InFlight,
    runs: Mutex<Runs>,
}

#[derive(Default, Clone)]
struct Runs {
    last: Option<OffsetDateTime>,
    next: Option<OffsetDateTime>,
    /// The damaged records the last pass skipped.
    skipped: Vec<Damaged>,
}

/// What happened to one certificate in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum Action {
    /// A new version is saved.
    Renewed,
    /// The order is placed; its challenges wait to be published by hand.
    Waiting,
    /// The attempt failed; the next one is scheduled.
    Failed,
    /// Its challenges are published by hand: the administrator is reminded instead.
    Reminder,
}

/// The outcome of one certificate in a pass of [`Engine::renew_due_once`].
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct RenewalOutcome {
    pub id: String,
    pub names: Vec<String>,
    pub action: Action,
    /// Why it was due.
    pub reason: Reason,
    /// The request after the renewal: `renewed` when it went through, `pending` when its
    /// challenges wait to be published by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestInfo>,
    /// Why the renewal failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the administrator must do before the renewal can go through, when the failure
    /// says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
    /// When a failed renewal is tried again.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(as = "Option<String>")]
    pub next_attempt: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub not_after: OffsetDateTime,
    /// What the renewal did besides its plan, in words: an order the CA refused as
    /// `alreadyReplaced` placed again without `replaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One saved certificate as the scheduler sees it. It crosses the control socket
/// ([`crate::control`]) for a dry run; the fields the pass itself needs do not.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct Planned {
    pub id: String,
    pub names: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub not_after: OffsetDateTime,
    /// When it renews and why; none when it never renews on its own.
    pub plan: Option<Plan>,
    /// Renewed without the administrator (built-in responder, deploy mapping or DNS account);
    /// otherwise the administrator is reminded.
    pub automated: bool,
    /// Failed attempts in a row.
    pub failures: u32,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(as = "Option<String>")]
    pub last_attempt: Option<OffsetDateTime>,
    /// No attempt before this (backoff after failures, the CA's rate limit, the daily guard).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(as = "Option<String>")]
    pub next_attempt: Option<OffsetDateTime>,
    /// Why there is no attempt before `next_attempt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<Hold>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// What the administrator must do about the last failure, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
    #[serde(skip)]
    serial: String,
    #[serde(skip, default = "unknown_challenge")]
    challenge: ChallengeType,
}

/// The challenge of a plan read from the control socket, which leaves it out: such a plan is
/// shown, never acted on.
fn unknown_challenge() -> ChallengeType {
    ChallengeType::Http01
}

impl Planned {
    /// When the scheduler acts on it next: its planned time, pushed back by a pending retry.
    pub fn next_action(&self) -> Option<OffsetDateTime> {
        let at = self.plan.as_ref()?.at;
        Some(match self.next_attempt {
            Some(next) => at.max(next),
            None => at,
        })
    }

    /// Due at `now` (its time has come and no retry or guard holds it back).
    pub fn due(&self, now: OffsetDateTime) -> bool {
        self.next_action().is_some_and(|t| t <= now)
    }

    /// Its time has come at `now` but a retry or guard holds it back.
    fn held(&self, now: OffsetDateTime) -> bool {
        self.plan.as_ref().is_some_and(|p| p.at <= now) && !self.due(now)
    }
}

/// One pass: what it did, and when the next one has work.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct PassReport {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub outcomes: Vec<RenewalOutcome>,
    /// The soonest time a certificate is due after this pass.
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub next_due: Option<OffsetDateTime>,
    /// Certificates whose time has come that wait (`held_by` says why, `next_attempt` until
    /// when): a backoff, the CA's rate limit, or the daily guard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub held: Vec<Planned>,
    /// Notices that could not be sent, by e-mail or through a notice channel (the renewals
    /// stand).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub mail_errors: Vec<String>,
    /// Certificates and requests whose records do not read: left out of the pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub skipped: Vec<Damaged>,
    /// Watched endpoints whose check in this pass found what the check before did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<_>")]
    pub endpoints: Vec<EndpointNews>,
    /// Why the endpoints due for a check could not be checked, if they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_error: Option<String>,
}

impl RenewalOutcome {
    /// What happened to `planned`, due for `reason`, before the details of a renewal.
    fn new(planned: &Planned, action: Action, reason: &Reason) -> Self {
        Self {
            id: planned.id.clone(),
            names: planned.names.clone(),
            action,
            reason: reason.clone(),
            request: None,
            error: None,
            next_step: None,
            next_attempt: None,
            not_after: planned.not_after,
            note: None,
        }
    }
}

impl PassReport {
    pub fn failed(&self) -> impl Iterator<Item = &RenewalOutcome> {
        self.outcomes.iter().filter(|o| o.action == Action::Failed)
    }
}

/// The scheduler's health for the app: its runs and every certificate whose renewal is failing.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct Health {
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub last_run: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(as = "Option<String>")]
    pub next_run: Option<OffsetDateTime>,
    pub failing: Vec<Planned>,
    /// The damaged records the last pass skipped (the scheduler's or "Renew due now").
    pub skipped: Vec<Damaged>,
}

impl Engine {
    /// Every saved certificate with its renewal plan at `now`, soonest first. Reads the store
    /// only (the CA's last ARI answers included): this is the check the scheduler makes on each
    /// wake-up.
    pub fn renewal_plans(&self, now: OffsetDateTime) -> Result<Vec<Planned>> {
        Ok(self.candidates(now)?.0)
    }

    /// The plans of [`Engine::renewal_plans`], and the certificates and requests left out
    /// because their records do not read.
    fn candidates(&self, now: OffsetDateTime) -> Result<(Vec<Planned>, Vec<Damaged>)> {
        let settings = self.settings()?;
        let days_before = settings.renew_days_before;
        let listening = decide::Listening {
            http01: settings.http_listen.is_some(),
            tls_alpn01: settings.tls_alpn_listen.is_some(),
        };
        let mut states = self.renewal_states.all()?;
        let requests = self.requests.views()?;
        let certs = self.repository.scan_views()?;
        let damaged = certs.damaged.into_iter().chain(requests.damaged).collect();
        let requests: HashMap<String, RequestView> = requests
            .records
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let dns01_mappings = self.mappings_answering_dns01()?;
        let mut plans = Vec::new();
        for cert in certs.records {
            let info = &cert.validity();
            // A tracked certificate has no request: it is never renewed here, only reminded of
            // (as a certificate whose challenges are answered by hand is).
            let request = requests.get(&cert.id);
            if request.is_none() && !cert.origin.is_tracked() {
                continue;
            }
            let state = RenewalRecord::for_version(states.remove(&cert.id), &cert.id, &info.serial);
            let plan = window::plan(&cert.id, info, days_before, state.window(), now);
            let hold = state.hold(now);
            let automated =
                request.is_some_and(|r| decide::automated(r, listening, &dns01_mappings));
            plans.push(Planned {
                id: cert.id.clone(),
                names: info.names.clone(),
                not_after: info.not_after,
                plan,
                automated,
                failures: state.failures,
                last_attempt: state.last_attempt,
                next_attempt: hold.map(|(at, _)| at),
                held_by: hold.map(|(_, why)| why),
                last_error: state.last_error,
                next_step: state.next_step,
                serial: info.serial.clone(),
                challenge: request.map_or_else(unknown_challenge, |r| r.challenge_type),
            });
        }
        plans.sort_by_key(|p| (p.next_action().is_none(), p.next_action()));
        Ok((plans, damaged))
    }

    /// What would renew by `by`, and why (`certdesk renew --due --dry-run --at`): the CA's
    /// renewal information is brought up to date at `now`; nothing is ordered.
    pub async fn preview(&self, now: OffsetDateTime, by: OffsetDateTime) -> Result<Vec<Planned>> {
        self.refresh_ari(now).await?;
        Ok(self
            .renewal_plans(by)?
            .into_iter()
            .filter(|p| p.due(by))
            .collect())
    }

    /// One pass of the scheduler at `now`: asks the CA for the renewal windows that are due to
    /// be asked for, renews every automated certificate that is due (at most
    /// [`CONCURRENT_RENEWALS`] at once) and reminds about the others. Each renewal attempt is
    /// logged as the engine's face's.
    pub async fn renew_due_once(&self, now: OffsetDateTime) -> Result<PassReport> {
        self.pass(now, self.face).await
    }

    /// [`Engine::renew_due_once`] with its renewal attempts logged as `face`'s: the scheduler's,
    /// or the CLI's for a pass the control socket runs for `certdesk renew --due`.
    pub(crate) async fn pass(&self, now: OffsetDateTime, face: Face) -> Result<PassReport> {
        self.refresh_ari(now).await?;
        let (plans, mut skipped) = self.candidates(now)?;
        let (due, later): (Vec<_>, Vec<_>) = plans.into_iter().partition(|p| p.due(now));
        // The plans read only what says when a certificate renews; a due one is read whole here,
        // so that a record damaged elsewhere is skipped too instead of failing the pass.
        let mut readable = Vec::with_capacity(due.len());
        for planned in due {
            match self.unreadable(&planned.id) {
                Some(damage) => skipped.push(damage),
                None => readable.push(planned),
            }
        }
        let due = readable;
        let needs = |challenge| due.iter().any(|p| p.automated && p.challenge == challenge);
        let responder = self
            .settings_responders(
                needs(ChallengeType::Http01),
                needs(ChallengeType::TlsAlpn01),
            )
            .await;
        let responder = responder.map_err(|e| e.to_string());
        // Owned items and `async move`: a stream of borrowed ones is not `Send` for every
        // lifetime, which a spawned scheduler task needs.
        let outcomes: Vec<RenewalOutcome> = futures::stream::iter(due)
            .map(|p| {
                let responder = responder.clone();
                async move { self.act_on(&p, now, responder, face).await }
            })
            .buffer_unordered(CONCURRENT_RENEWALS)
            .filter_map(|o| async move { o.transpose() })
            .collect::<Vec<Result<_>>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        let mut next_due = later
            .iter()
            .filter_map(Planned::next_action)
            .chain(outcomes.iter().filter_map(|o| o.next_attempt))
            .min();
        let held = later.into_iter().filter(|p| p.held(now)).collect();
        let (endpoints, endpoint_error) = match self.check_due_endpoints(now, face).await {
            Ok(checked) => {
                next_due = next_due.into_iter().chain(checked.next_check).min();
                (checked.news, None)
            }
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let mail_errors = self.mail_notices(&outcomes, &endpoints, now, face).await;
        let mut runs = self.renewals.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.last = Some(now);
        runs.skipped.clone_from(&skipped);
        Ok(PassReport {
            at: now,
            outcomes,
            next_due,
            held,
            mail_errors,
            skipped,
            endpoints,
            endpoint_error,
        })
    }

    /// What does not read of the records a renewal of `id` reads whole (its certificate and its
    /// scheduler state), if anything.
    fn unreadable(&self, id: &str) -> Option<Damaged> {
        let damage = match self.repository.find(id) {
            Ok(_) => self.renewal_states.find(id).err()?,
            Err(e) => e,
        };
        Some(Damaged {
            id: id.to_owned(),
            damaged: damage.to_string(),
        })
    }

    /// Tells the administrator by e-mail what the pass did (at once, or in the daily digest,
    /// which goes out here when a day has passed), and every enabled notice channel at once. A
    /// mail or a channel that fails does not undo a renewal: its error is reported with the pass.
    async fn mail_notices(
        &self,
        outcomes: &[RenewalOutcome],
        endpoints: &[EndpointNews],
        now: OffsetDateTime,
        face: Face,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        let endpoint_notices = endpoints
            .iter()
            .map(|news| (news.endpoint.clone(), Notice::Endpoint(news.clone())));
        let renewal_notices = outcomes.iter().map(|o| {
            let (id, names) = (o.id.clone(), o.names.clone());
            let notice = match o.action {
                Action::Renewed => Notice::Renewed {
                    id,
                    names,
                    not_after: self.cert(&o.id).map_or(o.not_after, |c| c.info.not_after),
                    through_fallback: o.request.as_ref().and_then(|r| r.order_account.clone()),
                },
                Action::Failed => Notice::Failed {
                    id,
                    names,
                    reason: o.error.clone().unwrap_or_default(),
                    next_attempt: o.next_attempt,
                },
                Action::Reminder | Action::Waiting => Notice::ExpiringSoon {
                    tracked: self.cert(&o.id).is_ok_and(|c| c.origin.is_tracked()),
                    id,
                    names,
                    not_after: o.not_after,
                },
            };
            (o.id.clone(), notice)
        });
        let notices: Vec<(String, Notice)> = endpoint_notices.chain(renewal_notices).collect();
        for (about, notice) in &notices {
            if let Err(e) = self.notify_mail(notice).await {
                errors.push(format!("the e-mail notice about {about} failed: {e}"));
            }
            errors.extend(self.notify_channels(notice).await);
        }
        match self.digest_due(now) {
            Ok(true) => {
                if let Err(e) = self.send_digest_by(face, now).await {
                    errors.push(format!("the daily digest failed: {e}"));
                }
            }
            Ok(false) => {}
            Err(e) => errors.push(format!("the daily digest failed: {e}")),
        }
        errors
    }

    /// Renews (or reminds about) one due certificate, as [`decide`] says, and logs the attempt
    /// as `face`'s. `None`: another trigger is renewing it, or there is nothing to do this pass.
    async fn act_on(
        &self,
        planned: &Planned,
        now: OffsetDateTime,
        responder: std::result::Result<Responders, String>,
        face: Face,
    ) -> Result<Option<RenewalOutcome>> {
        let Some(_claim) = self.renewals.in_flight.claim(&planned.id) else {
            return Ok(None);
        };
        // Read again under the claim: a pass that just finished has changed both.
        let Some(cert) = self.repository.find(&planned.id)? else {
            return Ok(None);
        };
        let mut state = RenewalRecord::for_version(
            self.renewal_states.find(&planned.id)?,
            &planned.id,
            &planned.serial,
        );
        let current = cert.versions.last().map(|v| v.version.info.serial.as_str());
        let reason = match decide(&state, planned, current, now) {
            Step::Skip => return Ok(None),
            Step::Hold { until } => {
                state.next_attempt = Some(until);
                self.renewal_states.save(&state).await?;
                return Ok(None);
            }
            Step::Remind { reason } => {
                state.reminded = Some(now);
                self.renewal_states.save(&state).await?;
                return Ok(Some(RenewalOutcome::new(planned, Action::Reminder, reason)));
            }
            Step::Renew { reason } => reason,
        };
        let request = self.request_record(&planned.id)?.info;
        let issuer = cert.issuing_account(&request.account);
        let order = Order::choose(&state, (&request).into(), issuer);
        state.attempting(now, order.attempt.places_order());
        self.renewal_states.save(&state).await?;

        let mut outcome = RenewalOutcome::new(planned, Action::Failed, reason);
        let (renewed, note) = self.renew_in_time(&cert, order, responder).await;
        outcome.note = note.map(str::to_owned);
        let logged = match &renewed {
            Ok(info) if info.status == RequestStatus::Renewed => Outcome::Ok {
                detail: Some(format!("renewed: {reason}")),
            },
            Ok(_) => Outcome::Ok {
                detail: Some("the new order's challenges wait to be published".into()),
            },
            Err(e) => Outcome::failed(e),
        };
        let subject = Subject {
            names: planned.names.clone(),
            ..Subject::request(&planned.id)
        };
        match renewed {
            Ok(info) if info.status == RequestStatus::Renewed => {
                state.succeeded();
                outcome.action = Action::Renewed;
                outcome.request = Some(info);
            }
            Ok(info) => {
                state.in_flight = None;
                outcome.action = Action::Waiting;
                outcome.request = Some(info);
            }
            Err(e) => {
                state.failed(now, e.to_string(), e.problem(), e.next_step());
                outcome.error = state.last_error.clone();
                outcome.next_step = state.next_step.clone();
                outcome.next_attempt = state.next_attempt;
            }
        }
        self.renewal_states.save(&state).await?;
        self.note(face, activity::Action::Renew, subject, logged)
            .await?;
        Ok(Some(outcome))
    }

    /// Carries out the renewal of `cert` as `order` says. However slowly the CA (or a DNS
    /// provider, or an end server) answers, one certificate cannot hold the pass longer than
    /// [`RENEWAL_DEADLINE`]; the next attempt continues its order.
    async fn renew_in_time(
        &self,
        cert: &CertRecord,
        order: Order<'_>,
        responder: std::result::Result<Responders, String>,
    ) -> (Result<RequestInfo>, Option<&'static str>) {
        // What the renewal did besides its plan, for its outcome (an order placed again).
        let note = std::sync::OnceLock::new();
        let renewal = async {
            let responder = responder.map_err(|e| {
                Error::input(format!("the built-in responder could not start: {e}"))
            })?;
            let fallback = order.fallback.map(str::to_owned);
            match order.attempt {
                Attempt::Continue => {
                    self.verify_for(&cert.id, responder, Caller::Scheduler)
                        .await
                }
                Attempt::Place { replace_current } => {
                    let replaces = match replace_current {
                        true => current_cert_id(cert)?,
                        false => None,
                    };
                    let (renewed, said) = self
                        .place_replacing(&cert.id, responder, replaces, fallback)
                        .await;
                    if let Some(said) = said {
                        let _ = note.set(said);
                    }
                    renewed
                }
            }
        };
        let renewed = tokio::time::timeout(RENEWAL_DEADLINE, renewal)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Network(format!(
                    "timed out: the renewal did not finish within {} minutes, the longest one \
                     certificate's renewal may take",
                    RENEWAL_DEADLINE.as_secs() / 60
                )))
            });
        (renewed, note.get().copied())
    }

    /// Places the renewal order of `id`, replacing the certificate `replaces` names; when the CA
    /// already saw a replacement of it (RFC 9773 §5, `alreadyReplaced`), orders again without,
    /// and says so (the note for the renewal's outcome).
    async fn place_replacing(
        &self,
        id: &str,
        responder: Responders,
        replaces: Option<String>,
        fallback: Option<String>,
    ) -> (Result<RequestInfo>, Option<&'static str>) {
        let first = self
            .renew_replacing(id, responder.clone(), replaces.clone(), fallback.clone())
            .await;
        match first {
            Err(e) if order_again_without_replaces(replaces.is_some(), e.problem()) => (
                self.renew_replacing(id, responder, None, fallback).await,
                Some(ORDERED_AGAIN_WITHOUT_REPLACES),
            ),
            other => (other, None),
        }
    }

    /// Asks the CA for the renewal window of each saved certificate whose last answer has
    /// expired (its Retry-After, kept between one hour and one day). Failures keep the last
    /// answer and are asked again in an hour; renewals never wait for ARI.
    async fn refresh_ari(&self, now: OffsetDateTime) -> Result<()> {
        let states = self.renewal_states.all()?;
        let mut todo = Vec::new();
        for cert in self.repository.views()? {
            let state = RenewalRecord::for_version(
                states.get(&cert.id).cloned(),
                &cert.id,
                &cert.info.serial,
            );
            if cert.revoked.is_some() || !state.ari_due(now) {
                continue;
            }
            // A request that does not read is left out: the pass skips it and says so when it
            // is due.
            let Ok(Some(request)) = self.requests.view(&cert.id) else {
                continue;
            };
            // Asked of the CA that issued the current version (the fallback's, after a fallback).
            let account = cert.issuing_account(&request.account).to_owned();
            todo.push((state, cert.ari_id, account));
        }
        if todo.is_empty() {
            return Ok(());
        }
        let names: BTreeSet<&String> = todo.iter().map(|(_, _, account)| account).collect();
        let mut accounts = HashMap::new();
        for name in names {
            if let Ok(record) = self.account_record(Some(name)) {
                if let Ok(account) = self.acme_account(&record).await {
                    accounts.insert(name.clone(), account);
                }
            }
        }
        let accounts = &accounts;
        let answers: Vec<RenewalRecord> = futures::stream::iter(todo)
            .map(|(mut state, cert_id, account)| async move {
                let answer = match (accounts.get(&account), &cert_id) {
                    (_, None) => Ok(ari::Answer::Unsupported),
                    (None, _) => Err(Error::Network("the account could not be opened".into())),
                    (Some(account), Some(id)) => ari::fetch(account, id).await,
                };
                state.ari_answered(answer.ok(), now);
                state
            })
            .buffer_unordered(CONCURRENT_ARI)
            .collect()
            .await;
        let change = answers.iter().fold(Change::new(), |change, state| {
            self.renewal_states.put(change, state)
        });
        self.store.commit(change).await
    }

    /// The scheduler's runs and the certificates whose renewal is failing.
    pub fn renewal_health(&self) -> Result<Health> {
        let runs = self
            .renewals
            .runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let now = OffsetDateTime::now_utc();
        Ok(Health {
            last_run: runs.last,
            next_run: runs.next,
            skipped: runs.skipped,
            failing: self
                .renewal_plans(now)?
                .into_iter()
                .filter(|p| p.failures > 0)
                .collect(),
        })
    }

    fn note_next_run(&self, at: OffsetDateTime) {
        let mut runs = self.renewals.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.next = Some(at);
    }

    /// The certificate that expires first among those still valid.
    pub fn next_expiry(&self) -> Result<Option<CertSummary>> {
        Ok(self
            .certs()?
            .into_iter()
            .find(|c| c.status == CertStatus::Valid))
    }

    /// The built-in responders at the settings' addresses (`http01.listen`,
    /// `tls_alpn01.listen`), those asked for and set.
    pub async fn settings_responders(&self, http01: bool, tls_alpn01: bool) -> Result<Responders> {
        let settings = self.settings()?;
        Responders::bind(
            settings.http_listen.as_deref().filter(|_| http01),
            settings.tls_alpn_listen.as_deref().filter(|_| tls_alpn01),
        )
        .await
    }

    /// One pass now (the tray's "Renew due now").
    pub async fn renew_due(&self) -> Result<PassReport> {
        self.renew_due_once(OffsetDateTime::now_utc()).await
    }
}

/// The ARI identifier of an entry's current version.
fn current_cert_id(cert: &CertRecord) -> Result<Option<String>> {
    let Some(current) = cert.versions.last() else {
        return Ok(None);
    };
    let der = crate::certinfo::split_chain(&current.version.certificate_pem)?;
    ari::cert_id(&der[0])
}
