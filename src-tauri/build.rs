//! Builds the page (`ui/`, TypeScript through Vite) so that a plain `cargo build` works from a
//! fresh clone, builds the Tauri context from the top-level `tauri.conf.json`, and declares the
//! app's commands so that the capability file can grant exactly these (`allow-<command>`).

use std::path::Path;
use std::process::Command;

// `with_commands!`: the one list of the app's commands, which `src/lib.rs` expands too.
include!("src/command_list.rs");

/// Every command, for the capability file (`allow-<command>`).
const COMMANDS: &[&str] = with_commands!(command_names);

/// Runs `npm <args>` in `ui/`, failing the build with npm's own message.
fn npm(ui: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(ui).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("`npm {}` in ui/ failed ({s})", args.join(" ")),
        Err(e) => panic!(
            "cannot run npm ({e}): the app's page is built with Node.js and npm (Debian: nodejs npm)"
        ),
    }
}

/// Builds `ui/dist`, which `generate_context!` embeds into the binary.
fn build_ui() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    for input in [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", ui.join(input).display());
    }
    if !ui.join("node_modules").is_dir() {
        npm(&ui, &["ci", "--no-audit", "--no-fund"]);
    }
    // Regenerating the page's bindings (tests/bindings.rs) builds the app while they are stale,
    // which the page's type check would refuse: then the page is only bundled, and the next
    // build checks it against the new bindings.
    println!("cargo:rerun-if-env-changed={REGENERATE_BINDINGS}");
    let script = if std::env::var_os(REGENERATE_BINDINGS).is_some() {
        "bundle"
    } else {
        "build"
    };
    npm(&ui, &["run", script, "--silent"]);
}

/// Set while `tests/bindings.rs` writes `ui/src/bindings.ts` anew.
const REGENERATE_BINDINGS: &str = "UPDATE_BINDINGS";

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    build_ui();
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
