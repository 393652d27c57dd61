//! Faults a real deployment meets: a CA that rejects nonces, a CA that goes away mid-order, and
//! a certdesk process killed in the middle of verification.

use std::time::Duration;

use crate::common::{register, Certdesk, Create, Pebble};
use serde_json::Value;

fn create(cd: &Certdesk, name: &str) -> String {
    let v: Value = cd.json(Create::new(&[name], "http-01"));
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn rejected_nonces_are_retried_until_issued() {
    // Pebble rejects 30 % of good nonces: most steps meet at least one rejection.
    let pebble = Pebble::builder().nonce_reject(30).start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let ids: Vec<String> = (0..3)
        .map(|i| create(&cd, &format!("nonce{i}.example.com")))
        .collect();
    let mut args = vec![
        "request".to_owned(),
        "verify".into(),
        "--http-listen".into(),
        listen.clone(),
    ];
    args.extend(ids.iter().cloned());
    let results = cd.json(&args);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(results[i]["status"], "available", "{}", results[i]);
        cd.json(["cert", "save", id]);
        let revoked = cd.json(["cert", "revoke", id]);
        assert_eq!(revoked["status"], "revoked");
    }
}

#[test]
fn a_ca_that_goes_away_mid_order_is_reported_and_the_request_kept() {
    let mut pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let id = create(&cd, "away.example.com");
    let listen = format!("127.0.0.1:{}", pebble.http_port());

    pebble.stop_pebble();
    let down = cd.run(["request", "verify", "--http-listen", &listen, &id]);
    down.assert_code(2);
    assert!(down.stderr.contains("could not reach the CA"), "{down}");
    let shown: Value = cd.json(["request", "show", &id]);
    assert!(
        shown["next_step"]
            .as_str()
            .unwrap()
            .contains(&format!("certdesk request verify {id}")),
        "the request says how to go on: {shown}"
    );
    assert_ne!(
        shown["status"], "failed",
        "a network failure does not fail the request"
    );

    // Pebble keeps nothing across a restart: the account and the order are gone, and the CA's
    // own problem document says so.
    pebble.start_pebble();
    let after = cd.run(["request", "verify", "--http-listen", &listen, &id]);
    after.assert_code(2);
    assert!(
        after.stderr.contains("urn:ietf:params:acme:error:"),
        "{after}"
    );
}

#[test]
fn a_verify_killed_at_any_moment_finishes_when_run_again() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    // Kill points spread over the life of a verification (process start, order read,
    // validation, finalisation, download, save).
    for (i, delay_ms) in [5u64, 30, 60, 90, 120, 160, 220, 300]
        .into_iter()
        .enumerate()
    {
        let id = create(&cd, &format!("kill{i}.example.com"));
        let mut child = cd.spawn(["request", "verify", "--http-listen", &listen, &id]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill();
        let again = cd.run(["request", "verify", "--http-listen", &listen, &id]);
        if !again.success() {
            // Killed while the CA was fetching the token: the responder went away under it, the
            // CA failed the challenge (as it would for any server that vanishes), and the
            // request says so. A fresh order then goes through: nothing else was lost.
            assert!(
                again
                    .stderr
                    .contains("urn:ietf:params:acme:error:connection"),
                "after a kill at {delay_ms} ms: {again}"
            );
            cd.json(["request", "new-challenge", &id]);
            cd.run(["request", "verify", "--http-listen", &listen, &id])
                .assert_success();
        }
        let shown: Value = cd.json(["request", "show", &id]);
        assert_eq!(
            shown["status"], "available",
            "after a kill at {delay_ms} ms: {shown}"
        );
        let saved = cd.json(["cert", "save", &id]);
        assert_eq!(saved["status"], "valid");
    }
    assert_eq!(cd.json(["cert", "list"]).as_array().unwrap().len(), 8);
}
