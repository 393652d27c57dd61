//! The engine's progress, forwarded to the window as the `progress` event: `{ request, stage }`
//! as the engine serializes it. The page turns stages into words; the shell only forwards.

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;

/// The event the page listens to.
pub const PROGRESS: &str = "progress";

/// Subscribes once to the engine's progress and emits each event to the main window until the
/// engine goes away. Does nothing when the engine did not open.
pub fn forward<R: Runtime>(app: &AppHandle<R>) {
    let Ok(mut events) = app.state::<AppState>().engine().map(|e| e.subscribe()) else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(progress) => {
                    let _ = app.emit_to("main", PROGRESS, &progress);
                }
                // A slow window misses old stages rather than slowing issuance down.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}
