//! Desktop notifications (notify-rust) for issued, failed and renewed certificates, each kind
//! switched on or off in Settings, and answers to the administrator's own tray actions. They are sent from a blocking thread and never awaited: a
//! missing notification daemon must not delay or fail the work that triggered them.

use tauri::{Manager, Runtime};

use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Issued,
    Failed,
    Renewed,
    /// The answer to something the administrator just did (always shown).
    Info,
}

pub fn send<R: Runtime>(app: &tauri::AppHandle<R>, kind: Kind, summary: &str, body: &str) {
    let state = app.state::<AppState>();
    let Ok(settings) = state.engine().and_then(|e| Ok(e.settings()?)) else {
        return;
    };
    let wanted = match kind {
        Kind::Issued => settings.notify_issued,
        Kind::Failed => settings.notify_failed,
        Kind::Renewed => settings.notify_renewed,
        Kind::Info => true,
    };
    if !wanted {
        return;
    }
    let (summary, body) = (summary.to_owned(), body.to_owned());
    tauri::async_runtime::spawn_blocking(move || {
        let shown = notify_rust::Notification::new()
            .appname("certdesk")
            .summary(&summary)
            .body(&body)
            .icon("security-high")
            .show();
        if let Err(e) = shown {
            eprintln!("certdesk: desktop notification not shown ({e}): {summary}");
        }
    });
}
