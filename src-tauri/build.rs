//! Builds the page (`ui/`, TypeScript through Vite) so that a plain `cargo build` works from a
//! fresh clone, builds the Tauri context from the top-level `tauri.conf.json`, declares the
//! app's commands and writes the window's capability file, which grants exactly these
//! (`allow-<command>`): a command added to the list is permitted with no second list to keep.

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

/// What the window may do besides certdesk's own commands: hear the app's events, and the
/// file dialogs.
const GRANTED: &[&str] = &[
    "core:event:allow-listen",
    "core:event:allow-unlisten",
    "dialog:allow-open",
    "dialog:allow-save",
];

/// Writes `capabilities/main-window.json` (not checked in) from the command list, before
/// `tauri_build` reads it; unchanged contents are not written again, so nothing rebuilds.
fn write_capability() {
    let permissions: Vec<String> = GRANTED
        .iter()
        .map(|p| p.to_string())
        .chain(
            COMMANDS
                .iter()
                .map(|c| format!("allow-{}", c.replace('_', "-"))),
        )
        .collect();
    let quoted: Vec<String> = permissions.iter().map(|p| format!("    \"{p}\"")).collect();
    let json = format!(
        "{{\n  \"$schema\": \"../gen/schemas/desktop-schema.json\",\n  \"identifier\": \"main-window\",\n  \
         \"description\": \"The main window: certdesk's own commands, events from the app, and the \
         open/save file dialogs. Nothing else. Written by build.rs from src/command_list.rs.\",\n  \
         \"windows\": [\"main\"],\n  \"permissions\": [\n{}\n  ]\n}}\n",
        quoted.join(",\n")
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
    let path = dir.join("main-window.json");
    if std::fs::read_to_string(&path).ok().as_deref() == Some(json.as_str()) {
        return;
    }
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, json)) {
        panic!("cannot write {}: {e}", path.display());
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    build_ui();
    write_capability();
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
