//! Renewal on its own while the app runs (window open or in the tray): the engine's scheduler as
//! a task started at launch, its outcomes told by desktop notifications (and by e-mail, which the
//! engine sends itself).

use certdesk_engine::renewal::scheduler::SystemClock;
use tauri::{AppHandle, Manager, Runtime};

use crate::notify::{self, Kind};
use crate::state::AppState;

/// Starts the scheduler; nothing when the engine did not open (the window says why).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(engine) = state.engine() else {
            return;
        };
        engine
            .run_scheduler(&SystemClock, |pass| {
                match pass {
                    Ok(report) if !report.outcomes.is_empty() => {
                        for o in &report.outcomes {
                            crate::commands::certs::notify_renewal(&app, o);
                        }
                        crate::tray::certs_changed(&app);
                    }
                    Ok(_) => {}
                    Err(e) => notify::send(
                        &app,
                        Kind::Failed,
                        "Scheduled renewals could not run",
                        &e.to_string(),
                    ),
                }
                // A pass reads every certificate; give back the heap it freed.
                crate::memory::release_freed_heap();
            })
            .await;
    });
}
