//! Notice channels against a local HTTPS receiver (`tests/fakes/notice_receiver.py`) that accepts
//! only each service's documented payload: `certdesk notify add/list/show/test` for the signed
//! webhook, Slack, Teams and ntfy; a wrong signature, token or shape refused and said so; a
//! channel that answers 500, redirects or does not listen named in the error; a real renewal
//! failure reaching the webhook while a broken channel beside it fails alone; and no channel
//! secret in the data folder in clear.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use time::Duration;

use crate::common::ari::{rfc, Saved};
use crate::common::notice_receiver::NoticeReceiver;
use crate::common::{free_port, Certdesk};

const SECRET: &str = "whsec-5d1f0c7e-signing";
const TOKEN: &str = "tk_e2e0123456789abcdef";

/// A receiver that takes [`SECRET`] and [`TOKEN`], and a fresh data folder: each test's start.
fn started() -> (NoticeReceiver, Certdesk) {
    (NoticeReceiver::start(SECRET, TOKEN), Certdesk::new())
}

/// `certdesk notify add` of channel `name` of `kind` from the configuration `file`.
fn add_command<'a>(kind: &'a str, name: &'a str, file: &'a Path) -> [&'a str; 8] {
    let file = file.to_str().expect("UTF-8");
    [
        "notify", "add", "--kind", kind, "--name", name, "--config", file,
    ]
}

/// Writes `config` (with the receiver's CA as `ca_certificate`) and runs `notify add`.
fn add(cd: &Certdesk, rx: &NoticeReceiver, kind: &str, name: &str, mut config: Value) -> Value {
    config["ca_certificate"] = json!(rx.ca_path());
    let file = config_file(cd, name, &config);
    cd.json(add_command(kind, name, &file))
}

fn config_file(cd: &Certdesk, name: &str, config: &Value) -> PathBuf {
    let file = cd.dir().join(format!("{name}.json"));
    fs::write(&file, config.to_string()).expect("write the config");
    file
}

/// The four kinds, each at its path of `rx`.
fn add_all(cd: &Certdesk, rx: &NoticeReceiver) {
    add(
        cd,
        rx,
        "webhook",
        "hook",
        json!({"url": rx.url("/webhook"), "secret": SECRET}),
    );
    add(
        cd,
        rx,
        "slack",
        "chat",
        json!({"url": rx.url("/slack/T000/B000/XYZsecretpath")}),
    );
    add(
        cd,
        rx,
        "teams",
        "team",
        json!({"url": rx.url("/teams/workflows/abcSECRETdef")}),
    );
    add(
        cd,
        rx,
        "ntfy",
        "phone",
        json!({"url": rx.url("/ntfy"), "topic": "certs", "token": TOKEN}),
    );
}

/// A header of a recorded request, its name in any case.
fn header<'a>(record: &'a Value, name: &str) -> &'a str {
    record["headers"]
        .as_object()
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn body_json(record: &Value) -> Value {
    serde_json::from_str(record["body"].as_str().expect("a body")).expect("a JSON body")
}

#[test]
fn each_kind_is_added_listed_and_tested_against_its_documented_shape() {
    let (rx, cd) = started();
    add_all(&cd, &rx);

    let listed = cd.json(["notify", "list"]);
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["chat", "hook", "phone", "team"], "{listed:#}");
    let text = cd.run(["notify", "list"]);
    assert!(text.stdout.contains("chat\tslack\tenabled"), "{text}");
    let chat = cd.json(["notify", "show", "chat"]);
    assert_eq!(
        chat["secrets_set"],
        json!(["url"]),
        "the Slack URL is the secret: {chat:#}"
    );
    assert!(chat["fields"].get("url").is_none(), "{chat:#}");

    for name in ["hook", "chat", "team", "phone"] {
        let out = cd.run(["notify", "test", name]);
        out.assert_success();
        assert!(out.stdout.contains("accepted it"), "{out}");
    }
    assert!(
        rx.records("rejected").is_empty(),
        "{:#?}",
        rx.records("rejected")
    );

    let hook = &rx.accepted_at("/webhook")[0];
    assert!(header(hook, "X-Certdesk-Signature").starts_with("sha256="));
    assert_eq!(header(hook, "X-Certdesk-Event"), "test");
    assert_eq!(body_json(hook)["event"], "test");
    let slack = body_json(&rx.accepted_at("/slack/")[0]);
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .contains("certdesk test notice"),
        "{slack}"
    );
    let teams = body_json(&rx.accepted_at("/teams/")[0]);
    assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
    let ntfy = &rx.accepted_at("/ntfy/")[0];
    assert_eq!(ntfy["path"], "/ntfy/certs");
    assert_eq!(header(ntfy, "Title"), "certdesk test notice (phone)");
    assert_eq!(header(ntfy, "Tags"), "test_tube");

    let shown = cd.json(["notify", "show", "phone"]);
    assert_eq!(shown["last_test"]["ok"], true, "{shown:#}");
    cd.run(["notify", "delete", "phone"]).assert_failure();
    cd.run(["notify", "delete", "--yes", "phone"])
        .assert_success();
    assert_eq!(cd.json(["notify", "list"]).as_array().unwrap().len(), 3);
}

#[test]
fn a_wrong_secret_token_or_shape_is_refused_and_the_error_says_what_the_receiver_answered() {
    let (rx, cd) = started();
    add(
        &cd,
        &rx,
        "webhook",
        "forged",
        json!({"url": rx.url("/webhook"), "secret": "not-it"}),
    );
    add(
        &cd,
        &rx,
        "ntfy",
        "stranger",
        json!({"url": rx.url("/ntfy"), "topic": "certs", "token": "tk_wrong"}),
    );
    // Slack's payload at a Teams hook: the receiver wants an Adaptive Card there.
    add(
        &cd,
        &rx,
        "slack",
        "misfiled",
        json!({"url": rx.url("/teams/x")}),
    );

    let out = cd.run(["notify", "test", "forged"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("HTTP 401") && out.stderr.contains("bad signature"),
        "{out}"
    );
    let out = cd.run(["notify", "test", "stranger"]);
    assert!(
        out.stderr.contains("HTTP 401") && out.stderr.contains("unauthorized"),
        "{out}"
    );
    let out = cd.run(["notify", "test", "misfiled"]);
    assert!(
        out.stderr.contains("HTTP 400") && out.stderr.contains("\"message\""),
        "{out}"
    );
    assert!(
        !out.stderr.contains("/teams/x"),
        "the URL (the credential) is not quoted: {out}"
    );
    assert!(
        rx.records("accepted").is_empty(),
        "{:#?}",
        rx.records("accepted")
    );
    assert_eq!(rx.records("rejected").len(), 3);

    let shown = cd.json(["notify", "show", "forged"]);
    assert_eq!(shown["last_test"]["ok"], false, "{shown:#}");

    let plain = config_file(&cd, "plain", &json!({"url": "http://127.0.0.1:1/hook"}));
    let out = cd.run(add_command("slack", "plain", &plain));
    out.assert_code(1);
    assert!(out.stderr.contains("https:// URL"), "{out}");
    let out = cd.run(add_command("pager", "p", &plain));
    assert!(out.stderr.contains("webhook, slack, teams, ntfy"), "{out}");
}

#[test]
fn a_channel_that_fails_answers_500_redirects_or_does_not_listen_is_named_in_the_error() {
    let (rx, cd) = started();
    add(
        &cd,
        &rx,
        "webhook",
        "broken",
        json!({"url": rx.url("/fail"), "secret": SECRET}),
    );
    add(
        &cd,
        &rx,
        "webhook",
        "moved",
        json!({"url": rx.url("/moved"), "secret": SECRET}),
    );
    let nobody = format!("https://127.0.0.1:{}/hook", free_port());
    add(
        &cd,
        &rx,
        "webhook",
        "gone",
        json!({"url": nobody, "secret": SECRET}),
    );

    let out = cd.run(["notify", "test", "broken"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("answered HTTP 500")
            && out.stderr.contains("receiver broke: on purpose"),
        "{out}"
    );
    let out = cd.run(["notify", "test", "moved"]);
    assert!(
        out.stderr.contains("HTTP 302") && out.stderr.contains("does not follow"),
        "{out}"
    );
    assert!(
        rx.accepted_at("/webhook").is_empty(),
        "the redirect was not followed"
    );
    let out = cd.run(["notify", "test", "gone"]);
    out.assert_code(2);
    assert!(out.stderr.contains("cannot reach 127.0.0.1"), "{out}");
}

#[test]
fn a_failed_renewal_reaches_the_webhook_and_a_broken_channel_beside_it_fails_alone() {
    let s = Saved::issue("notify.example.com", 90, false);
    let rx = NoticeReceiver::start(SECRET, TOKEN);
    add(
        &s.cd,
        &rx,
        "slack",
        "broken",
        json!({"url": rx.url("/fail")}),
    );
    add(
        &s.cd,
        &rx,
        "webhook",
        "hook",
        json!({"url": rx.url("/webhook"), "secret": SECRET}),
    );
    let off = add(
        &s.cd,
        &rx,
        "ntfy",
        "off",
        json!({"url": rx.url("/ntfy"), "topic": "t", "token": TOKEN}),
    );
    assert_eq!(off["enabled"], true);
    s.cd.json(["notify", "disable", "off"]);

    s.proxy.control(json!({ "ari": false, "down": true }));
    let due = s.not_before + Duration::days(61);
    let out = s.cd.run(["--json", "renew", "--due", "--now", &rfc(due)]);
    out.assert_code(2);
    let report = out.json();
    assert_eq!(report["outcomes"][0]["action"], "failed", "{report:#}");
    let errors = report["mail_errors"].to_string();
    assert!(
        errors.contains("\\\"broken\\\"") && errors.contains("HTTP 500"),
        "{report:#}"
    );
    assert!(
        !errors.contains("hook"),
        "the webhook did not fail: {report:#}"
    );

    let delivered = rx.accepted_at("/webhook");
    assert_eq!(delivered.len(), 1, "{:#?}", rx.records("accepted"));
    let notice = body_json(&delivered[0]);
    assert_eq!(notice["event"], "failed", "{notice:#}");
    assert_eq!(notice["certificates"][0]["id"], s.id.as_str());
    assert_eq!(
        notice["certificates"][0]["names"],
        json!(["notify.example.com"])
    );
    assert!(notice["subject"]
        .as_str()
        .unwrap()
        .contains("Renewal of notify.example.com failed"));
    assert!(notice["notice"]["next_attempt"].is_string(), "{notice:#}");
    assert!(
        rx.accepted_at("/ntfy/").is_empty(),
        "a disabled channel gets nothing"
    );
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read the data folder") {
        let path = entry.expect("an entry").path();
        match path.is_dir() {
            true => files(&path, out),
            false => out.push(path),
        }
    }
}

#[test]
fn no_channel_secret_is_in_the_data_folder_in_clear() {
    let (rx, cd) = started();
    add_all(&cd, &rx);
    cd.run(["notify", "test", "hook"]).assert_success();
    for name in ["hook", "chat", "team", "phone"] {
        fs::remove_file(cd.dir().join(format!("{name}.json"))).expect("remove the config");
    }
    let mut all = Vec::new();
    files(cd.data_dir(), &mut all);
    assert!(!all.is_empty());
    for secret in [SECRET, TOKEN, "XYZsecretpath", "abcSECRETdef"] {
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for path in &all {
            let bytes = fs::read(path).expect("read");
            for needle in [secret.as_bytes(), hex.as_bytes()] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} holds a channel secret in clear",
                    path.display()
                );
            }
        }
    }
}
