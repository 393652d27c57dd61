//! How the app's process ends. Tauri ends it with `std::process::exit`, which runs the C
//! libraries' exit handlers and C++ static destructors (WebKitGTK's, Mesa's, GLib's) while
//! WebKit's own threads still run: a race that once ended a Ctrl+Q with SIGSEGV in the window
//! test. Nothing of certdesk's is left for them to do by then: every change to the store is a
//! flushed transaction, and Tauri's clean-up (the tray icon, the single-instance name) has run.
//! So the process ends without them, with the code its exit was asked for.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

use tauri::{AppHandle, Runtime};

/// The code of the exit asked for last (`RunEvent::ExitRequested`).
static CODE: AtomicI32 = AtomicI32::new(0);

/// Remembers the code an exit was asked for with, for [`now`].
pub fn requested(code: i32) {
    CODE.store(code, Ordering::Relaxed);
}

/// Ends the process at `RunEvent::Exit`, after Tauri's clean-up. A restart is left to Tauri,
/// which starts the new process after this event.
pub fn now<R: Runtime>(app: &AppHandle<R>) {
    let code = CODE.load(Ordering::Relaxed);
    if code == tauri::RESTART_EXIT_CODE {
        return;
    }
    app.cleanup_before_exit();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    {
        extern "C" {
            fn _exit(status: std::ffi::c_int) -> !;
        }
        // SAFETY: _exit ends the process at once; nothing runs after it in any thread.
        unsafe { _exit(code) }
    }
    #[cfg(not(unix))]
    std::process::exit(code)
}
