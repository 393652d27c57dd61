//! dns-persist-01 and dns-account-01 against BIND and Pebble 2.10.1 resolving through it: the
//! standing record printed and written once through an RFC 2136 DNS account, the read-only check
//! at the zone's nameservers, issuance and a renewal with no DNS change (the zone's serial
//! unchanged), a wildcard only with `policy=wildcard`, and dns-account-01 published and removed
//! like dns-01 at its account-scoped name.

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::common::bind::{Bind, KEY_NAME};
use crate::common::{register, verify_chain, Certdesk, Create, Pebble};

/// BIND for example.com, Pebble resolving through it, a certdesk registered there ("pebble")
/// with the RFC 2136 DNS account "bind"; dropped certdesk first.
struct Setup {
    cd: Certdesk,
    /// The account's URL at Pebble, which its records name.
    account_url: String,
    pebble: Pebble,
    bind: Bind,
}

impl Setup {
    fn start() -> Setup {
        let bind = Bind::start(&["example.com"]);
        let pebble = Pebble::builder().dns_server(&bind.addr()).start();
        let cd = Certdesk::new();
        let account_url = register(&cd, &pebble)["url"]
            .as_str()
            .expect("the account's URL")
            .to_owned();
        crate::common::add_dns_account(
            &cd,
            "rfc2136",
            "bind",
            &json!({
                "server": bind.addr(),
                "key_name": KEY_NAME,
                "key_secret": bind.secret(),
                "algorithm": "hmac-sha256",
                "nameservers": [bind.addr()],
            }),
        )
        .assert_success();
        Setup {
            cd,
            account_url,
            pebble,
            bind,
        }
    }

    /// `dns persist-check` for `domain` through BIND; its JSON and exit code.
    fn check(&self, domain: &str) -> (Value, i32) {
        let out = self.cd.run([
            "--json",
            "dns",
            "persist-check",
            "--domain",
            domain,
            "--dns-account",
            "bind",
        ]);
        (out.json(), out.code.unwrap_or(-1))
    }

    /// Issues `names` by dns-persist-01, the lookups through the DNS account's nameservers.
    fn issue(&self, names: &[&str]) -> crate::common::Output {
        self.cd.run(Create::new(names, "dns-persist-01").with([
            "--json",
            "--dns-account",
            "bind",
            "--save",
        ]))
    }

    /// The saved certificate `id` exported as a PEM bundle, verified against Pebble's root.
    fn assert_chain_verifies(&self, id: &str) {
        let bundle = self.cd.dir().join(format!("{id}.pem"));
        self.cd
            .run([
                "cert",
                "export",
                id,
                "--format",
                "pem",
                "--out",
                bundle.to_str().unwrap(),
            ])
            .assert_success();
        let root = write(
            &self.cd,
            "pebble-root.pem",
            &self.pebble.issuance_root_pem(),
        );
        assert_eq!(verify_chain(&bundle, &root), Ok(()));
    }
}

fn write(cd: &Certdesk, name: &str, text: &str) -> PathBuf {
    let path = cd.dir().join(name);
    fs::write(&path, text).unwrap();
    path
}

fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

#[test]
fn a_standing_record_issues_and_renews_with_no_dns_change() {
    let s = Setup::start();
    let account_url = &s.account_url;

    // The record to publish: the CA's caaIdentities first, then the account.
    let printed = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
    ]);
    assert_eq!(printed["name"], "_validation-persist.example.com");
    let value = format!("pebble.letsencrypt.org; accounturi={account_url}; policy=wildcard");
    assert_eq!(printed["value"], value.as_str());
    let text = s.cd.run([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
    ]);
    assert!(text.stdout.contains(&format!("value: {value}")), "{text}");

    // Before it is published, the check names the server that lacks it, and an order stops
    // before its challenges are answered.
    let (check, code) = s.check("example.com");
    assert_eq!(code, 1, "{check:#}");
    assert_eq!(check["ok"], false);
    assert_eq!(check["servers"][0]["state"], "lacks", "{check:#}");
    assert!(
        check["servers"][0]["server"]
            .as_str()
            .unwrap()
            .contains(&s.bind.addr()),
        "{check:#}"
    );
    let refused = s.issue(&["example.com"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("_validation-persist.example.com")
            && refused.stderr.contains(&s.bind.addr()),
        "{refused}"
    );

    // Written once through the DNS account; the check then passes.
    let written = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--wildcard",
        "--write",
        "bind",
    ]);
    assert_eq!(written["value"], value.as_str());
    assert_eq!(
        s.bind.txt("_validation-persist.example.com"),
        std::slice::from_ref(&value)
    );
    let (check, code) = s.check("*.example.com");
    assert_eq!((code, &check["ok"]), (0, &json!(true)), "{check:#}");
    assert_eq!(check["servers"][0]["state"], "serves");
    // The write is in the activity log, with its domain and DNS account; the read-only
    // record and check are not.
    let log = s.cd.json(["log"]);
    let writes: Vec<&Value> = log
        .as_array()
        .expect("the log is a list")
        .iter()
        .filter(|e| e["action"] == "write_persist_record")
        .collect();
    assert_eq!(writes.len(), 1, "{log:#}");
    assert_eq!(writes[0]["subject"]["names"], json!(["example.com"]));
    assert_eq!(writes[0]["subject"]["target"], "bind");
    assert_eq!(writes[0]["outcome"]["status"], "ok");

    // Issuance and a renewal: the zone is not touched again.
    let serial = s.bind.serial("example.com");
    let out = s.issue(&["example.com", "*.example.com"]);
    out.assert_success();
    let request = out.json();
    assert_eq!(request["status"], "saved", "{request:#}");
    let id = request["id"].as_str().unwrap().to_owned();
    s.assert_chain_verifies(&id);
    let first = s.cd.json(["cert", "show", &id])["serial"].clone();

    let due = OffsetDateTime::now_utc() + Duration::days(89);
    let renewed = s.cd.run(["--json", "renew", "--due", "--now", &rfc(due)]);
    renewed.assert_success();
    let cert = s.cd.json(["cert", "show", &id]);
    assert_ne!(cert["serial"], first, "renewed: {renewed}");
    s.assert_chain_verifies(&id);
    assert_eq!(
        s.bind.serial("example.com"),
        serial,
        "no DNS change per order"
    );
    assert_eq!(s.bind.txt("_validation-persist.example.com"), [value]);
}

#[test]
fn a_wildcard_needs_policy_wildcard_and_a_past_until_is_refused() {
    let s = Setup::start();
    let past = s.cd.run([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--until",
        "2020-01-01",
    ]);
    past.assert_code(1);
    assert!(past.stderr.contains("has passed"), "{past}");

    let soon = rfc(OffsetDateTime::now_utc() + Duration::days(10));
    let written = s.cd.json([
        "dns",
        "persist-record",
        "--domain",
        "example.com",
        "--until",
        &soon,
        "--write",
        "bind",
    ]);
    assert!(
        written["notice"].as_str().unwrap().contains("days away"),
        "{written:#}"
    );
    let (check, code) = s.check("example.com");
    assert_eq!(code, 0, "{check:#}");
    assert!(
        check["warning"].as_str().unwrap().contains("persistUntil"),
        "{check:#}"
    );
    let (check, code) = s.check("*.example.com");
    assert_eq!(code, 1, "{check:#}");
    assert_eq!(check["servers"][0]["state"], "other");
    assert!(
        check["servers"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("policy=wildcard"),
        "{check:#}"
    );
    let refused = s.issue(&["*.example.com"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("policy=wildcard"), "{refused}");
    assert_eq!(s.issue(&["example.com"]).json()["status"], "saved");
}

/// `dns persist-record` for example.com with `persistUntil` `until`, written through BIND.
fn write_until(s: &Setup, until: OffsetDateTime) {
    let until = rfc(until);
    let args = [
        "--domain",
        "example.com",
        "--until",
        &until,
        "--write",
        "bind",
    ];
    s.cd.json(["dns", "persist-record"].into_iter().chain(args));
}

#[test]
fn a_near_persist_until_is_warned_about_on_the_request_until_a_fresh_record_stands() {
    let s = Setup::start();
    let now = OffsetDateTime::now_utc();
    write_until(&s, now + Duration::days(10));
    let out = s.issue(&["example.com"]);
    out.assert_success();
    let id = out.json()["id"].as_str().expect("an id").to_owned();

    // The check before the order saw a record 10 days from its end: the request says so.
    let shown = s.cd.json(["request", "show", &id]);
    assert_eq!(shown["status"], "saved", "{shown:#}");
    let warning = shown["persist_warning"].as_str().expect("a warning");
    for wanted in [
        "example.com: the record's persistUntil",
        "days away",
        "persist-record",
    ] {
        assert!(warning.contains(wanted), "{wanted:?} missing in {warning}");
    }
    let text = s.cd.run(["request", "show", &id]);
    assert!(
        text.stdout.contains(&format!("warning: {warning}")),
        "{text}"
    );

    // A record far ahead, published beside the old one: the renewal's check clears it.
    write_until(&s, now + Duration::days(400));
    let due = now + Duration::days(89);
    s.cd.run(["--json", "renew", "--due", "--now", &rfc(due)])
        .assert_success();
    let shown = s.cd.json(["request", "show", &id]);
    assert_eq!(shown["status"], "renewed", "{shown:#}");
    assert_eq!(shown["persist_warning"], Value::Null, "{shown:#}");
    let text = s.cd.run(["request", "show", &id]);
    assert!(!text.stdout.contains("warning:"), "{text}");
}

#[test]
fn dns_account_01_publishes_at_the_account_scoped_name_and_removes_it() {
    let s = Setup::start();
    let serial = s.bind.serial("example.com");
    let out =
        s.cd.run(Create::new(&["www.example.com"], "dns-account-01").with([
            "--json",
            "--dns-account",
            "bind",
            "--save",
        ]));
    out.assert_success();
    let request = out.json();
    assert_eq!(request["status"], "saved", "{request:#}");
    let name = request["challenges"][0]["record_name"].as_str().unwrap();
    assert!(
        name.starts_with('_') && name.ends_with("._acme-challenge.www.example.com"),
        "{request:#}"
    );
    assert_eq!(name.split('.').next().unwrap().len(), 17, "_ and 16 base32");
    assert!(s.bind.txt(name).is_empty(), "removed after the order");
    assert!(s.bind.serial("example.com") > serial, "written and removed");
    s.assert_chain_verifies(request["id"].as_str().unwrap());
}

#[test]
fn with_no_dns_account_a_record_published_by_hand_issues_and_a_missing_one_is_named() {
    // No DNS account: the lookups go to the system's resolver, here the BIND.
    let bind = Bind::start_as_resolver(&["example.com"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let cd = Certdesk::new().resolving_through(bind.resolv_conf());
    let account_url = register(&cd, &pebble)["url"]
        .as_str()
        .expect("the account's URL")
        .to_owned();
    // The CAA climb stops at example.com (BIND refuses the names above its zone, as no
    // recursive resolver does).
    bind.nsupdate("update add example.com. 60 CAA 0 issue \"pebble.letsencrypt.org\"");
    let value = format!("pebble.letsencrypt.org; accounturi={account_url}");
    let printed = cd.json(["dns", "persist-record", "--domain", "www.example.com"]);
    assert_eq!(printed["name"], "_validation-persist.www.example.com");
    assert_eq!(printed["value"], value.as_str());
    bind.nsupdate(&format!(
        "update add _validation-persist.www.example.com. 60 TXT \"{value}\""
    ));
    let serial = bind.serial("example.com");
    let id = |request: &Value| request["id"].as_str().expect("an id").to_owned();
    let request = cd.json(Create::new(&["www.example.com"], "dns-persist-01"));
    let www = id(&request);
    let verified = cd.json(["request", "verify", &www]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    cd.json(["cert", "save", &www]);
    let bundle = cd.dir().join("www.pem");
    cd.run([
        "cert",
        "export",
        &www,
        "--format",
        "pem",
        "--out",
        bundle.to_str().unwrap(),
    ])
    .assert_success();
    let root = write(&cd, "pebble-root.pem", &pebble.issuance_root_pem());
    assert_eq!(verify_chain(&bundle, &root), Ok(()));
    assert_eq!(bind.serial("example.com"), serial, "no DNS change");

    // Without the record the CA is not asked, and the error says what to publish where.
    let missing = id(&cd.json(Create::new(&["shop.example.com"], "dns-persist-01")));
    let refused = cd.run(["request", "verify", &missing]);
    refused.assert_code(1);
    let record = format!("TXT \"{value}\"");
    for wanted in ["_validation-persist.shop.example.com", record.as_str()] {
        assert!(
            refused.stderr.contains(wanted),
            "{wanted:?} missing in:\n{refused}"
        );
    }
}

/// What the hostile nameserver of [`Hostile`] answers.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// Bytes that are no DNS message, after the query's id.
    Garbage,
    /// A well-formed answer (an SOA for SOA, no CNAME) whose TXT set is ~60 KB of strings
    /// full of terminal escapes, NULs and invalid UTF-8.
    Huge,
    /// Nothing, ever.
    Silent,
}

/// A nameserver on a free loopback UDP port answering every query with its [`Answer`];
/// stopped when dropped.
struct Hostile {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hostile {
    fn start(answer: Answer) -> Hostile {
        use std::sync::atomic::{AtomicBool, Ordering};
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .expect("read timeout");
        let addr = socket.local_addr().expect("local address");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = reply(answer, &buf[..n]) {
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        Hostile {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reply to `query` (`None`: no reply, or a query too short to answer).
fn reply(answer: Answer, query: &[u8]) -> Option<Vec<u8>> {
    let id = query.get(..2)?;
    // The question: the name's labels up to the root, then type and class.
    let mut end = 12;
    while *query.get(end)? != 0 {
        end += 1 + usize::from(query[end]);
    }
    let question = query.get(12..end + 5)?;
    let qtype = u16::from_be_bytes([query[end + 1], query[end + 2]]);
    let mut out = id.to_vec();
    match answer {
        Answer::Silent => return None,
        Answer::Garbage => {
            out.extend((0..600u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
            return Some(out);
        }
        Answer::Huge => {}
    }
    // Records at the question's name (a pointer to offset 12), class IN, TTL 60.
    let record = |rtype: u16, rdata: &[u8]| {
        let mut r = vec![0xc0, 12];
        r.extend(rtype.to_be_bytes());
        r.extend([0, 1, 0, 0, 0, 60]);
        r.extend(
            u16::try_from(rdata.len())
                .expect("rdata fits")
                .to_be_bytes(),
        );
        r.extend(rdata);
        r
    };
    let answers: Vec<Vec<u8>> = match qtype {
        // SOA: mname and rname the question's name, then five numbers.
        6 => {
            let mut soa = vec![0xc0, 12, 0xc0, 12];
            soa.extend([0u8; 20]);
            vec![record(6, &soa)]
        }
        16 => {
            // Each value names this CA, so certdesk judges (and shows) it.
            let chunk = |head: &[u8]| -> Vec<u8> {
                let mut c = head.to_vec();
                let junk = b"\x1b]0;owned\x07\x1b[2J\0\xff\xfe".iter().cycle();
                c.extend(junk.take(255 - head.len()));
                c
            };
            (0..3)
                .map(|_| {
                    let mut txt = Vec::new();
                    for i in 0..78 {
                        let head: &[u8] = if i == 0 {
                            b"pebble.letsencrypt.org; x="
                        } else {
                            b""
                        };
                        txt.push(255);
                        txt.extend(chunk(head));
                    }
                    record(16, &txt)
                })
                .collect()
        }
        _ => Vec::new(),
    };
    out.extend([0x84, 0, 0, 1, 0, answers.len() as u8, 0, 0, 0, 0]);
    out.extend(question);
    for a in answers {
        out.extend(a);
    }
    Some(out)
}

#[test]
fn a_hostile_nameserver_gives_persist_check_a_clear_error_in_bounded_time() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    for answer in [Answer::Garbage, Answer::Huge, Answer::Silent] {
        let server = Hostile::start(answer);
        let addr = server.addr.to_string();
        let started = std::time::Instant::now();
        let out = cd.run([
            "dns",
            "persist-check",
            "--domain",
            "www.example.com",
            "--nameservers",
            &addr,
        ]);
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(30),
            "{answer:?}: {took:?}\n{out}"
        );
        assert!(!out.success(), "{answer:?}: {out}");
        assert_ne!(out.code, Some(101), "{answer:?}: a panic\n{out}");
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains("panicked"), "{answer:?}: {out}");
        assert!(
            all.contains(&addr),
            "{answer:?}: the server is named\n{out}"
        );
        // Nothing of the answer reaches the terminal raw.
        assert!(
            !all.contains(['\u{1b}', '\u{7}', '\0']),
            "{answer:?}: raw control characters\n{out:?}"
        );
    }
    // Nothing written: the account is still the only thing certdesk keeps.
    assert_eq!(cd.json(["request", "list"]), json!([]));
}
