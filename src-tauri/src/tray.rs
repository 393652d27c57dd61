//! The tray icon: the next expiry at a glance, Open, Renew due now, Quit. Closing the window
//! leaves certdesk running in a tray process (`handoff.rs`), so the tray is how the app is
//! reached and ended.
//!
//! With no StatusNotifier host (a bare X session, CI) the icon is simply not shown; the app runs
//! on and a second launch brings the window back (single instance).

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

use crate::handoff::{self, Mode};
use crate::notify::{self, Kind};
use crate::state::AppState;

/// The event the page listens to: reload the lists, the certificates changed behind its back.
pub const CERTS_CHANGED: &str = "certs-changed";

/// The menu item whose text is the next expiry.
struct NextExpiry<R: Runtime>(MenuItem<R>);

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let next = MenuItem::with_id(app, "next", next_expiry_text(app), false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open certdesk", true, None::<&str>)?;
    let renew = MenuItem::with_id(app, "renew_due", "Renew due now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit certdesk", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &next,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &renew,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("certdesk")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => open_certdesk(app),
            "renew_due" => renew_due_in_background(app.clone()),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(NextExpiry(next));
    Ok(())
}

fn next_expiry_text<R: Runtime>(app: &AppHandle<R>) -> String {
    let state = app.state::<AppState>();
    let next = state.engine().and_then(|e| Ok(e.next_expiry()?));
    match next {
        Ok(Some(c)) => format!(
            "Next expiry: {} in {} day{}",
            c.info.names.first().map(String::as_str).unwrap_or(&c.id),
            c.days_left,
            if c.days_left == 1 { "" } else { "s" }
        ),
        Ok(None) => "No valid certificate yet".into(),
        Err(e) => format!("certdesk: {}", e.message),
    }
}

/// Updates the tray's next expiry and tells the page to reload, after any change to the
/// repository.
pub fn certs_changed<R: Runtime>(app: &AppHandle<R>) {
    if let Some(item) = app.try_state::<NextExpiry<R>>() {
        let _ = item.0.set_text(next_expiry_text(app));
    }
    let _ = app.emit(CERTS_CHANGED, ());
}

/// Open certdesk (the tray's Open, a second launch): the window's process shows its window; the
/// tray's process hands over to a window process, or opens the window itself when none can be
/// started.
pub fn open_certdesk<R: Runtime>(app: &AppHandle<R>) {
    if Mode::current() == Mode::Tray && app.get_webview_window("main").is_none() {
        match handoff::hand_over(app, Mode::Window) {
            Ok(()) => return,
            Err(e) => eprintln!("certdesk: the window process could not be started ({e})"),
        }
    }
    match main_window(app) {
        Ok(window) => {
            let _ = window.show();
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
        Err(e) => notify::send(
            app,
            Kind::Failed,
            "certdesk cannot open its window",
            &e.to_string(),
        ),
    }
}

/// The window, built from the configuration when there is none (at the start of the window's
/// process; the configuration does not create it, so that the tray's process has none).
pub fn main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    match app.get_webview_window("main") {
        Some(window) => Ok(window),
        None => match app.config().app.windows.first() {
            Some(config) => WebviewWindowBuilder::from_config(app, config)?.build(),
            None => Err(tauri::Error::WindowNotFound),
        },
    }
}

/// "Renew due now" from the tray: the window may be hidden, so the outcome is told by
/// notifications.
fn renew_due_in_background<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let outcome = match state.engine() {
            Ok(engine) => engine.renew_due().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.message),
        };
        match outcome {
            Ok(report) if report.outcomes.is_empty() && report.skipped.is_empty() => notify::send(
                &app,
                Kind::Info,
                "Nothing to renew",
                "No certificate is inside its renewal window.",
            ),
            Ok(report) => {
                for o in &report.outcomes {
                    crate::commands::certs::notify_renewal(&app, o);
                }
                for d in &report.skipped {
                    notify::send(
                        &app,
                        Kind::Failed,
                        "Skipped a damaged record",
                        &format!(
                            "skipped damaged record {}: {}. Restore the data folder from a \
                             backup.",
                            d.id, d.damaged
                        ),
                    );
                }
            }
            Err(message) => notify::send(&app, Kind::Failed, "Renewal failed", &message),
        }
        certs_changed(&app);
    });
}
