//! Idle memory. On Linux the window is three processes: this one, WebKitGTK's WebKitWebProcess
//! (the page) and its WebKitNetworkProcess; `bench/app.sh` sums their resident memory. In the
//! tray certdesk is one process that never made a webview (`handoff.rs`): a process that has
//! shown the page keeps WebKit's state and its network process after the window closes
//! (226–239 MB RSS with 10,000 certificates when the window's process stayed in the tray).
//!
//! Measured with `bench/app.sh --memory` (release build, 10,000 certificates, 5 s idle, medians
//! of 3 runs, WebKitGTK 2.50 under Xvfb; 2026-12-08):
//! - in the tray, window closed: 89 MB RSS, 79 MB PSS, 27 MB anonymous: one process, no WebKit
//!   process (started with `--tray`: 87 MB RSS). The goal is 120 MB: met. It was 119 MB before
//!   the scheduler and the tray read the certificates' small views (schema 3) instead of whole
//!   records;
//! - window open: 438 MB RSS, 264 MB PSS over this process (195 MB), the web process (183 MB)
//!   and the network process (61 MB); WebKitGTK's floor, MiniBrowser with a one-line page,
//!   measured beside it: 352 MB RSS, 185 MB PSS. The window is 24 % above the floor (the goal
//!   is 15 %: not met).
//!
//! Where the 24 % goes: with an empty data folder the window was 407 MB RSS (2026-12-04), this
//! process 172 MB with 34 MB anonymous and the web process 175 MB; the floor's MiniBrowser is
//! 145 MB with 31 MB anonymous. The 10,000 certificates add 23 MB RSS here (27 MB anonymous:
//! the start's reads of every view, request and renewal state, and what sled's cache keeps of
//! them) and 8 MB in the web process (the Overview's marks as data; the chart draws a few
//! hundred). One change at a time: the views left the window's sum where it was (474 MB on
//! 2026-12-03, 484 MB after) while they took the tray from 119 to 89 MB; folding a
//! full slot of the chart into one mark took the web process from 233 to 183 MB (484 → 438).
//! What is left to reach 15 %: this process over MiniBrowser's (GTK, the tray, Tauri's runtime:
//! 27 MB with no certificate) and the Overview's one answer, which carries every certificate's
//! mark where the chart needs a few hundred.
//!
//! Each setting below is here because it lowered that sum, measured one at a time under Xvfb
//! without a GPU (WebKitGTK 2.50, Debian 12, 10,000 certificates in the repository, 5 s after
//! start).
//! Settings that measured nothing were left out: WebKit's document-viewer cache model, memory
//! pressure limits for the network process, `MALLOC_ARENA_MAX=2` for the window's processes, Skia CPU rendering. Turning
//! JavaScriptCore's JIT off saved 10 MB but made the page's scripts 2–3 times slower (filtering
//! 10,000 rows: 27 ms instead of 8): not worth it.
//!
//! Left out although it saves 54 MB: keeping Mesa and LLVM out of this process
//! (`WEBKIT_WEB_RENDER_DEVICE_FILE` + `WEBKIT_DISABLE_DMABUF_RENDERER` + `GDK_GL=disable`).
//! WebKitGTK 2.50 only starts forwarding the desktop's settings to the page (dark theme, fonts,
//! text scaling) when it opens its EGL display, so without that display the page stays light in a
//! dark desktop (caught by `tests/e2e_app`).

use crate::handoff::Mode;

/// The store's page cache in the tray's process: sled keeps what the start's pass over every
/// certificate read, up to its capacity (32 MiB in the window), and the tray reads the
/// repository only for its next expiry and the scheduler's passes. With [`TRAY_ARENAS`] the
/// tray went from 125 to 119 MB RSS summed over its processes (`bench/app.sh --memory`, 10,000
/// certificates).
const TRAY_STORE_CACHE: u64 = 4 * 1024 * 1024;

/// Malloc arenas in the tray's process: glibc gives each thread that allocates its own arena
/// (up to 8 per core), and each keeps freed pages of its own that the trim does not return.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRAY_ARENAS: std::ffi::c_int = 2;

/// Defaults for the environment that WebKitGTK, GTK and JavaScriptCore read at start, set only
/// where the user's environment did not decide, and the tray's allocator and store settings.
/// Runs first in `run()`, before any thread exists (`set_var` is only sound then); the web and
/// network processes inherit the environment.
pub fn before_start(mode: Mode) {
    if mode == Mode::Tray {
        certdesk_engine::store::set_cache_capacity(TRAY_STORE_CACHE);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" {
                fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
            }
            /// glibc's `M_ARENA_MAX` (malloc.h).
            const M_ARENA_MAX: std::ffi::c_int = -8;
            // SAFETY: glibc's mallopt only changes the allocator's parameters; no thread exists yet.
            unsafe {
                mallopt(M_ARENA_MAX, TRAY_ARENAS);
            }
        }
    }
    #[cfg(target_os = "linux")]
    for (key, value) in [
        // WebKit composites the page through OpenGL by default, which loads a GL stack (llvmpipe
        // where there is no GPU) into the web process: 85 MB. A page of forms and tables gains
        // nothing from it.
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ] {
        if std::env::var_os(key).is_none() {
            std::env::set_var(key, value);
        }
    }
}

/// Hands the heap's free pages back to the system. A pass over every certificate (the tray's
/// next expiry, a scheduler pass, the Certificates list) frees what it read, but glibc keeps the
/// freed pages mapped between live allocations: 67 MB of this process after start with 10,000
/// certificates, up to 26 MB more each time the list is shown. Called after those passes; it
/// takes about 10 ms on a 130 MB heap.
pub fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes the allocator's own locks and only returns free pages
        // to the kernel; it is safe to call from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}
