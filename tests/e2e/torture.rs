//! The store survives kills. certdesk is SIGKILLed at random moments of issuance, hundreds of
//! times; after every kill the store must open, and every step that had reported success must
//! still be there. (sled 0.34 has open reports of corruption after a kill; this is the test that
//! would tell us to move to another store.)
//!
//! `CERTDESK_TORTURE_ROUNDS` sets the number of kills (default 200); the seed is printed so that
//! a failure can be replayed with `CERTDESK_TORTURE_SEED`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{exclusive, register, Certdesk, Create, Output, Pebble};
use serde_json::Value;

/// xorshift64*: enough randomness for kill times, and replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Step {
    Verified,
    Saved,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn kills_at_random_points_lose_no_completed_step() {
    let _alone = exclusive::heavy();
    let rounds = env_u64("CERTDESK_TORTURE_ROUNDS").unwrap_or(200);
    let seed = env_u64("CERTDESK_TORTURE_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    println!("torture: {rounds} rounds, seed {seed}");
    let mut rng = Rng(seed);

    let pebble = Pebble::start();
    let cd = Certdesk::new().json_output(true);
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());

    // What certdesk reported as done, and must therefore never lose.
    let mut done: BTreeMap<String, Step> = BTreeMap::new();
    let mut names = 0;
    let mut kills = 0;
    while kills < rounds {
        let args = next_step(&cd, &listen).unwrap_or_else(|| {
            names += 1;
            create_args(names)
        });
        let mut child = cd.spawn(&args);
        // Mostly a kill within the command's life; now and then it may finish, so that the
        // test moves on.
        std::thread::sleep(Duration::from_millis(rng.below(500)));
        let out = child.kill();
        if out.code.is_none() {
            kills += 1;
        } else {
            assert!(
                out.success() || ca_refused(&out),
                "a step failed without being killed:\n{out}"
            );
        }
        if out.success() {
            record(&mut done, &args);
        }
        check(&cd, &done);
    }
    // Finish what is open without kills: the store still works after all of them. The last
    // kill may have caught a verify while the CA was validating, so one refusal per request is
    // still the CA's; a second would be certdesk's.
    let mut refused = BTreeSet::new();
    while let Some(args) = next_step(&cd, &listen) {
        let out = cd.run(&args);
        let id = args.last().unwrap().clone();
        if !(ca_refused(&out) && refused.insert(id)) {
            out.assert_success();
            record(&mut done, &args);
        }
    }
    check(&cd, &done);
    let saved: BTreeSet<String> = cd
        .run(["cert", "list"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let requests = cd.run(["request", "list"]).json();
    assert_eq!(
        saved.len(),
        requests.as_array().unwrap().len(),
        "every request ended saved"
    );
    println!("torture: {kills} kills, {} certificates", saved.len());
}

/// The command for the next step of the first request that is not saved yet; `None` when all
/// are saved.
fn next_step(cd: &Certdesk, listen: &str) -> Option<Vec<String>> {
    let list = cd.run(["request", "list"]);
    list.assert_success();
    let requests = list.json();
    let open = requests
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] != "saved")?;
    let id = open["id"].as_str().unwrap().to_owned();
    let step: &[&str] = match open["status"].as_str() {
        Some("available") => &["cert", "save"],
        Some("failed") => &["request", "new-challenge"],
        _ => &["request", "verify", "--http-listen", listen],
    };
    Some(step.iter().map(|s| s.to_string()).chain([id]).collect())
}

fn create_args(n: u32) -> Vec<String> {
    Create::new(&[&format!("t{n}.example.com")], "http-01")
        .into_iter()
        .collect()
}

/// A verify killed while the CA was validating takes the built-in responder with it: the CA
/// then finds nobody answering and fails the order, which is what the CA's problem says.
fn ca_refused(out: &Output) -> bool {
    out.code == Some(2) && out.stdout.contains("urn:ietf:params:acme:error:")
}

/// Remembers a step that reported success.
fn record(done: &mut BTreeMap<String, Step>, args: &[String]) {
    let id = args.last().unwrap().clone();
    match (args[0].as_str(), args[1].as_str()) {
        ("cert", _) => {
            done.insert(id, Step::Saved);
        }
        ("request", "verify") => {
            done.insert(id, Step::Verified);
        }
        _ => {}
    }
}

/// The store opens, and every step reported done is still there.
fn check(cd: &Certdesk, done: &BTreeMap<String, Step>) {
    let list = cd.run(["request", "list"]);
    list.assert_success();
    let requests: BTreeMap<String, Value> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    let certs = cd.run(["cert", "list"]);
    certs.assert_success();
    let saved: BTreeSet<String> = certs
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for (id, step) in done {
        let status = requests
            .get(id)
            .unwrap_or_else(|| panic!("request {id} is gone"))["status"]
            .as_str()
            .unwrap()
            .to_owned();
        match step {
            Step::Verified => assert!(
                matches!(status.as_str(), "available" | "saved"),
                "request {id} was verified but is {status}"
            ),
            Step::Saved => {
                assert_eq!(status, "saved", "request {id}");
                assert!(saved.contains(id), "certificate {id} was saved but is gone");
            }
        }
    }
}
