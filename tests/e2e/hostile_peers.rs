//! Peers that fight back, played for real on loopback: a CA (Pebble behind
//! `tests/fakes/ca_proxy.py`) that drips its answer, floods it, hands out a plain http:// URL,
//! asks to wait a billion seconds (or `u64::MAX`) and writes terminal escapes into its problem;
//! and an SMTP setting that would send the password in clear. Each is asserted as the
//! administrator sees it: the exit code, the message, the time it took, the memory it took, the
//! text on the terminal, and that nothing was written or sent.

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use crate::common::ari::{due_by, rfc, time_of, Saved};
use crate::common::ca_proxy::CaProxy;
use crate::common::smtp::{configure, Security, SmtpSink};
use crate::common::{register_args, register_at, wait_until, Certdesk, Create, Output, Pebble};
use serde_json::{json, Value};
use time::Duration;

/// A CA behind the hostile proxy (`tests/fakes/hostile_ca.py`, which passes everything on
/// until its control says otherwise), and a client with no account yet.
fn hostile_ca() -> (Pebble, CaProxy, Certdesk) {
    let pebble = Pebble::start();
    let proxy = CaProxy::start_script(&pebble, "hostile_ca.py");
    (pebble, proxy, Certdesk::new())
}

/// `account terms` of the CA behind `proxy`: one request, for the directory.
fn terms(proxy: &CaProxy) -> Vec<String> {
    [
        "account",
        "terms",
        "--directory",
        &proxy.directory_url(),
        "--ca-root",
        proxy.ca_root_path(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The characters a hostile peer uses to take over a terminal: none may reach it raw.
fn assert_no_raw_controls(out: &Output) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        // A pseudo-terminal ends lines with CR LF.
        let raw: Vec<char> = text
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| {
                (c.is_control() && !matches!(c, '\n' | '\t'))
                    || ('\u{202a}'..='\u{202e}').contains(c)
            })
            .collect();
        assert!(raw.is_empty(), "raw {raw:?} on {stream}:\n{out}");
    }
}

#[test]
fn a_ca_that_drips_its_answer_is_given_up_within_a_minute() {
    let (_pebble, proxy, cd) = hostile_ca();
    proxy.control(json!({ "drip": "/dir" }));
    let started = Instant::now();
    let out = cd.run(terms(&proxy));
    let took = started.elapsed();
    eprintln!("a dripping CA: given up after {took:?}");
    out.assert_code(2);
    assert!(took < StdDuration::from_secs(60), "took {took:?}:\n{out}");
    assert!(
        out.stderr.contains("timed out") && out.stderr.contains("within 45 seconds"),
        "{out}"
    );
    // The drip was real: the proxy was still sending when certdesk hung up.
    wait_until(
        "the proxy to see the hang-up",
        StdDuration::from_secs(10),
        || !proxy.events_of("dripped").is_empty(),
    );
    let dripped = &proxy.events_of("dripped")[0];
    assert!(dripped["bytes"].as_u64().unwrap_or(0) > 10, "{dripped}");
}

#[test]
fn a_ca_that_floods_is_cut_off_at_the_size_limit_in_little_memory() {
    let (_pebble, proxy, cd) = hostile_ca();
    proxy.control(json!({ "flood": "/dir" }));
    let (out, peak_kib) = run_measured(&cd, &terms(&proxy));
    eprintln!("a flooding CA: peak RSS {peak_kib} KiB");
    out.assert_code(2);
    assert!(out.stderr.contains("size limit of 1 MiB"), "{out}");
    assert!(peak_kib < 100 * 1024, "peak RSS {peak_kib} KiB:\n{out}");
    wait_until(
        "the proxy to see the hang-up",
        StdDuration::from_secs(10),
        || !proxy.events_of("flooded").is_empty(),
    );
    let flooded = &proxy.events_of("flooded")[0];
    assert!(
        flooded["bytes"].as_u64().unwrap_or(0) > 1 << 20,
        "{flooded}"
    );
}

/// Runs certdesk under `/usr/bin/time`: its output and its peak resident memory in KiB.
fn run_measured(cd: &Certdesk, args: &[String]) -> (Output, u64) {
    let inner = cd.command(args);
    let report = cd.dir().join("rss.txt");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M").arg("-o").arg(&report);
    cmd.arg(inner.get_program()).args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.current_dir(cd.dir());
    let output = cmd.output().expect("/usr/bin/time (Debian package time)");
    let out = Output {
        command: format!("{inner:?}"),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let peak = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in {}:\n{out}", report.display()));
    (out, peak)
}

/// A loopback port that records whether anything connected: where a URL the CA hands out
/// points, which certdesk must not follow.
struct Witness(TcpListener);

impl Witness {
    fn new() -> Witness {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        Witness(listener)
    }

    /// `scheme://127.0.0.1:PORT`.
    fn origin(&self, scheme: &str) -> String {
        let port = self.0.local_addr().expect("address").port();
        format!("{scheme}://127.0.0.1:{port}")
    }

    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("certdesk followed a URL to the witness: {other:?}"),
        }
    }
}

/// Every request `cd` keeps failed, and no certificate was issued.
fn assert_all_failed_and_none_issued(cd: &Certdesk, kept: usize) {
    let requests = cd.json(["request", "list"]);
    let requests = requests.as_array().expect("a list");
    assert_eq!(requests.len(), kept, "{requests:#?}");
    for r in requests {
        assert_eq!(r["status"], "failed", "{r:#}");
    }
    assert_eq!(cd.json(["cert", "list"]), json!([]));
}

#[test]
fn http_urls_from_the_ca_are_refused_and_nothing_is_issued() {
    let (_pebble, proxy, cd) = hostile_ca();
    let witness = Witness::new();
    let base = witness.origin("http");
    let plain =
        |places: &[&str]| proxy.control(json!({ "plain_urls": { "in": places, "base": base } }));
    // In the directory: refused by name before anything is sent, and no account is kept.
    plain(&["directory"]);
    let out = cd.run(register_args(&proxy.directory_url(), proxy.ca_root_path()));
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!("lists newAccount at {base}/"))
            && out.stderr.contains("https only"),
        "{out}"
    );
    assert_eq!(cd.json(["account", "show"]), json!([]));

    // After the account was made: the directory of the process that orders, a new order's
    // authorizations and finalize URL, an authorization's challenges. Each is checked when it
    // arrives, before anything follows it or answers a challenge.
    proxy.control(json!({}));
    register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
    let places = [
        ("directory", "lists newAccount at"),
        ("order", "the CA gave an authorization of the order at"),
        (
            "authorization",
            "the CA gave the http-01 challenge for authorization.example.com at",
        ),
    ];
    for (place, said) in places {
        plain(&[place]);
        let name = format!("{place}.example.com");
        let out = cd.run(Create::new(&[&name], "http-01"));
        out.assert_code(2);
        // The directory's entry is named bare, an order's URL quoted as the CA's text.
        let named = ["", "\""].map(|quote| format!("{said} {quote}{base}/"));
        assert!(
            named.iter().any(|n| out.stderr.contains(n))
                && out.stderr.contains("which is not an https URL")
                && out.stderr.contains("did not follow it"),
            "{place}: {out}"
        );
    }
    witness.assert_untouched();
    assert!(
        proxy.events_of("answer").is_empty(),
        "the CA was told to validate"
    );
    assert_all_failed_and_none_issued(&cd, places.len());
}

/// What a hostile CA writes into its problem's detail: a window title (OSC … BEL), a screen
/// clear (CSI 2J), an 8-bit CSI (U+009B), DEL and a right-to-left override.
const ESCAPES: &str = "stop\u{1b}]0;owned\u{7}\u{1b}[2J here\u{9b}31m red\u{7f} \u{202e}gnp.exe";

#[test]
fn escapes_in_a_ca_problem_reach_the_terminal_as_text() {
    let (_pebble, proxy, cd) = hostile_ca();
    register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
    proxy.control(json!({
        "refuse_orders": { "status": 400, "type": "rejectedIdentifier", "detail": ESCAPES },
    }));
    let out = cd.run_on_terminal(Create::new(&["escape.example.com"], "http-01"));
    out.assert_code(2);
    assert_no_raw_controls(&out);
    assert!(
        out.stdout
            .contains("stop\\x1b]0;owned\\x07\\x1b[2J here\\u{9b}31m red\\x7f \\u{202e}gnp.exe"),
        "{out}"
    );
    // The JSON form keeps the CA's text whole (a script can still read it), escaped.
    let out = cd.run(Create::new(&["escape.example.com"], "http-01").with(["--json"]));
    out.assert_code(2);
    assert_no_raw_controls(&out);
    let detail = out.json()["error"]["problem"]["detail"].clone();
    assert_eq!(detail, ESCAPES, "{out}");
}

/// Makes the CA refuse new orders as rate-limited, with `detail` and the Retry-After
/// `retry_after` (seconds, as sent), and turns its ARI off so that certdesk orders when due.
fn rate_limited(proxy: &CaProxy, detail: &str, retry_after: &str) {
    proxy.control(json!({
        "ari": false,
        "refuse_orders": {
            "status": 429,
            "type": "rateLimited",
            "detail": detail,
            "retry_after": retry_after,
        },
    }));
}

#[test]
fn a_paused_account_is_shown_the_unpause_link_whole_and_certdesk_does_not_follow_it() {
    let (_pebble, proxy, cd) = hostile_ca();
    register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
    let witness = Witness::new();
    let link = format!(
        "{}/sfe/v1/unpause?jwt=eyJhbGciOiJIUzI1NiJ9.eyJhY2N0IjoiMSJ9.c2lnbmVk-_x",
        witness.origin("https")
    );
    // Let's Encrypt's shape (the link in a rateLimited detail), then RFC 8555's for an action
    // the user must take (a userActionRequired problem whose `instance` is the link).
    let shapes = [
        json!({
            "status": 429,
            "type": "rateLimited",
            "detail": format!(
                "Your account is temporarily prevented from requesting certificates for \
                 rateLimited.example.com and possibly others. Please visit: {link}"
            ),
        }),
        json!({
            "status": 403,
            "type": "userActionRequired",
            "detail": "this account is paused for userActionRequired.example.com",
            "instance": link,
        }),
    ];
    let lifted = format!("lift the pause at {link}");
    for shape in shapes {
        let kind = shape["type"].as_str().expect("a type").to_owned();
        proxy.control(json!({ "refuse_orders": shape }));
        let name = format!("{}.example.com", kind.to_lowercase());
        let out = cd.run(Create::new(&[&name], "http-01"));
        out.assert_code(2);
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains(&lifted), "{kind}: {out}");

        // The request keeps the CA's problem whole, and shows the link.
        let requests = cd.json(["request", "list"]);
        let request = requests
            .as_array()
            .expect("a list")
            .iter()
            .find(|r| r["names"][0] == name.as_str())
            .unwrap_or_else(|| panic!("no request for {name}: {requests:#}"));
        let id = request["id"].as_str().expect("an id");
        let shown = cd.json(["request", "show", id]);
        assert_eq!(shown["status"], "failed", "{shown:#}");
        let problem = &shown["problem"];
        assert_eq!(
            problem["type"],
            format!("urn:ietf:params:acme:error:{kind}")
        );
        let whole = problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&link))
            || problem["instance"] == link.as_str();
        assert!(whole, "{kind}: {shown:#}");
        let text = cd.run(["request", "show", id]);
        assert!(text.stdout.contains(&lifted), "{kind}: {text}");
    }
    witness.assert_untouched();
}

#[test]
fn a_billion_second_retry_after_is_capped_at_a_week_and_said() {
    let s = Saved::issue("wait.example.com", 90, false);
    let due = s.not_before + Duration::days(61);
    for (secs, at) in [
        ("1000000000000", due),
        ("18446744073709551615", due + Duration::days(8)),
    ] {
        rate_limited(&s.proxy, &format!("too many new orders {ESCAPES}"), secs);
        let out = s.cd.run(["--json", "renew", "--due", "--now", &rfc(at)]);
        out.assert_code(2);
        assert_no_raw_controls(&out);
        let report = out.json();
        let failed = &report["outcomes"][0];
        assert_eq!(failed["action"], "failed", "{report:#}");
        let error = failed["error"].as_str().expect("an error");
        assert!(
            error.contains(&format!("the CA asked to wait {secs} seconds"))
                && error.contains("certdesk waits at most a week"),
            "{error}"
        );
        assert_eq!(time_of(&failed["next_attempt"]), at + Duration::weeks(1));
    }
    // A day later nothing is ordered: the week holds.
    let orders = s.proxy.events_of("newOrder").len();
    let later = due + Duration::days(9);
    let out = s.cd.run(["--json", "renew", "--due", "--now", &rfc(later)]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["outcomes"], json!([]), "{report:#}");
    assert_eq!(report["held"][0]["held_by"], "ca_asked", "{report:#}");
    assert_eq!(s.proxy.events_of("newOrder").len(), orders);
}

#[test]
fn the_daemon_lives_through_a_billion_second_retry_after_and_logs_it_escaped() {
    let s = Saved::issue("daemon-wait.example.com", 90, false);
    let start = StdDuration::from_secs(60);
    let mut daemon = s.cd.spawn(["daemon"]);
    daemon.wait_for_output("nothing is due", start);
    rate_limited(&s.proxy, &format!("slow down {ESCAPES}"), "1000000000000");
    // cron's pass, forwarded to the daemon, which makes it.
    let due = s.not_before + Duration::days(61);
    let out = s.cd.run(["renew", "--due", "--now", &rfc(due)]);
    out.assert_code(2);
    assert!(
        out.stdout.contains("certdesk waits at most a week"),
        "{out}"
    );
    daemon.wait_for_output("certdesk waits at most a week", start);
    assert!(
        daemon.try_wait().is_none(),
        "the daemon died:\n{}",
        daemon.stderr()
    );
    let log = Output {
        command: "certdesk daemon".into(),
        code: None,
        stdout: daemon.stdout(),
        stderr: daemon.stderr(),
    };
    assert_no_raw_controls(&log);
    assert!(
        log.stdout.contains("slow down stop\\x1b]0;owned\\x07"),
        "{log}"
    );
    // And it goes on serving.
    let by = due + Duration::days(8);
    let dry = s.cd.run(due_by(due, by));
    dry.assert_success();
    assert!(
        dry.stdout.contains("last error: ") && dry.stdout.contains("the CA asked to wait"),
        "{dry}"
    );
    daemon.signal("TERM");
    daemon.wait(start).assert_success();
}

#[test]
fn a_command_stops_at_its_deadline_whatever_the_ca_does() {
    let (_pebble, proxy, cd) = hostile_ca();
    proxy.control(json!({ "drip": "/dir" }));
    let cd = cd.env("CERTDESK_DEADLINE", "3");
    let started = Instant::now();
    let out = cd.run(terms(&proxy));
    let took = started.elapsed();
    out.assert_code(2);
    assert!(took < StdDuration::from_secs(10), "took {took:?}:\n{out}");
    assert!(
        out.stderr
            .contains("timed out: the command did not finish within 3 seconds"),
        "{out}"
    );
    let out = cd.env("CERTDESK_DEADLINE", "soon").run(terms(&proxy));
    out.assert_code(1);
    assert!(out.stderr.contains("CERTDESK_DEADLINE"), "{out}");
}

#[test]
fn any_retry_after_on_renewal_information_is_read_without_a_panic() {
    let s = Saved::issue("ari-wait.example.com", 90, true);
    let values = ["18446744073709551615", "1000000000000", "-1", "soon"];
    for (i, retry_after) in values.into_iter().enumerate() {
        // A new window each time, so that the plan shows the answer was taken.
        let start = s.not_before + Duration::days(50 + i as i64);
        let end = start + Duration::days(2);
        s.window(start, end);
        s.proxy.control(json!({ "retry_after": retry_after }));
        // Each answer is kept a day at most: two days on, the CA is asked again.
        let now = s.not_before + Duration::days(2 * (i as i64 + 1));
        let by = end + Duration::days(1);
        let due = s.cd.json(due_by(now, by));
        let reason = &due[0]["plan"]["reason"];
        assert_eq!(reason["rule"], "ari_now", "{retry_after}: {due:#}");
        assert_eq!(time_of(&reason["end"]), end, "{retry_after}: {due:#}");
    }
    assert_eq!(s.proxy.events_of("renewalInfo").len(), values.len());
}

#[test]
fn a_login_without_encryption_is_refused_beside_its_fields_and_the_password_never_sent() {
    let sink = SmtpSink::start();
    let cd = Certdesk::new();
    configure(&cd, sink.port(), Security::None);
    let password = cd.dir().join("smtp-pass");
    std::fs::write(&password, "smtp-secret-9\n").expect("write the password");
    let password = password.to_str().expect("UTF-8 path");
    let refused = |out: Output| {
        out.assert_code(1);
        assert!(
            out.stderr
                .contains("smtp.security is none while smtp.username is \"certdesk\"")
                && out.stderr.contains("unencrypted"),
            "{out}"
        );
    };
    let login = [
        "settings",
        "set",
        "smtp.username",
        "certdesk",
        "smtp.password-file",
        password,
    ];
    // A user and password on a plain connection: refused, nothing saved.
    refused(cd.run(login));
    let shown = cd.json(["settings", "show"]);
    assert_eq!(shown["smtp"]["username"], "", "{shown:#}");
    assert_eq!(shown["smtp"]["password_set"], false, "{shown:#}");
    // Mail still goes to the relay, without a login: the password never crossed the wire.
    cd.json(["mail", "test"]);
    assert_eq!(sink.count(), 1);
    assert_eq!(sink.message(1)["authenticated_as"], Value::Null);
    for seen in [sink.raw(1), sink.log()] {
        assert!(!seen.contains("smtp-secret-9"), "{seen}");
    }
    // A user set under STARTTLS cannot be moved to a plain connection either.
    cd.json(["settings", "set", "smtp.security", "starttls"]);
    cd.json(login);
    refused(cd.run(["settings", "set", "smtp.security", "none"]));
    let shown = cd.json(["settings", "show"]);
    assert_eq!(shown["smtp"]["security"], "starttls", "{shown:#}");
    assert_eq!(sink.count(), 1);
}

/// `tests/fakes/smtp_hostile.py`: an SMTP server whose greeting never ends, dripped or flooded.
struct HostileSmtp {
    child: std::process::Child,
    port: u16,
    record: std::path::PathBuf,
}

impl HostileSmtp {
    fn start(cd: &Certdesk, mode: &str) -> HostileSmtp {
        let port = common::free_port();
        let record = cd.dir().join(format!("smtp-{mode}.jsonl"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/smtp_hostile.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--mode", mode, "--record"])
            .arg(&record)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut ready = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready)
            .expect("the server's first line");
        assert!(ready.starts_with("listening"), "{ready:?}");
        HostileSmtp {
            child,
            port,
            record,
        }
    }

    /// The connections it served, once the client has hung up. The server creates the record
    /// file before it writes the line: wait for the whole line.
    fn connections(&self) -> Vec<Value> {
        wait_until(
            "the server to record the hang-up",
            StdDuration::from_secs(10),
            || std::fs::read_to_string(&self.record).is_ok_and(|text| text.ends_with('\n')),
        );
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

impl Drop for HostileSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_smtp_server_that_drips_or_floods_its_greeting_is_given_up() {
    let cd = Certdesk::new();
    let flood = HostileSmtp::start(&cd, "flood");
    configure(&cd, flood.port, Security::None);
    let (out, peak_kib) = run_measured(&cd, &["mail".to_owned(), "test".to_owned()]);
    eprintln!("a flooding SMTP server: peak RSS {peak_kib} KiB");
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("sent more than the size limit of 1 MiB"),
        "{out}"
    );
    assert!(peak_kib < 100 * 1024, "peak RSS {peak_kib} KiB:\n{out}");
    let served = flood.connections();
    assert_eq!(served[0]["received"], "", "nothing was sent: {served:?}");

    let drip = HostileSmtp::start(&cd, "drip");
    configure(&cd, drip.port, Security::None);
    let started = Instant::now();
    let out = cd.run(["mail", "test"]);
    let took = started.elapsed();
    eprintln!("a dripping SMTP server: given up after {took:?}");
    out.assert_code(2);
    assert!(
        out.stderr.contains("timed out") && out.stderr.contains("within 60 seconds"),
        "{out}"
    );
    assert!(took < StdDuration::from_secs(75), "took {took:?}");
    let served = drip.connections();
    assert!(served[0]["bytes"].as_u64().unwrap_or(0) > 60, "{served:?}");
    assert_eq!(served[0]["received"], "", "nothing was sent: {served:?}");
}
