//! certdesk's desktop app: a window with a tab per part of the certificate life (Account, DNS,
//! Requests, Certificates, Deploy, Windows Agent, Settings) and a tray icon, as a thin face over
//! `certdesk_engine`. The engine holds all state and rules; the commands in [`commands`] each make
//! one engine call. The window and the tray without it (`--tray`) are two processes that hand the
//! data folder to each other ([`handoff`]).

#[macro_use]
mod command_list;
pub mod commands;
pub mod datadir;
pub mod error;
mod exit;
mod handoff;
mod memory;
mod notify;
pub mod progress;
mod scheduler;
pub mod state;
mod tray;

use certdesk_engine::Error;
use tauri::ipc::Invoke;
use tauri::{Manager, RunEvent, Runtime, WindowEvent};

use handoff::Mode;

pub use state::AppState;

/// The app's configuration and assets (the built `ui/`), from the top-level `tauri.conf.json`.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!("../tauri.conf.json")
}

/// The names of every command the page may call (`command_list.rs`).
pub const COMMANDS: &[&str] = with_commands!(command_names);

/// Every command the page may call (`command_list.rs`).
pub fn invoke_handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    use commands::*;
    // The handler takes the list's paths as they are; `use commands::*` resolves them.
    macro_rules! handler {
        ($($module:ident::$command:ident),* $(,)?) => {
            tauri::generate_handler![$($module::$command),*]
        };
    }
    with_commands!(handler)
}

/// The plugins the app and its tests share: dialogs for the file pickers, start at login (in the
/// tray: renewals run from login on, the window opens when asked for).
pub fn with_plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--tray"]),
        ))
}

/// Starts the app: one instance only, the engine of the data folder, the tray, and the window
/// unless started with `--tray`. Closing the window hands over to a `--tray` process.
pub fn run() {
    let mode = Mode::current();
    memory::before_start(mode);
    if let Err(why) = display_reachable() {
        eprintln!("certdesk: {why}");
        std::process::exit(2);
    }
    let (data_dir, source) = datadir::resolve();
    let engine = tauri::async_runtime::block_on(handoff::open_engine(&data_dir));
    if let Err(e @ Error::Keychain(_)) = &engine {
        without_keychain(&e.to_string());
    }
    let state = AppState::new(data_dir, source, engine);
    // The single-instance plugin goes first: a second launch must stop before anything else. A
    // second `certdesk-app` opens the window; a second `--tray` (a login start) changes nothing.
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            if Mode::of(args.iter().skip(1)) == Mode::Window {
                tray::open_certdesk(app)
            }
        }));
    let result = with_plugins(builder)
        .manage(state)
        .invoke_handler(invoke_handler())
        .setup(move |app| {
            tray::create(app.handle())?;
            // The tray read every certificate for its next expiry.
            memory::release_freed_heap();
            progress::forward(app.handle());
            scheduler::start(app.handle());
            match mode {
                Mode::Window => {
                    if let Err(e) = tray::main_window(app.handle()) {
                        window_failed(&e)
                    }
                }
                // Handed over by a closing window.
                Mode::Tray if handoff::is_successor() => still_running(app.handle()),
                Mode::Tray => {}
            }
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::CloseRequested { .. } if window.label() == "main" => {
                if let Err(e) = handoff::hand_over(window.app_handle(), Mode::Tray) {
                    // This process stays in the tray instead, WebKit and all.
                    eprintln!("certdesk: the tray process could not be started ({e})");
                    still_running(window.app_handle())
                }
            }
            // The page and its web processes are gone: give back what they used here too.
            WindowEvent::Destroyed if window.label() == "main" => memory::release_freed_heap(),
            _ => {}
        })
        .build(windowless(context()));
    match result {
        Ok(app) => app.run(|app, event| match event {
            // A window closed without a handoff (see above) leaves the app in the tray; Quit and
            // a handoff ask with an exit code.
            RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            RunEvent::ExitRequested {
                code: Some(code), ..
            } => exit::requested(code),
            RunEvent::Exit => {
                scheduler::stop(app);
                handoff::start_successor(app);
                exit::now(app)
            }
            _ => {}
        }),
        Err(e) => window_failed(&e),
    }
}

/// The configuration's window is not made at start but in the window's process's setup
/// ([`tray::main_window`]): a tray process must not create a webview, or WebKit's processes start.
fn windowless<R: Runtime>(mut context: tauri::Context<R>) -> tauri::Context<R> {
    for window in &mut context.config_mut().app.windows {
        window.create = false;
    }
    context
}

fn window_failed(e: &tauri::Error) -> ! {
    eprintln!("certdesk: the window could not start: {e}");
    std::process::exit(1)
}

/// Without a Secret Service no data folder opens (every folder's master key lives there), so
/// the window would have nothing to offer: the app says so in one line and exits 3, as the CLI
/// does for a local failure; and as a desktop notification, for a start from the menu where no
/// terminal shows the line (waited for 2 s at most: a notification service that hangs must not
/// keep the app from ending).
fn without_keychain(message: &str) -> ! {
    eprintln!("certdesk: {message}");
    let (sent, shown) = std::sync::mpsc::channel();
    let body = message.to_owned();
    std::thread::spawn(move || {
        let _ = notify_rust::Notification::new()
            .appname("certdesk")
            .summary("certdesk cannot open its data folder")
            .body(&body)
            .icon("security-high")
            .show();
        let _ = sent.send(());
    });
    let _ = shown.recv_timeout(std::time::Duration::from_secs(2));
    std::process::exit(3)
}

/// The window needs a graphical session; without one GTK's start fails inside Tauri as a panic,
/// so it is tried here first, where the failure can be one line that says what to do.
#[cfg(target_os = "linux")]
fn display_reachable() -> Result<(), String> {
    gtk::init().map_err(|_| {
        let display = std::env::var("WAYLAND_DISPLAY")
            .or_else(|_| std::env::var("DISPLAY"))
            .map(|d| format!("the display {d:?} cannot be opened"))
            .unwrap_or_else(|_| {
                "there is no display (DISPLAY and WAYLAND_DISPLAY are unset)".into()
            });
        format!(
            "the window needs a graphical session, and {display}: start certdesk-app from a \
             desktop session, or use the certdesk command (and `certdesk daemon` for renewals) \
             on a machine without one"
        )
    })
}

#[cfg(not(target_os = "linux"))]
fn display_reachable() -> Result<(), String> {
    Ok(())
}

/// Says where the window went, once a session (the processes handed over included).
fn still_running<R: Runtime>(app: &tauri::AppHandle<R>) {
    if handoff::first_telling() {
        notify::send(
            app,
            notify::Kind::Info,
            "certdesk is still running",
            "It keeps renewing from the tray. Quit it from the tray menu, or with Quit (Ctrl+Q) in its window.",
        );
    }
}
