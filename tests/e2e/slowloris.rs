//! Slowloris against every server certdesk runs, played for real on 127.0.0.1: the agent's HTTPS
//! API and its http-01 listener (the real `certdesk-agent run`), the built-in http-01 responder
//! of `request create --http-listen` while a real Pebble validates through it, and the control
//! socket of `certdesk daemon`. Each time 200 connections are opened and held (silent, or
//! sending a request head, a TLS ClientHello or a request line byte by byte, never finishing):
//! a real request is still answered within seconds, the server's CPU time over the attack stays
//! a small share of the wall time, and the server itself closes the slow connections once its
//! handshake or header deadline passes.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::agent::Agent;
use crate::common::exclusive;
use crate::common::{curl, free_port, register, tool, wait_until, Certdesk, Create, Pebble};
use serde_json::json;

/// Slow connections per server.
const SLOW: usize = 200;
/// A real request must be answered within this while the slow connections are held.
const PROMPT: Duration = Duration::from_secs(5);
/// The most of the wall time the server may spend on the CPU during the attack.
const CPU_SHARE: f64 = 0.2;
/// How often each slow connection sends its next byte.
const DRIP: Duration = Duration::from_millis(200);

/// What a slow connection sends, one byte per [`DRIP`], never reaching the end of it.
#[derive(Clone, Copy)]
enum Slow {
    Silent,
    Drip(&'static [u8]),
}

/// A request head with no end: after the prefix the last header's value grows for ever.
const HTTP_HEAD: &[u8] = b"GET /.well-known/acme-challenge/slow HTTP/1.1\r\nHost: slow.example\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The start of a TLS 1.2/1.3 ClientHello announcing 512 bytes, of which only these come.
const CLIENT_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// A control request line that never ends.
const CONTROL_LINE: &[u8] = b"{\"v\":1,\"call\":\"renew_due\",\"now\":\"2027-01-31T00:00:00Z\"                                                                  ";

trait Peer: Read + Write + Send {}
impl Peer for TcpStream {}
impl Peer for UnixStream {}

struct Conn {
    stream: Box<dyn Peer>,
    slow: Slow,
    sent: usize,
    /// When the server closed it (read end of file or reset).
    closed: Option<Instant>,
}

/// Slow connections held open by one thread, which drips their bytes and notes when the server
/// closes each. Dropping it closes what is left.
struct Attack {
    started: Instant,
    conns: Arc<Mutex<Vec<Conn>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Attack {
    /// `SLOW` connections to the TCP port `port` of 127.0.0.1, alternately silent and `drip`.
    fn tcp(port: u16, drip: &'static [u8]) -> Attack {
        Self::start((0..SLOW).map(|i| {
            let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
            stream.set_nonblocking(true).expect("non-blocking");
            (Box::new(stream) as Box<dyn Peer>, Self::kind(i, drip))
        }))
    }

    /// `SLOW` connections to the Unix socket `path`.
    fn unix(path: &Path, drip: &'static [u8]) -> Attack {
        Self::start((0..SLOW).map(|i| {
            let stream = UnixStream::connect(path).expect("connect to the control socket");
            stream.set_nonblocking(true).expect("non-blocking");
            (Box::new(stream) as Box<dyn Peer>, Self::kind(i, drip))
        }))
    }

    fn kind(i: usize, drip: &'static [u8]) -> Slow {
        if i.is_multiple_of(2) {
            Slow::Drip(drip)
        } else {
            Slow::Silent
        }
    }

    fn start(streams: impl Iterator<Item = (Box<dyn Peer>, Slow)>) -> Attack {
        let started = Instant::now();
        let conns: Vec<Conn> = streams
            .map(|(stream, slow)| Conn {
                stream,
                slow,
                sent: 0,
                closed: None,
            })
            .collect();
        let conns = Arc::new(Mutex::new(conns));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (conns, stop) = (conns.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for c in conns.lock().expect("connections").iter_mut() {
                        c.step();
                    }
                    std::thread::sleep(DRIP);
                }
            })
        };
        Attack {
            started,
            conns,
            stop,
            thread: Some(thread),
        }
    }

    /// Slow connections the server has not closed.
    fn open(&self) -> usize {
        let conns = self.conns.lock().expect("connections");
        conns.iter().filter(|c| c.closed.is_none()).count()
    }

    /// Waits until the server has closed every slow connection; the longest any was held
    /// (also printed, as a measure).
    fn wait_all_closed(&self, timeout: Duration) -> Duration {
        wait_until("the server to close the slow connections", timeout, || {
            self.open() == 0
        });
        let conns = self.conns.lock().expect("connections");
        let held = conns
            .iter()
            .filter_map(|c| c.closed)
            .map(|at| at - self.started)
            .max()
            .unwrap_or_default();
        eprintln!("the server closed the last slow connection after {held:?}");
        held
    }
}

impl Conn {
    /// The next byte, and a look whether the server closed the connection.
    fn step(&mut self) {
        if self.closed.is_some() {
            return;
        }
        let mut buf = [0; 512];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = Some(Instant::now()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            // Whatever the server sent (an alert, a 408) it ends with a close: read on.
            Ok(_) => return,
            Err(_) => self.closed = Some(Instant::now()),
        }
        if let (Slow::Drip(bytes), None) = (self.slow, self.closed) {
            let byte = bytes.get(self.sent).copied().unwrap_or(b'a');
            if self.stream.write(&[byte]).is_ok() {
                self.sent += 1;
            }
        }
    }
}

impl Drop for Attack {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The CPU time (user + system, all threads) of process `pid` since the meter started, as a
/// share of the wall time, from `/proc/PID/stat`.
struct CpuMeter {
    pid: u32,
    ticks: u64,
    since: Instant,
}

impl CpuMeter {
    fn start(pid: u32) -> CpuMeter {
        CpuMeter {
            pid,
            ticks: cpu_ticks(pid),
            since: Instant::now(),
        }
    }

    fn share(&self) -> f64 {
        let hz: f64 = tool("getconf", ["CLK_TCK"])
            .trim()
            .parse()
            .expect("CLK_TCK");
        let used = (cpu_ticks(self.pid) - self.ticks) as f64 / hz;
        used / self.since.elapsed().as_secs_f64()
    }
}

/// Prints `share`, the part of a core `who` used `what` (e.g. "over the attack"), and asserts
/// that it stays under [`CPU_SHARE`].
fn assert_cpu_share(share: f64, what: &str, who: &str) {
    eprintln!("CPU {what}: {:.1}% of the wall time", share * 100.0);
    assert!(
        share < CPU_SHARE,
        "{who} used {:.0}% of a core",
        share * 100.0
    );
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which ends with the last ')': utime and stime are the
    // 14th and 15th of the line.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// Open file descriptors of process `pid`: each accepted connection is one.
fn fds(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Descriptors of the server that may close while the attack is accepted (the connection of a
/// request made just before, a pooled connection to the CA), so that counting cannot hang on them.
const OTHER_FDS: usize = 4;

/// Waits until process `pid` holds about `more` descriptors more than `before`: it accepted the
/// attack. The wait is generous for a loaded machine; it returns as soon as they are in.
fn wait_accepted(pid: u32, before: usize, more: usize) {
    wait_until(
        "the server to accept the slow connections",
        Duration::from_secs(60),
        || fds(pid) + OTHER_FDS >= before + more,
    );
}

/// Runs `request` and returns what it returned and how long it took.
fn timed<T>(request: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = request();
    (out, start.elapsed())
}

#[test]
fn the_agents_api_and_http01_listener_answer_through_slowloris() {
    let _alone = exclusive::heavy();
    let http = free_port();
    let agent = Agent::start(json!({
        "names": ["slowloris.example.com"],
        "http_listen": format!("127.0.0.1:{http}"),
    }));
    let (api, pid) = (agent.port, agent.pid());
    let health = format!("https://127.0.0.1:{api}/v1/health");
    let token = format!("http://127.0.0.1:{http}/.well-known/acme-challenge/none");
    let ask = |url: &str| curl(&["-k", "--max-time", "20", url]).expect("curl");
    assert_eq!(ask(&health).0, 401, "the API answers before the attack");

    let before = fds(pid);
    let cpu = CpuMeter::start(pid);
    let on_api = Attack::tcp(api, CLIENT_HELLO);
    let on_http = Attack::tcp(http, HTTP_HEAD);
    wait_accepted(pid, before, 2 * SLOW);
    // Held a while, dripping, before the real requests come.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(on_api.open() + on_http.open(), 2 * SLOW, "all held");

    let ((status, body), took) = timed(|| ask(&health));
    eprintln!("answered in {took:?}");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("carries no pairing token"), "{body}");
    assert!(took < PROMPT, "the API took {took:?} to answer");
    let ((status, _), took) = timed(|| ask(&token));
    eprintln!("answered in {took:?}");
    assert_eq!(
        status, 404,
        "the listener answers a token it does not serve"
    );
    assert!(
        took < PROMPT,
        "the http-01 listener took {took:?} to answer"
    );

    // The agent cuts them off itself: the TLS handshake in 10 s, the request head in 5 s.
    let held = on_http.wait_all_closed(Duration::from_secs(15));
    assert!(held < Duration::from_secs(9), "heads held {held:?}");
    let held = on_api.wait_all_closed(Duration::from_secs(20));
    assert!(held < Duration::from_secs(14), "handshakes held {held:?}");
    assert_cpu_share(cpu.share(), "over the attack", "the agent");
    assert_eq!(ask(&health).0, 401, "the API still answers");
}

#[test]
fn the_control_socket_answers_a_forwarded_renew_through_slowloris() {
    let _alone = exclusive::heavy();
    let cd = Certdesk::new();
    let mut daemon = cd.spawn(["daemon"]);
    daemon.wait_for_output("nothing is due", Duration::from_secs(60));
    let pid = daemon.id();
    let socket = cd.data_dir().join("control.sock");

    let before = fds(pid);
    let cpu = CpuMeter::start(pid);
    let attack = Attack::unix(&socket, CONTROL_LINE);
    wait_accepted(pid, before, SLOW);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(attack.open(), SLOW, "all held");

    let (forwarded, took) = timed(|| cd.run(["renew", "--due"]));
    eprintln!("answered in {took:?}");
    forwarded.assert_success();
    assert!(forwarded.stdout.contains("nothing is due"), "{forwarded}");
    assert!(took < PROMPT, "the forwarded pass took {took:?}");
    let passes = daemon.stdout().matches("nothing is due").count();
    assert_eq!(
        passes,
        2,
        "the pass ran in the daemon:\n{}",
        daemon.stdout()
    );

    // A request line must come within 10 s.
    let held = attack.wait_all_closed(Duration::from_secs(20));
    assert!(held < Duration::from_secs(14), "held {held:?}");
    assert_cpu_share(cpu.share(), "over the attack", "the daemon");
    assert!(daemon.try_wait().is_none(), "the daemon is still running");
}

/// Pebble's validations, relayed from `listener` to 127.0.0.1:`target`: the first only after
/// `before` ran (the attack is in place). Notes how long `target` took to start answering each.
struct Relay {
    answered: Arc<Mutex<Vec<Duration>>>,
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    fn start(listener: TcpListener, target: u16, before: impl FnOnce() + Send + 'static) -> Relay {
        let answered = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let port = listener.local_addr().expect("relay address").port();
        let thread = {
            let (answered, stop) = (answered.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut before = Some(before);
                for from_ca in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(from_ca) = from_ca else { continue };
                    if let Some(before) = before.take() {
                        before();
                    }
                    let answered = answered.clone();
                    std::thread::spawn(move || {
                        if let Some(took) = Self::pipe(from_ca, target) {
                            answered.lock().expect("answers").push(took);
                        }
                    });
                }
            })
        };
        Relay {
            answered,
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// Relays one connection; how long the server took to send its first byte.
    fn pipe(mut from_ca: TcpStream, target: u16) -> Option<Duration> {
        let mut to_server = TcpStream::connect(("127.0.0.1", target)).ok()?;
        let sent = Instant::now();
        let mut back = to_server.try_clone().ok()?;
        let mut ca_back = from_ca.try_clone().ok()?;
        let forward = std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_ca, &mut to_server);
            let _ = to_server.shutdown(Shutdown::Write);
        });
        let mut first = [0; 1];
        let answered = back.read_exact(&mut first).ok().map(|()| sent.elapsed());
        let _ = ca_back.write_all(&first);
        let _ = std::io::copy(&mut back, &mut ca_back);
        let _ = ca_back.shutdown(Shutdown::Write);
        let _ = forward.join();
        answered
    }

    fn answered(&self) -> Vec<Duration> {
        self.answered.lock().expect("answers").clone()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn the_built_in_responder_serves_pebble_through_slowloris() {
    let _alone = exclusive::heavy();
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    // Pebble validates at its http port; the test relays to the responder once the attack holds.
    let relay = TcpListener::bind(("127.0.0.1", pebble.http_port())).expect("relay port");
    let listen = free_port();
    let started = Instant::now();
    let mut issuing = cd.spawn(Create::new(&["slowloris.example.com"], "http-01").with([
        "--json",
        "--http-listen",
        &format!("127.0.0.1:{listen}"),
    ]));
    let pid = issuing.id();
    let cpu_share = Arc::new(Mutex::new(None));
    let attack = Arc::new(Mutex::new(None));
    let relay = {
        let (cpu_share, attack) = (cpu_share.clone(), attack.clone());
        Relay::start(relay, listen, move || {
            let before = fds(pid);
            let cpu = CpuMeter::start(pid);
            let slow = Attack::tcp(listen, HTTP_HEAD);
            wait_accepted(pid, before, SLOW);
            std::thread::sleep(Duration::from_secs(1));
            *cpu_share.lock().expect("cpu") = Some((cpu.share(), slow.open()));
            *attack.lock().expect("attack") = Some(slow);
        })
    };
    let out = issuing.wait(Duration::from_secs(60));
    out.assert_success();
    assert_eq!(out.json()["status"], "available", "{out}");
    let answered = relay.answered();
    assert!(!answered.is_empty(), "Pebble validated through the relay");
    for took in answered {
        eprintln!("Pebble answered in {took:?}");
        assert!(
            took < PROMPT,
            "the responder took {took:?} to answer Pebble"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "issued in {:?}",
        started.elapsed()
    );
    let (share, held) = cpu_share.lock().expect("cpu").expect("measured");
    assert_eq!(held, SLOW, "all held while Pebble waited");
    assert_cpu_share(share, "over the attack", "certdesk");
    drop(attack);
}

#[test]
fn an_agent_out_of_file_descriptors_pauses_its_accepts_and_recovers() {
    let _alone = exclusive::heavy();
    let http = free_port();
    // Fewer descriptors than the attack needs: accepts fail with EMFILE until the slow
    // connections it holds reach their deadline.
    let agent = Agent::start_limited(
        json!({
            "names": ["slowloris.example.com"],
            "http_listen": format!("127.0.0.1:{http}"),
        }),
        Some(128),
    );
    let pid = agent.pid();
    let token = format!("http://127.0.0.1:{http}/.well-known/acme-challenge/none");
    let cpu = CpuMeter::start(pid);
    let attack = Attack::tcp(http, HTTP_HEAD);
    wait_until(
        "the agent to run out of file descriptors",
        Duration::from_secs(10),
        || fds(pid) >= 120,
    );
    // Out of descriptors for 2 s: a loop that retries failed accepts at once spins a core.
    std::thread::sleep(Duration::from_secs(2));
    assert_cpu_share(cpu.share(), "out of descriptors", "the agent");

    // Once the held connections time out (5 s), the waiting ones and the real request get in.
    let ((status, _), took) = timed(|| curl(&["--max-time", "30", &token]).expect("curl"));
    eprintln!("answered in {took:?}");
    assert_eq!(status, 404, "the listener answers again");
    assert!(took < Duration::from_secs(15), "answered after {took:?}");
    attack.wait_all_closed(Duration::from_secs(30));
    assert_cpu_share(cpu.share(), "over the attack", "the agent");
}
