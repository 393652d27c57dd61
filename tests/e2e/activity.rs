//! The activity log (`certdesk log`): a register → issue → renew → revoke sequence through the
//! CLI against Pebble behind the CA proxy, each step an entry with face "cli" and its outcome, a
//! refused order with the CA's problem whole; `--cert` and `--since` filter, `--csv` reads back
//! with Python's csv module with the CA's commas, quotes and line break in one field; and a
//! renewal by `certdesk daemon`'s scheduler is the scheduler's; a certificate export, a DNS
//! account add and a notice channel add are each logged, done or refused.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

use crate::common::ari::{rfc, Saved};
use crate::common::Create;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// A CA's detail that CSV must quote: a comma, quotes and a line break.
const TRICKY: &str = "refused, \"not today\"\nsecond line";

fn entries(log: &Value) -> &Vec<Value> {
    log.as_array().expect("the log is a list")
}

/// `(action, face, status)` of each entry.
fn steps(log: &Value) -> Vec<(String, String, String)> {
    entries(log)
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("action").to_owned(),
                e["face"].as_str().expect("face").to_owned(),
                e["outcome"]["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

fn step(action: &str, face: &str, status: &str) -> (String, String, String) {
    (action.to_owned(), face.to_owned(), status.to_owned())
}

#[test]
fn each_step_of_the_cli_is_logged_with_its_outcome_and_the_cas_problem() {
    let s = Saved::issue("activity.example.com", 90, false);
    let after_issue = OffsetDateTime::now_utc();

    // A refused order: the CA's problem, whole, on a failed entry.
    s.proxy.control(json!({
        "ari": false,
        "refuse_orders": { "status": 400, "type": "rejectedIdentifier", "detail": TRICKY },
    }));
    s.cd.run(Create::new(&["refused.example.com"], "http-01"))
        .assert_code(2);
    s.proxy.control(json!({ "ari": false }));

    // Renewed by a pass of `renew --due` and revoked, both from the CLI.
    let due = s.not_before + Duration::days(61);
    s.cd.run(["renew", "--due", "--now", &rfc(due)])
        .assert_success();
    s.cd.json(["cert", "revoke", &s.id]);

    let log = s.cd.json(["log"]);
    let all = steps(&log);
    for expected in [
        step("register_account", "cli", "ok"),
        step("update_settings", "cli", "ok"),
        step("create_request", "cli", "ok"),
        step("verify_request", "cli", "ok"),
        step("save_certificate", "cli", "ok"),
        step("create_request", "cli", "failed"),
        step("renew", "cli", "ok"),
        step("revoke", "cli", "ok"),
    ] {
        assert!(all.contains(&expected), "{expected:?} in {log:#}");
    }
    let times: Vec<&str> = entries(&log)
        .iter()
        .map(|e| e["time"].as_str().expect("time"))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");

    let refused = entries(&log)
        .iter()
        .find(|e| e["outcome"]["status"] == "failed")
        .expect("the refused order");
    assert_eq!(refused["subject"]["names"], json!(["refused.example.com"]));
    let problem = &refused["outcome"]["problem"];
    assert_eq!(
        problem["type"], "urn:ietf:params:acme:error:rejectedIdentifier",
        "{refused:#}"
    );
    assert_eq!(problem["detail"], TRICKY, "{refused:#}");
    assert_eq!(problem["status"], 400, "{refused:#}");

    let renewed = entries(&log)
        .iter()
        .find(|e| e["action"] == "renew")
        .expect("the renewal");
    assert_eq!(renewed["subject"]["request"], s.id.as_str());
    assert!(
        renewed["outcome"]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("renewed")),
        "{renewed:#}"
    );

    // --cert: the certificate's own steps, in order.
    let of_cert = s.cd.json(["log", "--cert", &s.id]);
    assert_eq!(
        steps(&of_cert),
        [
            step("create_request", "cli", "ok"),
            step("verify_request", "cli", "ok"),
            step("save_certificate", "cli", "ok"),
            step("renew", "cli", "ok"),
            step("revoke", "cli", "ok"),
        ],
        "{of_cert:#}"
    );

    // --since: a range from a time (RFC 3339), or an age.
    let since = s.cd.json(["log", "--since", &rfc(after_issue)]);
    assert_eq!(
        steps(&since),
        [
            step("create_request", "cli", "failed"),
            step("renew", "cli", "ok"),
            step("revoke", "cli", "ok"),
        ],
        "{since:#}"
    );
    assert_eq!(
        entries(&s.cd.json(["log", "--since", "1h"])).len(),
        all.len()
    );
    let bad = s.cd.run(["log", "--since", "soon"]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("neither an RFC 3339 time"), "{bad}");

    // --csv: Python's csv module reads every entry back, the CA's detail in one field.
    let csv = s.cd.run(["log", "--csv"]);
    csv.assert_success();
    let rows = python_csv(&csv.stdout);
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), all.len() + 1, "a header and a row per entry");
    assert_eq!(rows[0][0], "time");
    let failed = rows
        .iter()
        .find(|r| r[7] == "failed")
        .expect("the failed row");
    assert_eq!(failed[2], "create_request");
    let in_csv: Value =
        serde_json::from_str(failed[9].as_str().expect("problem")).expect("the problem's JSON");
    assert_eq!(in_csv["detail"], TRICKY);
}

/// `certdesk ARGS…` with `config` written to a file as its `--config`.
fn with_config(s: &Saved, args: &[&str], name: &str, config: Value) -> crate::common::Output {
    let file = s.cd.dir().join(format!("{name}.json"));
    std::fs::write(&file, config.to_string()).expect("write the config");
    let mut args = args.to_vec();
    args.extend(["--name", name, "--config", file.to_str().expect("UTF-8")]);
    s.cd.run(args)
}

#[test]
fn an_export_a_dns_account_and_a_channel_are_logged_with_their_face_and_outcome() {
    let s = Saved::issue("configured.example.com", 90, false);
    let pem = s.cd.dir().join("out.pem");
    let pem = pem.to_str().expect("UTF-8");
    s.cd.run(["cert", "export", &s.id, "--format", "pem", "--out", pem])
        .assert_success();
    s.cd.run(["cert", "export", "nosuch", "--format", "pem", "--out", pem])
        .assert_code(1);

    let script = ["dns", "add", "--provider", "script"];
    with_config(&s, &script, "hook", json!({"command": "/bin/true"})).assert_success();
    // One DNS account per provider: the second is refused.
    let again = with_config(&s, &script, "hook2", json!({"command": "/bin/true"}));
    again.assert_code(1);

    let slack = ["notify", "add", "--kind", "slack"];
    let url = "https://hooks.example/services/T0/B0/x";
    with_config(&s, &slack, "chat", json!({ "url": url })).assert_success();
    let plain = with_config(&s, &slack, "plain", json!({"url": "http://hooks.example/"}));
    plain.assert_code(1);

    let log = s.cd.json(["log"]);
    let of = |action: &str| -> Vec<(String, String, String)> {
        entries(&log)
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| {
                let about = match e["subject"]["target"].as_str() {
                    Some(target) => target.to_owned(),
                    None => e["subject"]["request"].as_str().unwrap_or("").to_owned(),
                };
                let face = e["face"].as_str().expect("face").to_owned();
                (
                    about,
                    face,
                    e["outcome"]["status"].as_str().expect("status").to_owned(),
                )
            })
            .collect()
    };
    let cli = |about: &str, status: &str| (about.to_owned(), "cli".to_owned(), status.to_owned());
    assert_eq!(
        of("export_certificate"),
        [cli("pem", "ok"), cli("nosuch", "failed")],
        "{log:#}"
    );
    assert_eq!(
        of("add_dns_account"),
        [cli("hook", "ok"), cli("hook2", "failed")],
        "{log:#}"
    );
    assert_eq!(
        of("add_notice_channel"),
        [cli("chat", "ok"), cli("plain", "failed")],
        "{log:#}"
    );
    let export = entries(&log)
        .iter()
        .find(|e| e["action"] == "export_certificate")
        .expect("the export");
    assert_eq!(export["subject"]["request"], s.id.as_str(), "{export:#}");
    let refused = entries(&log)
        .iter()
        .find(|e| e["action"] == "add_dns_account" && e["outcome"]["status"] == "failed")
        .expect("the refused account");
    let message = refused["outcome"]["message"].as_str().unwrap_or("");
    assert!(message.contains("one account per provider"), "{refused:#}");
    assert!(
        !log.to_string().contains("T0/B0"),
        "a Slack URL is the credential and stays out of the log: {log:#}"
    );
}

/// `text` read by Python's csv module, as JSON rows.
fn python_csv(text: &str) -> Value {
    let mut python = Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("written to python");
    let out = python.wait_with_output().expect("python ends");
    assert!(out.status.success(), "python's csv module failed");
    serde_json::from_slice(&out.stdout).expect("python's JSON")
}

#[test]
fn a_renewal_by_the_daemons_scheduler_is_the_schedulers() {
    let s = Saved::issue("scheduled.example.com", 90, true);
    // The CA's window lies in the past: the daemon's first pass renews at once.
    let now = OffsetDateTime::now_utc();
    s.window(now - Duration::days(2), now - Duration::days(1));
    let mut daemon = s.cd.spawn(["daemon"]);
    daemon.wait_for_output(&format!("renewed {}", s.id), StdDuration::from_secs(120));
    daemon.signal("TERM");
    daemon.wait(StdDuration::from_secs(30)).assert_success();

    let log = s.cd.json(["log", "--cert", &s.id]);
    let last = entries(&log).last().expect("entries");
    assert_eq!(
        (&last["action"], &last["face"], &last["outcome"]["status"]),
        (&json!("renew"), &json!("scheduler"), &json!("ok")),
        "{log:#}"
    );
}
