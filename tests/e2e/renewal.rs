//! Renewal on its own, against a real Pebble 2.10 with its RFC 9773 renewalInfo (windows set
//! through its management port; `tests/fakes/ca_proxy.py` in front records the requests and
//! plays a CA without ARI, one that is down or rate-limits) and the time injected (`certdesk renew --due --now`, or the
//! engine's scheduler with a clock the test moves): windows chosen right, `replaces` sent,
//! failures backing off, no double renewal, a killed renewal finished by the next pass; and the
//! safety with the CA: a fallback CA after failures in a row, a rate limit's Retry-After
//! honoured, at most three orders a day whatever the CA's renewal information says.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use crate::common::ari::{due_by, rfc, time_of, Saved as Setup};
use crate::common::smtp::{configure, Security, SmtpSink};
use crate::common::{verify_chain, wait_until, Pebble};
use certdesk_engine::renewal::scheduler::Clock;
use certdesk_engine::renewal::Action;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

const NAME: &str = "renew.example.com";

/// One saved certificate for [`NAME`] of `days` days, renewed by the built-in responder.
fn setup(days: u64, ari: bool) -> Setup {
    Setup::issue(NAME, days, ari)
}

impl Setup {
    fn versions(&self) -> usize {
        self.cd
            .json(["cert", "history", &self.id])
            .as_array()
            .expect("versions")
            .len()
    }

    /// `renew --due --dry-run --at by` at `now`: the ids listed, and the whole JSON.
    fn dry_run(&self, now: OffsetDateTime, by: OffsetDateTime) -> Value {
        self.cd.json(due_by(now, by))
    }

    fn pass(&self, now: OffsetDateTime) -> common::Output {
        self.cd
            .run(["--json", "renew", "--due", "--now", &rfc(now)])
    }

    /// The CA's window for the current certificate, its answers to be asked again after an
    /// hour (Pebble's own Retry-After is 6 hours).
    fn ari_window(&self, start: OffsetDateTime, end: OffsetDateTime) {
        self.window(start, end);
        self.proxy.control(json!({ "retry_after": 3600 }));
    }
}

fn listed(dry: &Value) -> Vec<&str> {
    dry.as_array()
        .expect("a list")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect()
}

/// base64url without padding, decoded (the serial part of an ARI certificate identifier).
fn b64url(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not base64url: {text}"),
    };
    let bits: Vec<u8> = text.bytes().map(value).collect();
    let mut out = Vec::new();
    for chunk in bits.chunks(4) {
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            n |= u32::from(*b) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn the_aris_window_decides_and_the_new_order_replaces_the_old_certificate() {
    let s = setup(90, true);
    let now = OffsetDateTime::now_utc();
    let (start, end) = (
        s.not_before + Duration::days(55),
        s.not_before + Duration::days(57),
    );
    s.ari_window(start, end);

    // Before the window nothing renews, and the dry run lists nothing.
    assert_eq!(
        listed(&s.dry_run(now, start - Duration::hours(1))),
        Vec::<&str>::new()
    );
    let out = s.pass(now);
    out.assert_success();
    assert_eq!(s.versions(), 1);
    let asked = s.proxy.events_of("renewalInfo");
    assert_eq!(asked.len(), 1, "ARI asked once: {asked:?}");
    let cert_id = asked[0]["certID"].as_str().expect("certID").to_owned();

    // By the window's last second it is listed, with the window as the reason (at its end the
    // window would be in the past: "replace now").
    let by = end - Duration::seconds(1);
    let dry = s.dry_run(now, by);
    assert_eq!(listed(&dry), vec![s.id.as_str()], "{dry:#}");
    let plan = &dry[0]["plan"];
    assert_eq!(plan["reason"]["rule"], "ari", "{dry:#}");
    let at = time_of(&plan["at"]);
    assert!(at >= start && at < end, "a time inside the window: {dry:#}");
    // The same time twice (two runs agree).
    assert_eq!(s.dry_run(now, by)[0]["plan"]["at"], plan["at"]);
    let text = s.cd.run(due_by(now, by));
    assert!(
        text.stdout
            .contains("ARI: the CA suggests renewing between"),
        "{text}"
    );

    // Inside the window (at its chosen time) it renews, replacing the old certificate.
    let out = s.pass(at);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["outcomes"][0]["action"], "renewed", "{report:#}");
    assert_eq!(s.versions(), 2);
    let orders = s.proxy.events_of("newOrder");
    assert_eq!(
        orders.len(),
        2,
        "the first issue and the renewal: {orders:?}"
    );
    assert_eq!(orders[0]["replaces"], Value::Null);
    assert_eq!(orders[1]["replaces"], cert_id.as_str(), "{orders:?}");
    let history = s.cd.json(["cert", "history", &s.id]);
    let old_serial = history[0]["serial"].as_str().expect("serial");
    let serial_part = cert_id.split_once('.').expect("AKI.serial").1;
    let serial_hex: String = b64url(serial_part)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        serial_hex.trim_start_matches('0'),
        old_serial.trim_start_matches('0')
    );

    // The new certificate's window is later: the same pass again renews nothing.
    s.ari_window(end + Duration::days(60), end + Duration::days(62));
    let again = s.pass(at + Duration::hours(2));
    again.assert_success();
    assert_eq!(again.json()["outcomes"], json!([]));
    assert_eq!(s.versions(), 2);
    assert_eq!(s.proxy.events_of("newOrder").len(), 2);

    // A window in the past means "replace now", whatever the settings say.
    s.cd.json(["settings", "set", "renewal.days_before_expiry", "5"]);
    let later = at + Duration::hours(4);
    s.ari_window(later - Duration::days(2), later - Duration::days(1));
    let urgent = s.dry_run(later, later);
    assert_eq!(urgent[0]["plan"]["reason"]["rule"], "ari_now", "{urgent:#}");
}

#[test]
fn without_ari_the_lifetime_rule_or_the_fixed_setting_decides() {
    let s = setup(90, false);
    let now = OffsetDateTime::now_utc();
    // A third of 90 days left: due from day 60.
    assert!(listed(&s.dry_run(now, s.not_before + Duration::days(59))).is_empty());
    let dry = s.dry_run(now, s.not_before + Duration::days(61));
    assert_eq!(listed(&dry), vec![s.id.as_str()], "{dry:#}");
    assert_eq!(dry[0]["plan"]["reason"]["rule"], "lifetime");
    assert_eq!(dry[0]["plan"]["reason"]["lifetime_days"], 90);
    assert!(
        s.proxy.events_of("renewalInfo").is_empty(),
        "no ARI at this CA"
    );

    // The administrator's fixed days.
    let shown =
        s.cd.json(["settings", "set", "renewal.days_before_expiry", "10"]);
    assert_eq!(shown["renew_days_before"], 10);
    assert!(listed(&s.dry_run(now, s.not_after - Duration::days(11))).is_empty());
    let by = s.not_after - Duration::days(9);
    let dry = s.dry_run(now, by);
    assert_eq!(
        dry[0]["plan"]["reason"],
        json!({"rule": "setting", "days": 10})
    );
    let text = s.cd.run(["renew", "--due", "--now", &rfc(by)]);
    text.assert_success();
    assert!(
        text.stdout.contains("setting: 10 days before expiry"),
        "{text}"
    );
    assert_eq!(s.versions(), 2);
    // 0 goes back to the lifetime rule; a value past the longest lifetime is refused.
    s.cd.json(["settings", "set", "renewal.days_before_expiry", "0"]);
    let out =
        s.cd.run(["settings", "set", "renewal.days_before_expiry", "400"]);
    out.assert_code(1);
    assert!(out.stderr.contains("days before expiry"), "{out}");
}

#[test]
fn a_ca_that_is_down_is_retried_later_with_backoff_and_renews_when_it_is_back() {
    let s = setup(90, false);
    let due = s.not_before + Duration::days(61);
    s.proxy.control(json!({ "ari": false, "down": true }));
    let out = s.pass(due);
    out.assert_code(2);
    let report = out.json();
    let failed = &report["outcomes"][0];
    assert_eq!(failed["action"], "failed", "{report:#}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("could not reach the CA"),
        "{report:#}"
    );
    let next = time_of(&failed["next_attempt"]);
    assert!(
        next >= due + Duration::minutes(15) && next <= due + Duration::minutes(18),
        "the first retry 15 minutes later, with jitter: {next}"
    );
    let attempts = s.proxy.events_of("down").len();

    // A minute later nothing is tried: the dry run says why.
    let soon = due + Duration::minutes(1);
    let quiet = s.pass(soon);
    quiet.assert_success();
    assert_eq!(quiet.json()["outcomes"], json!([]));
    assert_eq!(
        s.proxy.events_of("down").len(),
        attempts,
        "the CA was left alone"
    );
    let dry = s.cd.json(due_by(soon, next));
    assert_eq!(dry[0]["failures"], 1, "{dry:#}");
    assert_eq!(time_of(&dry[0]["next_attempt"]), next);

    // A second failure waits twice as long.
    let out = s.pass(next);
    out.assert_code(2);
    let second = time_of(&out.json()["outcomes"][0]["next_attempt"]);
    assert!(second - next >= Duration::minutes(30) && second - next <= Duration::minutes(36));

    // The CA is back: the next attempt renews.
    s.proxy.control(json!({ "ari": false }));
    let out = s.pass(second);
    out.assert_success();
    assert_eq!(out.json()["outcomes"][0]["action"], "renewed");
    assert_eq!(s.versions(), 2);
}

#[test]
fn a_renewal_killed_mid_order_is_finished_by_the_next_pass_without_a_new_order() {
    let s = setup(90, false);
    let due = s.not_before + Duration::days(61);
    s.proxy.control(json!({ "ari": false, "hold": "/chalZ/" }));
    let mut child = s.cd.spawn(["renew", "--due", "--now", &rfc(due)]);
    wait_until(
        "the renewal to answer its challenge",
        StdDuration::from_secs(60),
        || !s.proxy.events_of("held").is_empty(),
    );
    child.kill();
    s.proxy.control(json!({ "ari": false }));
    assert_eq!(s.versions(), 1);
    let orders = s.proxy.events_of("newOrder").len();

    let out = s.pass(due + Duration::minutes(1));
    out.assert_success();
    assert_eq!(out.json()["outcomes"][0]["action"], "renewed", "{out}");
    assert_eq!(s.versions(), 2);
    assert_eq!(
        s.proxy.events_of("newOrder").len(),
        orders,
        "the order was continued"
    );
}

/// A clock the test sets; the scheduler's sleeps end when the test moves it past them.
struct TestClock {
    now: Mutex<OffsetDateTime>,
    moved: tokio::sync::Notify,
}

impl TestClock {
    fn set(&self, t: OffsetDateTime) {
        *self.now.lock().unwrap() = t;
        self.moved.notify_waiters();
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap()
    }

    fn sleep_until(
        &self,
        at: OffsetDateTime,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            loop {
                let moved = self.moved.notified();
                if self.now() >= at {
                    return;
                }
                moved.await;
            }
        })
    }
}

#[test]
fn two_passes_at_once_renew_once_and_the_scheduler_wakes_when_its_clock_says() {
    let s = setup(90, false);
    let due = s.not_before + Duration::days(61);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let face = certdesk_engine::activity::Face::Cli;
        let engine = certdesk_engine::Engine::open(s.cd.data_dir(), face)
            .await
            .expect("open the data folder");
        let (a, b) = tokio::join!(engine.renew_due_once(due), engine.renew_due_once(due));
        let renewed = [a.expect("pass"), b.expect("pass")]
            .iter()
            .flat_map(|r| r.outcomes.clone())
            .filter(|o| o.action == Action::Renewed)
            .count();
        assert_eq!(renewed, 1, "two triggers, one renewal");
        assert_eq!(
            s.proxy.events_of("newOrder").len(),
            2,
            "one order for the renewal"
        );

        // The scheduler: a pass at start (nothing due today), then asleep until the clock
        // reaches the next due time.
        let start = OffsetDateTime::now_utc();
        let engine = Arc::new(engine);
        let clock = Arc::new(TestClock {
            now: Mutex::new(start),
            moved: tokio::sync::Notify::new(),
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn({
            let (engine, clock) = (engine.clone(), clock.clone());
            async move {
                engine
                    .run_scheduler(clock.as_ref(), |r| {
                        let _ = tx.send(r.cloned().map_err(|e| e.to_string()));
                    })
                    .await
            }
        });
        let first = rx.recv().await.expect("a pass").expect("it ran");
        assert!(first.outcomes.is_empty(), "{first:?}");
        let health = engine.renewal_health().expect("health");
        assert_eq!(health.last_run, Some(start));
        let next_run = health.next_run.expect("a next run");
        assert!(next_run > start && next_run <= start + Duration::minutes(30));
        assert!(health.failing.is_empty());

        // Past the new certificate's lifetime rule (a third of 90 days left).
        let new_cert = engine.cert(&s.id).expect("the certificate");
        let later = new_cert.info.not_before + Duration::days(61);
        clock.set(later);
        let second = rx.recv().await.expect("a pass").expect("it ran");
        assert_eq!(second.at, later);
        assert_eq!(second.outcomes.len(), 1, "{second:?}");
        assert_eq!(second.outcomes[0].action, Action::Renewed);
        assert_eq!(engine.history(&s.id).expect("history").len(), 3);
        task.abort();
    });
}

#[test]
fn a_certificate_renewed_by_hand_gets_a_daily_reminder_instead_of_an_order() {
    let s = setup(90, false);
    // Without the built-in responder nobody answers http-01 but the administrator.
    s.cd.json(["settings", "set", "http01.listen", ""]);
    let orders = s.proxy.events_of("newOrder").len();
    let early = s.not_before + Duration::days(59);
    assert_eq!(
        s.pass(early).json()["outcomes"],
        json!([]),
        "the window is not open yet"
    );

    let due = s.not_before + Duration::days(61);
    let out = s.pass(due);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["outcomes"][0]["action"], "reminder", "{report:#}");
    let text =
        s.cd.run(["renew", "--due", "--now", &rfc(due + Duration::days(1))]);
    assert!(text.stdout.contains("by hand"), "{text}");
    // Once a day, not at every pass.
    let again = s.pass(due + Duration::days(1) + Duration::hours(1));
    assert_eq!(again.json()["outcomes"], json!([]));
    assert_eq!(
        s.proxy.events_of("newOrder").len(),
        orders,
        "no order was placed"
    );
    assert_eq!(s.versions(), 1);
}

/// Writes `pem` and its intermediates `chain_pem` as one bundle in the test's scratch folder and
/// checks it against `root_pem` ([`verify_chain`]).
fn verifies_against(s: &Setup, pem: &str, chain_pem: &str, root_pem: &str) -> bool {
    let dir = s.cd.dir();
    let (bundle, root) = (dir.join("bundle.pem"), dir.join("root.pem"));
    std::fs::write(&bundle, format!("{pem}{chain_pem}")).unwrap();
    std::fs::write(&root, root_pem).unwrap();
    verify_chain(&bundle, &root).is_ok()
}

#[test]
fn after_two_failures_in_a_row_the_fallback_ca_renews_and_the_request_keeps_its_own_ca() {
    let s = setup(90, false);
    // A second CA, validating http-01 at the port the built-in responder answers on.
    let second = Pebble::builder()
        .validity_days(90)
        .config("httpPort", json!(s.pebble.http_port()))
        .start();
    let second_dir = second.directory_url();
    common::register_as(&s.cd, "second", &second);

    // The fallback must be another registered account; the wording says what to do.
    let own = s.cd.run(["request", "set-fallback", &s.id, "pebble"]);
    own.assert_code(1);
    assert!(
        own.stderr.contains("must be an account at another CA"),
        "{own}"
    );
    let unknown = s.cd.run([
        "request",
        "set-fallback",
        &s.id,
        "https://acme.example.net/directory",
    ]);
    unknown.assert_code(1);
    assert!(
        unknown
            .stderr
            .contains("register one at the fallback CA first"),
        "{unknown}"
    );
    // Named by its directory URL, kept by its name.
    let set = s.cd.json(["request", "set-fallback", &s.id, &second_dir]);
    assert_eq!(set["fallback_account"], "second", "{set:#}");
    assert_eq!(set["account"], "pebble");
    let shown = s.cd.run(["request", "show", &s.id]);
    assert!(
        shown
            .stdout
            .contains("fallback account: second (renews after failed attempts at pebble)"),
        "{shown}"
    );

    // The first CA is down: two failed attempts there, each after the last one's backoff.
    s.proxy.control(json!({ "ari": false, "down": true }));
    let mut at = s.not_before + Duration::days(61);
    for failures in 1..=2 {
        let out = s.pass(at);
        out.assert_code(2);
        let report = out.json();
        let failed = &report["outcomes"][0];
        assert_eq!(failed["action"], "failed", "{report:#}");
        assert!(
            failed["error"]
                .as_str()
                .unwrap()
                .contains("could not reach the CA"),
            "{report:#}"
        );
        assert_eq!(failed["request"], Value::Null);
        let dry = s.dry_run(at, at);
        assert_eq!(dry, json!([]), "held back by the backoff: {dry:#}");
        let next = time_of(&failed["next_attempt"]);
        assert!(next > at, "failure {failures}: {next}");
        at = next;
    }
    assert_eq!(s.versions(), 1);

    // The third attempt is the fallback's, and the administrator is told so by e-mail.
    let sink = SmtpSink::start();
    configure(&s.cd, sink.port(), Security::None);
    let out = s.pass(at);
    out.assert_success();
    let mail = sink.message(1);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("Issued through the fallback CA account second"),
        "{mail:#}"
    );
    let report = out.json();
    assert_eq!(report["outcomes"][0]["action"], "renewed", "{report:#}");
    assert_eq!(report["outcomes"][0]["request"]["order_account"], "second");
    let history = s.cd.json(["cert", "history", &s.id]);
    assert_eq!(history.as_array().unwrap().len(), 2, "{history:#}");
    assert_eq!(history[0]["issued_by"]["account"], "pebble", "{history:#}");
    assert_eq!(
        history[1]["issued_by"],
        json!({ "account": "second", "directory_url": second_dir })
    );
    let (pem, chain) = (
        history[1]["certificate_pem"].as_str().unwrap(),
        history[1]["chain_pem"].as_str().unwrap(),
    );
    assert!(verifies_against(
        &s,
        pem,
        chain,
        &second.issuance_root_pem()
    ));
    assert!(!verifies_against(
        &s,
        pem,
        chain,
        &s.pebble.issuance_root_pem()
    ));
    let text = s.cd.run(["cert", "history", &s.id]);
    assert!(text.stdout.contains(&second_dir), "{text}");

    // The request keeps its own CA: the next renewal, with the first CA back, is ordered there.
    let request = s.cd.json(["request", "show", &s.id]);
    assert_eq!(request["account"], "pebble", "{request:#}");
    assert_eq!(request["fallback_account"], "second");
    s.proxy.control(json!({ "ari": false }));
    let orders = s.proxy.events_of("newOrder").len();
    let next = time_of(&history[1]["not_before"]) + Duration::days(61);
    let out = s.pass(next);
    out.assert_success();
    assert_eq!(out.json()["outcomes"][0]["action"], "renewed", "{out}");
    assert_eq!(s.proxy.events_of("newOrder").len(), orders + 1);
    let history = s.cd.json(["cert", "history", &s.id]);
    assert_eq!(history[2]["issued_by"]["account"], "pebble", "{history:#}");

    // `--none` takes the fallback away.
    let none = s.cd.json(["request", "set-fallback", &s.id, "--none"]);
    assert_eq!(none.get("fallback_account"), None, "{none:#}");
}

#[test]
fn a_rate_limited_ca_is_left_alone_until_its_retry_after_and_then_renews() {
    let s = setup(90, false);
    let due = s.not_before + Duration::days(61);
    s.proxy.control(json!({
        "ari": false,
        "refuse_orders": {
            "status": 429,
            "type": "rateLimited",
            "detail": "too many new orders recently: see https://letsencrypt.org/docs/rate-limits/",
            "retry_after": 7200,
        },
    }));
    let out = s.pass(due);
    out.assert_code(2);
    let report = out.json();
    let failed = &report["outcomes"][0];
    assert_eq!(failed["action"], "failed", "{report:#}");
    // The CA's problem, whole.
    let error = failed["error"].as_str().unwrap();
    for part in [
        "urn:ietf:params:acme:error:rateLimited",
        "(HTTP 429)",
        "too many new orders recently: see https://letsencrypt.org/docs/rate-limits/",
        "Retry-After: 7200 seconds",
    ] {
        assert!(error.contains(part), "{part:?} in {error}");
    }
    let request = s.cd.json(["request", "show", &s.id]);
    assert_eq!(
        request["problem"]["type"], "urn:ietf:params:acme:error:rateLimited",
        "{request:#}"
    );
    assert_eq!(request["problem"]["retry_after_secs"], 7200);
    // Not the 15 minutes of a first failure: the CA's two hours.
    let next = time_of(&failed["next_attempt"]);
    assert_eq!(next, due + Duration::seconds(7200));

    // An hour later nothing is ordered, and the pass says why it waits.
    let orders = s.proxy.events_of("newOrder").len();
    let hour = due + Duration::hours(1);
    let out = s.pass(hour);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["outcomes"], json!([]), "{report:#}");
    assert_eq!(report["held"][0]["held_by"], "ca_asked", "{report:#}");
    assert_eq!(time_of(&report["held"][0]["next_attempt"]), next);
    assert_eq!(s.proxy.events_of("newOrder").len(), orders, "no new order");
    let text = s.cd.run(["renew", "--due", "--now", &rfc(hour)]);
    assert!(
        text.stdout.contains(&format!(
            "next attempt not before {}: the CA asked to wait",
            rfc(next)
        )),
        "{text}"
    );
    // The dry run lists it only from the CA's time on.
    assert_eq!(s.dry_run(hour, next - Duration::seconds(1)), json!([]));
    let dry = s.dry_run(hour, next);
    assert_eq!(listed(&dry), vec![s.id.as_str()], "{dry:#}");
    assert_eq!(dry[0]["held_by"], "ca_asked");

    // At the CA's time, with the limit lifted, it renews.
    s.proxy.control(json!({ "ari": false }));
    let out = s.pass(next);
    out.assert_success();
    assert_eq!(out.json()["outcomes"][0]["action"], "renewed", "{out}");
    assert_eq!(s.versions(), 2);
}

#[test]
fn a_stale_renew_now_answer_gets_at_most_three_orders_a_day_and_says_why_the_rest_wait() {
    let s = setup(90, true);
    // Whole seconds: the daily guard keeps the orders' times to the second.
    let start = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp())
        .expect("a time");
    // Whatever certificate it is asked about, the CA answers "replace now" (Pebble answers per
    // certificate: each new one is given the same answer).
    let stale = || s.ari_window(start - Duration::days(2), start - Duration::days(1));
    let mut now = start;
    for n in 1..=3 {
        stale();
        let out = s.pass(now);
        out.assert_success();
        let report = out.json();
        assert_eq!(
            report["outcomes"][0]["action"], "renewed",
            "{n}: {report:#}"
        );
        assert_eq!(report["outcomes"][0]["reason"]["rule"], "ari_now");
        now += Duration::minutes(10);
    }
    assert_eq!(s.versions(), 4);
    let orders = s.proxy.events_of("newOrder").len();
    assert_eq!(orders, 4, "the first issue and three renewals");
    stale();

    // The rest of the day every pass waits, and says why.
    let limit_ends = start + Duration::days(1);
    while now < limit_ends - Duration::hours(1) {
        let out = s.pass(now);
        out.assert_success();
        let report = out.json();
        assert_eq!(report["outcomes"], json!([]), "{report:#}");
        let held = &report["held"][0];
        assert_eq!(held["held_by"], "daily_limit", "{report:#}");
        assert_eq!(time_of(&held["next_attempt"]), limit_ends);
        now += Duration::hours(5);
    }
    assert_eq!(s.proxy.events_of("newOrder").len(), orders);
    let text = s.cd.run([
        "renew",
        "--due",
        "--now",
        &rfc(limit_ends - Duration::minutes(1)),
    ]);
    assert!(
        text.stdout.contains(&format!("waiting {} ({NAME})", s.id))
            && text.stdout.contains(
                "3 orders for it in the last 24 hours, the most certdesk places in a day"
            ),
        "{text}"
    );
    assert_eq!(s.versions(), 4);

    // A day after the first of them, the next order goes through.
    let out = s.pass(limit_ends);
    out.assert_success();
    assert_eq!(out.json()["outcomes"][0]["action"], "renewed", "{out}");
    assert_eq!(s.versions(), 5);
}

#[test]
fn an_already_replaced_refusal_orders_again_without_replaces_and_says_so() {
    let s = setup(90, true);
    let now = OffsetDateTime::now_utc();
    let (start, end) = (now + Duration::hours(1), now + Duration::hours(3));
    s.ari_window(start, end);
    s.pass(now).assert_success();
    let plan = &s.dry_run(now, end - Duration::seconds(1))[0]["plan"];
    assert_eq!(plan["reason"]["rule"], "ari", "{plan:#}");
    let at = time_of(&plan["at"]);
    // The CA refuses the orders that name a certificate they replace, as when an earlier
    // order (cut off, or another client's) already replaces it.
    s.proxy.control(json!({
        "retry_after": 3600,
        "refuse_orders": {
            "status": 409,
            "type": "alreadyReplaced",
            "detail": "certificate already has a replacement order",
            "replacing": true,
        },
    }));
    let out = s.cd.run(["renew", "--due", "--now", &rfc(at)]);
    out.assert_success();
    assert!(
        out.stdout.contains(
            "the CA said the certificate was already replaced (alreadyReplaced: an earlier \
             renewal's order names it), so the order was placed again without `replaces`"
        ),
        "{out}"
    );
    assert_eq!(s.versions(), 2);
    let orders = s.proxy.events_of("newOrder");
    assert_eq!(
        orders.len(),
        3,
        "issue, refused renewal, renewal: {orders:?}"
    );
    assert!(orders[1]["replaces"].is_string(), "{orders:?}");
    assert_eq!(orders[1]["refused"], true, "{orders:?}");
    assert_eq!(orders[2]["replaces"], Value::Null, "{orders:?}");
    assert_eq!(orders[2]["refused"], false, "{orders:?}");
}
