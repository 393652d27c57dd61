//! The window and the tray are two processes that hand the data folder to each other.
//!
//! Why: once a process has shown a WebKitGTK page it keeps WebKit's state, and WebKit's network
//! process, after the window closes: an app that only closes its window idled in the tray at
//! 226–239 MB RSS with 10,000 certificates. `certdesk-app --tray` runs the tray icon, the
//! scheduler and the control socket and never creates a webview, so WebKit's web and network
//! processes never start there: 125 MB RSS in the tray with 10,000 certificates
//! (`bench/app.sh --memory`; the figures are in `memory.rs`).
//!
//! Only one process holds the data folder (the store locks it), so instead of one process
//! proxying every command to the other, the holder hands over ([`hand_over`]): it exits and
//! starts its successor on the way out, and the successor waits for the store's lock
//! ([`open_engine`]):
//! - closing the window starts `certdesk-app --tray`;
//! - the tray's Open, and a second launch of `certdesk-app` while the tray runs (the
//!   single-instance plugin forwards it to the tray process), start `certdesk-app`;
//! - Restart (Settings, after another data folder was chosen) starts `certdesk-app`;
//! - Quit (the tray's, the window's, Ctrl+Q) ends certdesk with no successor.
//!
//! The single-instance plugin refuses a new process while the old one holds its D-Bus name, so
//! the old process starts the new one only after Tauri's clean-up has released the name, as
//! Tauri's own restart does; its store lock goes a moment later, when the process ends.
//!
//! Work cut off by the exit resumes in the successor: a renewal's attempt is recorded before its
//! order is placed and the successor's scheduler makes a pass at its start, which carries on
//! that order (`certdesk_engine::renewal::state`); a request the window was working on is
//! recorded before each network step and listed as interrupted in the next window.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use certdesk_engine::activity::Face;
use certdesk_engine::{Engine, Error};
use tauri::{AppHandle, Manager, Runtime};

/// The argument of the tray's process.
const TRAY_ARG: &str = "--tray";
/// Set in a successor's environment: the store may still be held by the process that started it.
const SUCCESSOR_ENV: &str = "CERTDESK_HANDOFF";
/// Set once "certdesk is still running" was told, and carried to every successor: it is said
/// once per session, not at every closing of the window.
const TOLD_ENV: &str = "CERTDESK_TOLD_TRAY";
/// How long a successor waits for its predecessor's lock. The predecessor only has to end its
/// process, which takes milliseconds; a holder that stays longer is not a predecessor (the CLI,
/// `certdesk daemon`), and the app says so as at any start.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// What a process of the app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The window, with the tray icon and the scheduler beside it.
    Window,
    /// The tray icon, the scheduler and the control socket; no webview.
    Tray,
}

impl Mode {
    /// The mode that `args` (a process's arguments, its own or a second launch's) ask for.
    pub fn of<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Self {
        match args.into_iter().any(|a| a.as_ref() == TRAY_ARG) {
            true => Self::Tray,
            false => Self::Window,
        }
    }

    /// This process's mode.
    pub fn current() -> Self {
        Self::of(std::env::args().skip(1))
    }
}

/// Whether this process was started by a handoff.
pub fn is_successor() -> bool {
    std::env::var_os(SUCCESSOR_ENV).is_some()
}

/// Opens the engine of `dir`. A successor retries while the folder is held, which is its
/// predecessor ending ([`LOCK_WAIT`] at most); other errors are not waited out.
pub async fn open_engine(dir: &Path) -> certdesk_engine::Result<Engine> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match Engine::open(dir, Face::Window).await {
            Err(Error::InUse { .. }) if is_successor() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            result => return result,
        }
    }
}

/// Whether "certdesk is still running" was told in this process.
static TOLD: AtomicBool = AtomicBool::new(false);

/// True the first time it is asked in a session (this process and those it came from).
pub fn first_telling() -> bool {
    std::env::var_os(TOLD_ENV).is_none() && !TOLD.swap(true, Ordering::Relaxed)
}

/// The process to start as this one ends.
struct Successor {
    binary: PathBuf,
    mode: Mode,
}

static SUCCESSOR: OnceLock<Successor> = OnceLock::new();

/// Ends this process and has [`start_successor`] start one in `mode` as it goes (the first
/// handoff asked for wins). Fails, ending nothing, when there is no binary to start: then the
/// caller carries on in this process.
pub fn hand_over<R: Runtime>(app: &AppHandle<R>, mode: Mode) -> std::io::Result<()> {
    let binary = tauri::process::current_binary(&app.env())?;
    if !binary.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is gone", binary.display()),
        ));
    }
    let _ = SUCCESSOR.set(Successor { binary, mode });
    app.exit(0);
    Ok(())
}

/// Starts the successor [`hand_over`] asked for, if any: the last thing the app does as it exits
/// (`RunEvent::Exit`). Tauri's clean-up runs first, here, so that the single-instance name is
/// free when the successor looks for it (Tauri runs it again after this event, with nothing left
/// to do).
pub fn start_successor<R: Runtime>(app: &AppHandle<R>) {
    let Some(successor) = SUCCESSOR.get() else {
        return;
    };
    app.cleanup_before_exit();
    let mut command = Command::new(&successor.binary);
    if successor.mode == Mode::Tray {
        command.arg(TRAY_ARG);
    }
    command.env(SUCCESSOR_ENV, "1");
    if TOLD.load(Ordering::Relaxed) || std::env::var_os(TOLD_ENV).is_some() {
        command.env(TOLD_ENV, "1");
    }
    // It outlives this process: no terminal input to share, and a process group of its own, so
    // that a Ctrl+C in the terminal that started the first process does not end the tray. Its
    // stderr stays this process's, for its messages.
    command.stdin(Stdio::null()).stdout(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    match command.spawn() {
        // Not waited for: it is certdesk from now on, reparented as this process ends.
        Ok(child) => drop(child),
        Err(e) => eprintln!(
            "certdesk: {} could not be started ({e}); start certdesk-app again",
            successor.binary.display()
        ),
    }
}
