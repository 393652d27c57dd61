//! The window's Overview: the answer to "is everything all right?" at a glance. It summarizes
//! what the services already keep — the repository's certificates (issued and tracked), the
//! requests' next steps, the scheduler's health and the watched endpoints' last checks — and
//! records nothing of its own, so it can never disagree with the
//! tabs it points to.

use std::collections::HashSet;
use std::mem::discriminant;

use serde::Serialize;
use time::OffsetDateTime;

use crate::endpoints::EndpointCheck;
use crate::error::Result;
use crate::next_step::NextStep;
use crate::renewal::Health;
use crate::repository::{CertStatus, CertSummary};
use crate::Engine;

/// A certificate with this many days left or fewer is expiring: the counts' and the marks'
/// threshold, which the window's legend names.
pub const EXPIRING_DAYS: i64 = 30;
/// How far ahead the timeline of expiries looks, in days.
pub const HORIZON_DAYS: i64 = 90;

/// A certificate's state on the timeline, the most pressing first: a revoked or expired
/// certificate is that whatever its renewal does, a failing renewal outweighs a waiting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MarkState {
    Revoked,
    Expired,
    /// Its renewal failed at the last attempt.
    Failing,
    /// Its request waits for the administrator (a challenge to publish, a Verify to press, …).
    Waiting,
    /// Valid with [`EXPIRING_DAYS`] or fewer left.
    Expiring,
    Valid,
}

/// One certificate on the timeline of expiries.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Mark {
    pub id: String,
    /// Its first name, as the certificates list shows it.
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub not_after: OffsetDateTime,
    /// Negative once expired; the window places marks beyond [`HORIZON_DAYS`] at its edge.
    pub days_left: i64,
    pub state: MarkState,
    /// Issued elsewhere and tracked: certdesk reminds, it does not renew.
    pub tracked: bool,
}

/// The watched endpoints at a glance: how many, and those whose last check found something.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EndpointsAtAGlance {
    pub watched: usize,
    /// Never checked yet: the scheduler's next pass checks them.
    pub unchecked: usize,
    /// The last checks that found something.
    pub alerts: Vec<EndpointCheck>,
}

/// How many certificates (and requests) are in each case. `valid`, `expiring`, `expired` and
/// `revoked` split the certificates; `failing` and `waiting` cut across them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Counts {
    /// Valid with more than [`EXPIRING_DAYS`] left.
    pub valid: usize,
    /// Valid with [`EXPIRING_DAYS`] or fewer left.
    pub expiring: usize,
    pub expired: usize,
    pub revoked: usize,
    /// Certificates whose renewal failed at the last attempt.
    pub failing: usize,
    /// Requests that wait for the administrator.
    pub waiting: usize,
}

/// One kind of next step and every request that waits for it ("2 requests wait for a challenge
/// to be published"): the window words `step`, the first such request's, and opens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NextAction {
    pub step: NextStep,
    /// The requests (a renewal's is its certificate's id) that wait for a step of this kind.
    pub requests: Vec<String>,
}

/// The Overview tab's data, in one answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Overview {
    pub counts: Counts,
    /// Every certificate, soonest expiry first.
    pub marks: Vec<Mark>,
    /// [`EXPIRING_DAYS`], for the legend.
    pub expiring_days: i64,
    /// [`HORIZON_DAYS`], the timeline's axis.
    pub horizon_days: i64,
    pub scheduler: Health,
    /// The next steps that wait, grouped by kind, in the order the requests were created.
    pub actions: Vec<NextAction>,
    pub endpoints: EndpointsAtAGlance,
}

impl Engine {
    /// The Overview tab's counts, timeline, scheduler health and next actions, read from the
    /// repository, the requests and the scheduler's state (nothing is asked of a CA).
    pub fn overview(&self) -> Result<Overview> {
        let certs = self.certs()?;
        let requests = self.requests()?;
        let scheduler = self.renewal_health()?;
        // A failed renewal that says what to do waits for the administrator too, unless its
        // request already says so itself.
        let steps = requests
            .iter()
            .filter_map(|r| Some((r.id.as_str(), r.next_step.as_ref()?)))
            .chain(
                scheduler
                    .failing
                    .iter()
                    .filter(|p| {
                        !requests
                            .iter()
                            .any(|r| r.id == p.id && r.next_step.is_some())
                    })
                    .filter_map(|p| Some((p.id.as_str(), p.next_step.as_ref()?))),
            );
        let actions = group(steps);
        let failing: HashSet<&str> = scheduler.failing.iter().map(|p| p.id.as_str()).collect();
        let waiting: HashSet<&str> = actions
            .iter()
            .flat_map(|a| a.requests.iter().map(String::as_str))
            .collect();
        let (counts, marks) = summarize(&certs, &failing, &waiting);
        Ok(Overview {
            counts,
            marks,
            expiring_days: EXPIRING_DAYS,
            horizon_days: HORIZON_DAYS,
            actions,
            scheduler,
            endpoints: self.endpoints_at_a_glance()?,
        })
    }

    /// The watched endpoints' last checks, those with findings in the order of the table.
    fn endpoints_at_a_glance(&self) -> Result<EndpointsAtAGlance> {
        let watched = self.endpoint_list()?.records;
        let mut glance = EndpointsAtAGlance {
            watched: watched.len(),
            ..EndpointsAtAGlance::default()
        };
        for endpoint in watched {
            match endpoint.last {
                None => glance.unchecked += 1,
                Some(check) if check.findings.is_empty() => {}
                Some(check) => glance.alerts.push(check),
            }
        }
        Ok(glance)
    }
}

/// The steps by kind, each kind where its first request is, each request once.
fn group<'a>(steps: impl Iterator<Item = (&'a str, &'a NextStep)>) -> Vec<NextAction> {
    let mut actions: Vec<NextAction> = Vec::new();
    for (request, step) in steps {
        if actions
            .iter()
            .any(|a| a.requests.iter().any(|r| r == request))
        {
            continue;
        }
        match actions
            .iter_mut()
            .find(|a| discriminant(&a.step) == discriminant(step))
        {
            Some(action) => action.requests.push(request.to_owned()),
            None => actions.push(NextAction {
                step: step.clone(),
                requests: vec![request.to_owned()],
            }),
        }
    }
    actions
}

/// The counts and one mark per certificate, given which certificates' renewals fail and which
/// requests wait (a certificate's request has its id).
fn summarize(
    certs: &[CertSummary],
    failing: &HashSet<&str>,
    waiting: &HashSet<&str>,
) -> (Counts, Vec<Mark>) {
    let mut counts = Counts {
        waiting: waiting.len(),
        ..Counts::default()
    };
    let marks = certs
        .iter()
        .map(|c| {
            let expiring = c.days_left <= EXPIRING_DAYS;
            match c.status {
                CertStatus::Revoked => counts.revoked += 1,
                CertStatus::Expired => counts.expired += 1,
                CertStatus::Valid if expiring => counts.expiring += 1,
                CertStatus::Valid => counts.valid += 1,
            }
            let fails = failing.contains(c.id.as_str());
            if fails {
                counts.failing += 1;
            }
            let state = match c.status {
                CertStatus::Revoked => MarkState::Revoked,
                CertStatus::Expired => MarkState::Expired,
                CertStatus::Valid if fails => MarkState::Failing,
                CertStatus::Valid if waiting.contains(c.id.as_str()) => MarkState::Waiting,
                CertStatus::Valid if expiring => MarkState::Expiring,
                CertStatus::Valid => MarkState::Valid,
            };
            Mark {
                id: c.id.clone(),
                name: c.info.names.first().cloned().unwrap_or_default(),
                not_after: c.info.not_after,
                days_left: c.days_left,
                state,
                tracked: c.origin.is_tracked(),
            }
        })
        .collect();
    (counts, marks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certinfo::CertInfo;
    use crate::names::ChallengeType;
    use crate::testing;
    use time::Duration;

    fn cert(id: &str, days_left: i64, status: CertStatus) -> CertSummary {
        let now = OffsetDateTime::now_utc();
        CertSummary {
            id: id.to_owned(),
            info: CertInfo {
                serial: "01".into(),
                subject: format!("CN={id}.example"),
                issuer: "CN=test".into(),
                names: vec![format!("{id}.example")],
                not_before: now - Duration::days(10),
                not_after: now + Duration::days(days_left),
                key_type: "ECDSA P-256".into(),
                sha256_fingerprint: String::new(),
            },
            days_left,
            status,
            versions: 1,
            origin: crate::repository::Origin::Issued,
            private_key: true,
        }
    }

    #[test]
    fn each_certificate_is_one_mark_in_its_most_pressing_state() {
        let certs = [
            cert("fine", 80, CertStatus::Valid),
            cert("soon", 30, CertStatus::Valid),
            cert("broken", 5, CertStatus::Valid),
            cert("manual", 60, CertStatus::Valid),
            cert("gone", -2, CertStatus::Expired),
            cert("pulled", 40, CertStatus::Revoked),
        ];
        let failing = HashSet::from(["broken", "gone"]);
        let waiting = HashSet::from(["manual", "new-request"]);
        let (counts, marks) = summarize(&certs, &failing, &waiting);
        assert_eq!(
            counts,
            Counts {
                valid: 2,
                expiring: 2,
                expired: 1,
                revoked: 1,
                failing: 2,
                waiting: 2,
            }
        );
        let states: Vec<_> = marks.iter().map(|m| (m.id.as_str(), m.state)).collect();
        assert_eq!(
            states,
            [
                ("fine", MarkState::Valid),
                ("soon", MarkState::Expiring),
                ("broken", MarkState::Failing),
                ("manual", MarkState::Waiting),
                ("gone", MarkState::Expired),
                ("pulled", MarkState::Revoked),
            ]
        );
        assert_eq!(marks[0].name, "fine.example");
    }

    #[test]
    fn next_steps_group_by_kind_with_each_request_once() {
        let publish = |r: &str| NextStep::Publish {
            request: r.into(),
            challenge: ChallengeType::Dns01,
            declined: None,
        };
        let save = NextStep::Save {
            request: "c".into(),
        };
        let (a, b, again) = (publish("a"), publish("b"), publish("a"));
        let steps = [("a", &a), ("c", &save), ("b", &b), ("a", &again)];
        let actions = group(steps.into_iter());
        assert_eq!(
            actions,
            [
                NextAction {
                    step: a.clone(),
                    requests: vec!["a".into(), "b".into()],
                },
                NextAction {
                    step: save.clone(),
                    requests: vec!["c".into()],
                },
            ]
        );
    }

    #[tokio::test]
    async fn the_engine_sums_up_its_repository_and_requests() {
        let engine = Engine::in_memory().await;
        testing::add_account(&engine, "main").await;
        let saved = testing::recorded(&engine, &["saved.example"]).await;
        let now = OffsetDateTime::now_utc();
        testing::issue(&engine, &saved.id, now + Duration::days(20)).await;
        engine.save(&saved.id).await.expect("saved");
        let mut json = testing::record_json(
            "waiting",
            &["waiting.example"],
            "main",
            "2026-01-01T00:00:00Z",
        );
        json["status"] = serde_json::json!("pending");
        json["next_step"] =
            serde_json::json!({"step": "publish", "request": "waiting", "challenge": "http-01"});
        let record = serde_json::from_value(json).expect("a request record");
        engine.requests.save(&record).await.expect("stored");

        let overview = engine.overview().expect("the overview");
        let marks: Vec<_> = overview
            .marks
            .iter()
            .map(|m| (m.id.as_str(), m.name.as_str(), m.state))
            .collect();
        assert_eq!(
            marks,
            [(saved.id.as_str(), "saved.example", MarkState::Expiring)]
        );
        assert_eq!(overview.counts.expiring, 1);
        assert_eq!(overview.counts.waiting, 1);
        assert_eq!(overview.actions.len(), 1);
        assert_eq!(overview.actions[0].requests, ["waiting"]);
        assert!(matches!(overview.actions[0].step, NextStep::Publish { .. }));
        assert_eq!(overview.horizon_days, HORIZON_DAYS);
    }

    #[tokio::test]
    async fn endpoints_with_findings_are_listed_and_unchecked_ones_counted() {
        let engine = Engine::in_memory().await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let closed = listener.local_addr().expect("address").to_string();
        drop(listener);
        engine
            .endpoint_add(&closed, None, None)
            .await
            .expect("added");
        engine
            .endpoint_add("127.0.0.1:9", None, None)
            .await
            .expect("added");
        assert_eq!(
            engine.overview().expect("the overview").endpoints,
            EndpointsAtAGlance {
                watched: 2,
                unchecked: 2,
                alerts: Vec::new(),
            }
        );
        engine.endpoint_check(Some(&closed)).await.expect("checked");
        let glance = engine.overview().expect("the overview").endpoints;
        assert_eq!((glance.watched, glance.unchecked), (2, 1));
        let alert = &glance.alerts[0];
        assert_eq!(alert.endpoint, closed);
        assert!(alert.checked_at.is_some());
        let kinds: Vec<_> = alert.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [crate::endpoints::FindingKind::Unreachable]);
    }
}
