//! What a pass does with one due certificate, decided from plain values: the scheduler's state
//! of it, its plan and the time. [`automated`] says whether it renews without the administrator
//! at all; [`decide`] whether it renews now, is reminded about, waits for the daily guard or is
//! left alone; [`Order::choose`] how a renewal orders: with which account, and whether it
//! continues an order that was cut off or places a new one that replaces the current
//! certificate, and [`order_again_without_replaces`] whether a refused replacement is placed again
//! without naming what it replaces. Carrying the step out (claiming the certificate, reading the records, ordering,
//! writing the state) is the pass's, in [`super`]; nothing here reads the store, the network or
//! the clock, so every branch is tested here, like [`super::window`].

use std::collections::HashSet;

use time::OffsetDateTime;

use super::state::{AriState, RenewalRecord, REMINDER_INTERVAL};
use super::window::Reason;
use super::Planned;
use crate::error::Problem;
use crate::names::ChallengeType;
use crate::request::RequestView;
use crate::request::{RequestInfo, RequestStatus};

/// Which built-in responders the settings give automated renewals an address for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Listening {
    pub http01: bool,
    pub tls_alpn01: bool,
}

/// Whether the renewals of `request` run without the administrator: its http-01 challenges are
/// answered by the built-in responder (`listening`) or its deploy mapping, its tls-alpn-01 ones
/// by the built-in responder, its dns-01 ones by its DNS account or a deploy mapping among
/// `dns01_mappings` (those that publish TXT records). The others are reminded about.
pub(crate) fn automated(
    request: &RequestView,
    listening: Listening,
    dns01_mappings: &HashSet<String>,
) -> bool {
    match request.challenge_type {
        ChallengeType::Http01 => listening.http01 || request.deploy.is_some(),
        ChallengeType::TlsAlpn01 => listening.tls_alpn01,
        // The standing record answers every order: nobody publishes.
        ChallengeType::DnsPersist01 => true,
        ChallengeType::Dns01 | ChallengeType::DnsAccount01 => {
            request.dns_account.is_some()
                || request
                    .deploy
                    .as_ref()
                    .is_some_and(|m| dns01_mappings.contains(m))
        }
    }
}

/// What the pass does with a due certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// Nothing this pass: a renewal finished since the plan was made (the current version is
    /// another one, or none), the next attempt's time has not come, or the administrator was
    /// reminded less than [`REMINDER_INTERVAL`] ago.
    Skip,
    /// Remind the administrator, who publishes its challenges by hand.
    Remind { reason: &'a Reason },
    /// The daily guard lets no order through before `until`, which becomes the next attempt.
    Hold { until: OffsetDateTime },
    /// Renew it now, in the way [`Order::choose`] picks.
    Renew { reason: &'a Reason },
}

/// The step for `planned` at `now`, given the scheduler's `state` of it and the serial of the
/// certificate's current version as read under the claim (`None`: no version, or none saved).
pub(crate) fn decide<'a>(
    state: &RenewalRecord,
    planned: &'a Planned,
    current_serial: Option<&str>,
    now: OffsetDateTime,
) -> Step<'a> {
    let Some(plan) = &planned.plan else {
        return Step::Skip;
    };
    if current_serial != Some(planned.serial.as_str())
        || state.next_attempt.is_some_and(|t| t > now)
    {
        return Step::Skip;
    }
    let reason = &plan.reason;
    if !planned.automated {
        let recently = state
            .reminded
            .is_some_and(|t| t.saturating_add(REMINDER_INTERVAL) > now);
        return match recently {
            true => Step::Skip,
            false => Step::Remind { reason },
        };
    }
    match state.guard_until(now) {
        Some(until) => Step::Hold { until },
        None => Step::Renew { reason },
    }
}

/// What the order choice reads of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accounts<'a> {
    /// The request's own account.
    pub own: &'a str,
    /// Its fallback account at another CA, if it has one.
    pub fallback: Option<&'a str>,
    /// The account that placed its current order (the fallback's, when it took a turn).
    pub ordering: &'a str,
    pub status: RequestStatus,
}

impl<'a> From<&'a RequestInfo> for Accounts<'a> {
    fn from(request: &'a RequestInfo) -> Self {
        Self {
            own: &request.account,
            fallback: request.fallback_account.as_deref(),
            ordering: request.ordering_account(),
            status: request.status,
        }
    }
}

/// How a renewal orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order<'a> {
    /// The fallback account when this attempt is its turn; `None`: the request's own account.
    pub fallback: Option<&'a str>,
    pub attempt: Attempt,
}

/// Whether a renewal places an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Carry on with the order an earlier pass placed with the same account and that was cut
    /// off (a kill, a timeout): it is not placed again.
    Continue,
    /// Place a new order. `replace_current`: it names the current certificate as the one it
    /// replaces (RFC 9773 `replaces`), which only the CA that issued it understands and only a
    /// CA with renewal information expects.
    Place { replace_current: bool },
}

impl Attempt {
    /// Whether this attempt places an order, which the daily guard counts.
    pub fn places_order(self) -> bool {
        matches!(self, Self::Place { .. })
    }
}

impl<'a> Order<'a> {
    /// How the renewal of a request with `accounts` orders, given the scheduler's `state` and the
    /// account that issued the current certificate (`issuer`). After failures in a row at its
    /// CA, the request's fallback account may take the turn ([`RenewalRecord::fallback_turn`]);
    /// an order placed with the other account is left, since this turn belongs to this one.
    pub fn choose(state: &RenewalRecord, accounts: Accounts<'a>, issuer: &str) -> Self {
        let fallback = accounts.fallback.filter(|_| state.fallback_turn());
        let ordering = fallback.unwrap_or(accounts.own);
        let cut_off = matches!(
            accounts.status,
            RequestStatus::Created | RequestStatus::Pending | RequestStatus::Verifying
        );
        let attempt = match cut_off && accounts.ordering == ordering {
            true => Attempt::Continue,
            false => Attempt::Place {
                replace_current: matches!(state.ari, AriState::Window { .. }) && issuer == ordering,
            },
        };
        Self { fallback, attempt }
    }
}

/// What the renewal's outcome says when its order named the certificate it replaces and the CA
/// answered `alreadyReplaced`.
pub(crate) const ORDERED_AGAIN_WITHOUT_REPLACES: &str =
    "the CA said the certificate was already replaced (alreadyReplaced: an earlier renewal's \
     order names it), so the order was placed again without `replaces`";

/// Whether a renewal order refused with `problem` is placed again without `replaces`: when it
/// named the certificate it replaces (`replaced`) and the CA answers that another order already
/// replaces that one (RFC 9773 §5, `alreadyReplaced`: an order cut off before it was finished, or
/// placed by another client). Without `replaces` the same refusal cannot come again, so this
/// happens at most once per renewal; every other refusal reaches the administrator whole.
pub(crate) fn order_again_without_replaces(replaced: bool, problem: Option<&Problem>) -> bool {
    replaced && problem.is_some_and(|p| p.short_type() == "alreadyReplaced")
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::acme::AriWindow;
    use crate::renewal::state::{FALLBACK_AFTER, MAX_ORDERS_PER_DAY};
    use crate::renewal::window::Plan;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time")
    }

    const EDGES: [OffsetDateTime; 2] = [
        time::PrimitiveDateTime::MIN.assume_utc(),
        time::PrimitiveDateTime::MAX.assume_utc(),
    ];

    fn planned(automated: bool) -> Planned {
        Planned {
            id: "id".into(),
            names: vec!["example.com".into()],
            not_after: t0() + Duration::days(30),
            plan: Some(Plan {
                at: t0(),
                reason: Reason::Lifetime { lifetime_days: 90 },
            }),
            automated,
            failures: 0,
            last_attempt: None,
            next_attempt: None,
            held_by: None,
            last_error: None,
            next_step: None,
            serial: "01".into(),
            challenge: ChallengeType::Http01,
        }
    }

    fn state() -> RenewalRecord {
        RenewalRecord::new("id", "01")
    }

    fn renews(p: &Planned) -> Step<'_> {
        Step::Renew {
            reason: &p.plan.as_ref().expect("a plan").reason,
        }
    }

    #[test]
    fn renewals_run_alone_when_something_answers_their_challenges() {
        let mappings: HashSet<String> = ["txt".to_owned()].into();
        let request =
            |challenge_type, dns_account: Option<&str>, deploy: Option<&str>| RequestView {
                id: "id".into(),
                account: "main".into(),
                challenge_type,
                dns_account: dns_account.map(str::to_owned),
                deploy: deploy.map(str::to_owned),
            };
        let none = Listening::default();
        let http01 = Listening {
            http01: true,
            tls_alpn01: false,
        };
        let tls_alpn01 = Listening {
            http01: false,
            tls_alpn01: true,
        };
        let http = |deploy| request(ChallengeType::Http01, None, deploy);
        assert!(!automated(&http(None), none, &mappings));
        assert!(automated(&http(None), http01, &mappings));
        assert!(!automated(&http(None), tls_alpn01, &mappings));
        assert!(automated(&http(Some("web")), none, &mappings));
        let tls = request(ChallengeType::TlsAlpn01, None, None);
        assert!(automated(&tls, tls_alpn01, &mappings));
        assert!(!automated(&tls, http01, &mappings));
        let dns = |dns_account, deploy| request(ChallengeType::Dns01, dns_account, deploy);
        // The built-in responders answer no dns-01 challenge, nor a mapping without TXT records.
        assert!(!automated(&dns(None, None), http01, &mappings));
        assert!(!automated(&dns(None, Some("web")), http01, &mappings));
        assert!(automated(&dns(None, Some("txt")), none, &mappings));
        assert!(automated(&dns(Some("zone"), None), none, &mappings));
    }

    #[test]
    fn an_automated_certificate_that_is_due_renews() {
        let p = planned(true);
        assert_eq!(decide(&state(), &p, Some("01"), t0()), renews(&p));
    }

    #[test]
    fn a_certificate_renewed_since_the_plan_or_without_one_is_left_alone() {
        let p = planned(true);
        assert_eq!(decide(&state(), &p, Some("02"), t0()), Step::Skip);
        assert_eq!(decide(&state(), &p, None, t0()), Step::Skip);
        let never = Planned {
            plan: None,
            ..planned(true)
        };
        assert_eq!(decide(&state(), &never, Some("01"), t0()), Step::Skip);
    }

    #[test]
    fn a_pending_retry_holds_until_its_time_and_not_a_second_longer() {
        let p = planned(true);
        let mut s = state();
        s.next_attempt = Some(t0() + Duration::seconds(1));
        assert_eq!(decide(&s, &p, Some("01"), t0()), Step::Skip);
        assert_eq!(
            decide(&s, &p, Some("01"), t0() + Duration::seconds(1)),
            renews(&p)
        );
        // A retry holds a certificate renewed by hand too: it is not reminded meanwhile.
        let by_hand = planned(false);
        assert_eq!(decide(&s, &by_hand, Some("01"), t0()), Step::Skip);
    }

    #[test]
    fn failures_back_off_before_the_next_decision() {
        let p = planned(true);
        let mut s = state();
        s.failed(t0(), "down".into(), None, None);
        let next = s.next_attempt.expect("a next attempt");
        assert!(next > t0());
        assert_eq!(decide(&s, &p, Some("01"), t0()), Step::Skip);
        assert_eq!(
            decide(&s, &p, Some("01"), next - Duration::seconds(1)),
            Step::Skip
        );
        assert_eq!(decide(&s, &p, Some("01"), next), renews(&p));
    }

    #[test]
    fn certificates_renewed_by_hand_are_reminded_once_a_day() {
        let p = planned(false);
        let reason = &p.plan.as_ref().expect("a plan").reason;
        let mut s = state();
        assert_eq!(decide(&s, &p, Some("01"), t0()), Step::Remind { reason });
        s.reminded = Some(t0());
        let day = t0() + REMINDER_INTERVAL;
        assert_eq!(
            decide(&s, &p, Some("01"), day - Duration::seconds(1)),
            Step::Skip
        );
        assert_eq!(decide(&s, &p, Some("01"), day), Step::Remind { reason });
        // The daily guard is about orders, which reminders do not place.
        s.orders = vec![t0().unix_timestamp(); MAX_ORDERS_PER_DAY];
        assert_eq!(decide(&s, &p, Some("01"), day), Step::Remind { reason });
    }

    #[test]
    fn the_daily_guard_holds_automated_renewals_until_the_oldest_order_is_a_day_old() {
        let p = planned(true);
        let mut s = state();
        let first = t0() - Duration::hours(20);
        s.orders = vec![first.unix_timestamp()];
        s.orders
            .extend(vec![t0().unix_timestamp(); MAX_ORDERS_PER_DAY - 2]);
        assert_eq!(decide(&s, &p, Some("01"), t0()), renews(&p));
        s.orders.push(t0().unix_timestamp());
        assert_eq!(
            decide(&s, &p, Some("01"), t0()),
            Step::Hold {
                until: first + Duration::days(1)
            }
        );
    }

    #[test]
    fn the_edges_of_time_do_not_panic() {
        for p in [planned(true), planned(false)] {
            for now in EDGES.into_iter().chain([t0()]) {
                for at in EDGES {
                    let mut s = state();
                    s.reminded = Some(at);
                    s.next_attempt = Some(at);
                    s.orders = vec![i64::MIN, i64::MAX, at.unix_timestamp()];
                    let _ = decide(&s, &p, Some("01"), now);
                    s.failed(at, "x".into(), None, None);
                    let _ = decide(&s, &p, Some("01"), now);
                }
            }
        }
        // A reminder at the end of time holds until then; at the end of time itself it is due.
        let mut s = state();
        s.reminded = Some(EDGES[1]);
        let by_hand = planned(false);
        assert_eq!(decide(&s, &by_hand, Some("01"), t0()), Step::Skip);
        assert!(matches!(
            decide(&s, &by_hand, Some("01"), EDGES[1]),
            Step::Remind { .. }
        ));
    }

    fn accounts(status: RequestStatus) -> Accounts<'static> {
        Accounts {
            own: "main",
            fallback: Some("backup"),
            ordering: "main",
            status,
        }
    }

    /// A state after `failures` failed attempts in a row.
    fn failing(failures: u32) -> RenewalRecord {
        RenewalRecord {
            failures,
            ..state()
        }
    }

    fn with_ari() -> RenewalRecord {
        RenewalRecord {
            ari: AriState::Window {
                window: AriWindow {
                    start: t0(),
                    end: t0() + Duration::days(1),
                    explanation_url: None,
                },
                next_check: t0(),
            },
            ..state()
        }
    }

    const PLACE: Attempt = Attempt::Place {
        replace_current: false,
    };

    #[test]
    fn a_renewal_orders_with_its_own_account_until_the_fallbacks_turn() {
        let mut s = state();
        let done = accounts(RequestStatus::Renewed);
        let mut turns = Vec::new();
        for failures in 0..FALLBACK_AFTER + 4 {
            s.failures = failures;
            turns.push(Order::choose(&s, done, "main").fallback);
        }
        assert_eq!(
            turns,
            [None, None, Some("backup"), None, Some("backup"), None]
        );
        // Without a fallback, every turn is its own account's.
        let alone = Accounts {
            fallback: None,
            ..done
        };
        let order = Order::choose(&failing(FALLBACK_AFTER), alone, "main");
        assert_eq!(
            order,
            Order {
                fallback: None,
                attempt: PLACE
            }
        );
    }

    #[test]
    fn an_order_cut_off_is_continued_by_the_account_that_placed_it() {
        for status in [
            RequestStatus::Created,
            RequestStatus::Pending,
            RequestStatus::Verifying,
        ] {
            let order = Order::choose(&state(), accounts(status), "main");
            assert_eq!(order.attempt, Attempt::Continue, "{status:?}");
            assert!(!order.attempt.places_order());
            // The fallback continues its own order in its turn…
            let by_fallback = Accounts {
                ordering: "backup",
                ..accounts(status)
            };
            let order = Order::choose(&failing(FALLBACK_AFTER), by_fallback, "main");
            assert_eq!(
                order,
                Order {
                    fallback: Some("backup"),
                    attempt: Attempt::Continue
                }
            );
            // …and leaves it in the request's own account's turn, which places a new one.
            let order = Order::choose(&failing(FALLBACK_AFTER + 1), by_fallback, "main");
            assert_eq!(
                order,
                Order {
                    fallback: None,
                    attempt: PLACE
                }
            );
            assert!(order.attempt.places_order());
        }
        for status in [
            RequestStatus::Available,
            RequestStatus::Failed,
            RequestStatus::Saved,
            RequestStatus::Renewed,
            RequestStatus::Revoked,
        ] {
            let order = Order::choose(&state(), accounts(status), "main");
            assert_eq!(order.attempt, PLACE, "{status:?}");
        }
    }

    #[test]
    fn only_an_already_replaced_refusal_of_a_replacing_order_is_ordered_again() {
        let problem = |kind: &str| Problem {
            kind: Some(format!("urn:ietf:params:acme:error:{kind}")),
            detail: Some("certificate with serial 01 already has a replacement order".into()),
            status: Some(409),
            ..Problem::default()
        };
        let replaced = problem("alreadyReplaced");
        assert!(order_again_without_replaces(true, Some(&replaced)));
        // The order again has no `replaces`: a second alreadyReplaced is the CA's to tell.
        assert!(!order_again_without_replaces(false, Some(&replaced)));
        for other in ["rateLimited", "invalidProfile", "malformed", "unauthorized"] {
            assert!(
                !order_again_without_replaces(true, Some(&problem(other))),
                "{other}"
            );
        }
        assert!(!order_again_without_replaces(true, None));
    }

    #[test]
    fn a_new_order_replaces_the_current_certificate_at_the_ca_that_issued_it_with_ari() {
        let done = accounts(RequestStatus::Renewed);
        let replacing = Attempt::Place {
            replace_current: true,
        };
        assert_eq!(Order::choose(&with_ari(), done, "main").attempt, replacing);
        // No ARI window (not asked yet, or a CA without renewal information): no `replaces`.
        for ari in [AriState::Unknown, AriState::Unsupported] {
            let s = RenewalRecord { ari, ..state() };
            assert_eq!(Order::choose(&s, done, "main").attempt, PLACE);
        }
        // Issued through the fallback: its identifier means nothing to the request's own CA…
        assert_eq!(Order::choose(&with_ari(), done, "backup").attempt, PLACE);
        // …but it does to the fallback in its turn.
        let s = RenewalRecord {
            failures: FALLBACK_AFTER,
            ..with_ari()
        };
        assert_eq!(
            Order::choose(&s, done, "backup"),
            Order {
                fallback: Some("backup"),
                attempt: replacing
            }
        );
        assert_eq!(Order::choose(&s, done, "main").attempt, PLACE);
        // A continued order keeps what it was placed with.
        let cut_off = accounts(RequestStatus::Pending);
        assert_eq!(
            Order::choose(&with_ari(), cut_off, "main").attempt,
            Attempt::Continue
        );
    }
}
