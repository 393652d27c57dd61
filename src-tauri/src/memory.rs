//! Idle memory. On Linux the window is three processes: this one, WebKitGTK's WebKitWebProcess
//! (the page) and its WebKitNetworkProcess; `bench/app.sh` sums their resident memory. In the
//! tray certdesk is one process that never made a webview (`handoff.rs`): a process that has
//! shown the page keeps WebKit's state and its network process after the window closes
//! (226–239 MB RSS with 10,000 certificates when the window's process stayed in the tray).
//!
//! Measured with `bench/app.sh --memory` (release build, 10,000 certificates, 5 s idle, medians
//! of 3 runs, WebKitGTK 2.50 under Xvfb; 2026-12-03):
//! - in the tray, window closed: 119 MB RSS, 109 MB PSS, 57 MB anonymous: one process, no WebKit
//!   process (started with `--tray`: 120 MB RSS). The goal is 120 MB: met, with the tray's store
//!   cache and malloc arenas below (125 MB RSS without them);
//! - window open: 474 MB RSS, 300 MB PSS over this process, the web process and the network
//!   process; WebKitGTK's floor, MiniBrowser with a one-line page, measured beside it: 353 MB
//!   RSS, 186 MB PSS. The window is 34 % above the floor (the goal is 15 %).
//!
//! Where the 34 % goes (2026-12-04, same build, 6 s idle): with an empty data folder the window
//! is 407 MB RSS, 13 % above the floor; this process is then 172 MB RSS with 34 MB anonymous,
//! the page's web process 175 MB. The 10,000 certificates add 70 MB of anonymous memory here,
//! and heaptrack names it: sled's cache of the nodes that the start's passes read (the
//! Overview's counts and renewal health, the tray's next expiry read every certificate,
//! request and renewal state). sled 0.34 evicts only after 64 accesses to one of its 256
//! shards, so a repository read once is kept whole whatever the cache's capacity: 1 MiB,
//! 32 MiB and 1 GiB measured the same. Meeting the goal needs the passes to read small
//! records: the list's and the scheduler's views of a certificate stored apart from its
//! versions (PEM chains, sealed keys) and its request.
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
