//! Renewal on its own while the app runs (window open or in the tray): the engine's scheduler as
//! a task started at launch, its outcomes told by desktop notifications (and by e-mail, which the
//! engine sends itself). Beside it the engine's control socket, so that a `certdesk renew --due`
//! from cron, which cannot open the data folder while the app holds it, has its pass made here
//! and told the same way.

use std::path::PathBuf;

use certdesk_engine::control::Server;
use certdesk_engine::renewal::scheduler::SystemClock;
use certdesk_engine::renewal::PassReport;
use certdesk_engine::Error;
use tauri::{AppHandle, Manager, Runtime};

use crate::notify::{self, Kind};
use crate::state::AppState;

/// Starts the scheduler and the control socket; nothing when the engine did not open (the window
/// says why).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(engine) = state.engine() else {
            return;
        };
        let control = Server::bind(engine)
            .inspect_err(|e| {
                eprintln!("certdesk: cron's `certdesk renew --due` is not served: {e}")
            })
            .ok();
        if let Some(server) = &control {
            app.manage(Serving(server.path().to_owned()));
        }
        let serve = async {
            if let Some(server) = &control {
                engine.serve_control(server, |pass| told(&app, pass)).await
            }
        };
        tokio::join!(
            engine.run_scheduler(&SystemClock, |pass| told(&app, pass)),
            serve
        );
    });
}

/// The control socket this app serves.
struct Serving(PathBuf);

/// Removes the control socket as the app quits: Tauri ends the process without unwinding, so the
/// server's own clean-up never runs. (A socket left by a crash is replaced at the next start.)
pub fn stop<R: Runtime>(app: &AppHandle<R>) {
    if let Some(serving) = app.try_state::<Serving>() {
        let _ = std::fs::remove_file(&serving.0);
    }
}

/// Tells the administrator what a pass did.
fn told<R: Runtime>(app: &AppHandle<R>, pass: Result<&PassReport, &Error>) {
    for news in pass.iter().flat_map(|report| &report.endpoints) {
        let details: Vec<&str> = news.findings.iter().map(|f| f.detail.as_str()).collect();
        notify::send(
            app,
            Kind::Failed,
            &format!("Endpoint {}: {}", news.endpoint, news.kinds()),
            &details.join("\n"),
        );
    }
    match pass {
        Ok(report) if !report.outcomes.is_empty() => {
            for o in &report.outcomes {
                crate::commands::certs::notify_renewal(app, o);
            }
            crate::tray::certs_changed(app);
        }
        Ok(_) => {}
        Err(e) => notify::send(
            app,
            Kind::Failed,
            "Scheduled renewals could not run",
            &e.to_string(),
        ),
    }
    // A pass reads every certificate; give back the heap it freed.
    crate::memory::release_freed_heap();
}
