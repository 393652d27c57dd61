//! `certdesk daemon` and cron on one data folder: the daemon holds the folder and runs the
//! scheduler, `certdesk renew --due` from another process is forwarded to it through the control
//! socket and prints what a local run prints (on a terminal, its progress as it happens), other
//! commands are told why they cannot run, a socket left by a killed daemon is replaced, and with
//! nothing running `renew --due` makes the pass itself. Against a real Pebble behind the CA
//! proxy (`tests/fakes/ca_proxy.py`), which can play a CA that is down.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use crate::common::ari::{rfc, Saved};
use crate::common::{wait_until, Certdesk, CertdeskChild};
use serde_json::json;
use time::{Duration, OffsetDateTime};

const NAME: &str = "daemon.example.com";
const START: StdDuration = StdDuration::from_secs(60);

/// One saved 90-day certificate, renewed by the built-in responder (automated), issued through
/// the CA proxy with ARI off: the lifetime rule decides, due 60 days after issue.
fn setup() -> Saved {
    Saved::issue(NAME, 90, false)
}

/// A time past the certificate's renewal by the lifetime rule.
fn due(s: &Saved) -> OffsetDateTime {
    s.not_before + Duration::days(61)
}

fn socket(cd: &Certdesk) -> PathBuf {
    cd.data_dir().join("control.sock")
}

/// `certdesk daemon` on `cd`'s folder, once its socket answers and its first pass is done.
fn start_daemon(cd: &Certdesk) -> CertdeskChild {
    let mut daemon = cd.spawn(["daemon"]);
    wait_until("the daemon's control socket to answer", START, || {
        assert!(daemon.try_wait().is_none(), "the daemon exited early");
        UnixStream::connect(socket(cd)).is_ok()
    });
    daemon.wait_for_output("nothing is due", START);
    daemon
}

#[test]
fn cron_renew_due_runs_in_the_daemon_and_prints_what_a_local_run_prints() {
    let s = setup();
    let mut daemon = start_daemon(&s.cd);
    let mode = std::fs::metadata(socket(&s.cd))
        .expect("the socket")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    // Other commands cannot open the folder, and are told why and what does work.
    let held = s.cd.run(["cert", "list"]);
    held.assert_code(3);
    assert!(
        held.stderr
            .contains("in use by the certdesk app or `certdesk daemon`")
            && held
                .stderr
                .contains("`certdesk renew --due` is forwarded to it"),
        "{held}"
    );

    // The dry run is answered by the daemon.
    let dry =
        s.cd.run(["renew", "--due", "--dry-run", "--at", &rfc(due(&s))]);
    dry.assert_success();
    assert!(
        dry.stdout.contains(&s.id) && dry.stdout.contains("lifetime rule"),
        "{dry}"
    );

    // The CA is down: the forwarded pass fails with a local run's words and exit code.
    s.proxy.control(json!({ "ari": false, "down": true }));
    let failed = s.cd.run(["renew", "--due", "--now", &rfc(due(&s))]);
    failed.assert_code(2);
    assert!(
        failed.stdout.contains(&format!("failed {} ({NAME})", s.id)),
        "{failed}"
    );
    assert!(failed.stderr.contains("1 renewal(s) failed"), "{failed}");

    // The CA is back; past the backoff the next pass renews, in the daemon. At a terminal, its
    // stages show as they happen, as in a local run.
    s.proxy.control(json!({ "ari": false }));
    let later = due(&s) + Duration::minutes(20);
    let renewed =
        s.cd.run_on_terminal(["renew", "--due", "--now", &rfc(later)]);
    renewed.assert_success();
    let placing = renewed
        .stdout
        .find(&format!("{}: placing the order…", s.id));
    let issued = renewed.stdout.find(&format!("{}: issued", s.id));
    let done = renewed
        .stdout
        .find(&format!("renewed {} ({NAME}): lifetime rule", s.id));
    assert!(
        placing.is_some() && placing < issued && issued < done,
        "{renewed}"
    );
    daemon.wait_for_output(&format!("renewed {}", s.id), START);

    // SIGTERM stops it cleanly and takes the socket away; its repository has the new version.
    daemon.signal("TERM");
    let stopped = daemon.wait(START);
    stopped.assert_success();
    assert!(stopped.stderr.contains("stopped by SIGTERM"), "{stopped}");
    assert!(!socket(&s.cd).exists(), "the socket was removed");
    let history = s.cd.json(["cert", "history", &s.id]);
    assert_eq!(
        history.as_array().expect("versions").len(),
        2,
        "{history:#}"
    );
}

#[test]
fn a_socket_left_by_a_killed_daemon_neither_stops_cron_nor_the_next_daemon() {
    let cd = Certdesk::new();
    let mut first = start_daemon(&cd);
    first.kill();
    assert!(socket(&cd).exists(), "SIGKILL leaves the socket behind");

    // Nothing holds the folder: cron's pass runs here, whatever the old socket.
    let local = cd.run(["renew", "--due"]);
    local.assert_success();
    assert!(local.stdout.contains("nothing is due"), "{local}");

    // The next daemon replaces the socket and serves it.
    let mut second = start_daemon(&cd);
    let passes = second.stdout().matches("nothing is due").count();
    let forwarded = cd.run(["--json", "renew", "--due"]);
    forwarded.assert_success();
    assert_eq!(forwarded.json()["outcomes"], json!([]), "{forwarded}");
    wait_until("the daemon to log the forwarded pass", START, || {
        second.stdout().matches("nothing is due").count() > passes
    });

    second.signal("INT");
    let stopped = second.wait(START);
    stopped.assert_success();
    assert!(stopped.stderr.contains("stopped by SIGINT"), "{stopped}");
    assert!(!socket(&cd).exists(), "the socket was removed");
}
