//! certdesk's desktop app: a window with a tab per part of the certificate life (Account, DNS,
//! Requests, Certificates, Deploy, Windows Agent, Settings) and a tray icon, as a thin face over
//! `certdesk_engine`. The engine holds all state and rules; the commands in [`commands`] each make
//! one engine call.

#[macro_use]
mod command_list;
pub mod commands;
pub mod datadir;
pub mod error;
mod memory;
mod notify;
pub mod progress;
mod scheduler;
pub mod state;
mod tray;

use tauri::ipc::Invoke;
use tauri::{Manager, RunEvent, Runtime, WindowEvent};

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

/// The plugins the app and its tests share: dialogs for the file pickers, start at login.
pub fn with_plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
}

/// Starts the app: one instance only, the engine of the data folder, the tray, and a window whose
/// closing leaves the app running in the tray.
pub fn run() {
    memory::before_start();
    if let Err(why) = display_reachable() {
        eprintln!("certdesk: {why}");
        std::process::exit(2);
    }
    let (data_dir, source) = datadir::resolve();
    let state = tauri::async_runtime::block_on(AppState::open(data_dir, source));
    // The single-instance plugin goes first: a second launch must stop before anything else.
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app)
        }));
    let result = with_plugins(builder)
        .manage(state)
        .invoke_handler(invoke_handler())
        .setup(|app| {
            tray::create(app.handle())?;
            // The tray read every certificate for its next expiry.
            memory::release_freed_heap();
            progress::forward(app.handle());
            scheduler::start(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::CloseRequested { .. } if window.label() == "main" => {
                hidden_once(window.app_handle())
            }
            // The page and its web processes are gone: give back what they used here too.
            WindowEvent::Destroyed if window.label() == "main" => memory::release_freed_heap(),
            _ => {}
        })
        .build(context());
    match result {
        Ok(app) => app.run(|app, event| match event {
            // Closing the window closes it for real: the page and WebKit's web process (some
            // 200 MB) end, while certdesk goes on in the tray, where renewals and their
            // notifications go on; Open builds the window anew. Quit asks with an exit code.
            RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            RunEvent::Exit => scheduler::stop(app),
            _ => {}
        }),
        Err(e) => {
            eprintln!("certdesk: the window could not start: {e}");
            std::process::exit(1);
        }
    }
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

/// Says once per run where the window went.
fn hidden_once<R: Runtime>(app: &tauri::AppHandle<R>) {
    static TOLD: std::sync::Once = std::sync::Once::new();
    TOLD.call_once(|| {
        notify::send(
            app,
            notify::Kind::Info,
            "certdesk is still running",
            "It keeps renewing from the tray. Quit it from the tray menu, or with Quit (Ctrl+Q) in its window.",
        );
    });
}
