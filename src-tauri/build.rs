//! Builds the page (`ui/`, TypeScript through Vite) so that a plain `cargo build` works from a
//! fresh clone, builds the Tauri context from the top-level `tauri.conf.json`, and declares the
//! app's commands so that the capability file can grant exactly these (`allow-<command>`).

use std::path::Path;
use std::process::Command;

/// Keep in step with `invoke_handler` in `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "app_info",
    "choose_data_dir",
    "restart",
    "autostart_enabled",
    "set_autostart",
    "accounts",
    "ca_terms",
    "register_account",
    "import_account",
    "update_account_email",
    "export_account_key",
    "delete_account",
    "deactivate_account",
    "dns_providers",
    "dns_accounts",
    "save_dns_account",
    "delete_dns_account",
    "set_dns_account_enabled",
    "test_dns_account",
    "assign_dns",
    "deploy_kinds",
    "deployments",
    "save_deployment",
    "delete_deployment",
    "test_deployment",
    "deploy_now",
    "set_deploy",
    "check_names",
    "create_request",
    "requests",
    "request",
    "verify",
    "new_challenge",
    "save_request",
    "set_fallback",
    "certs",
    "cert_details",
    "history",
    "export_cert",
    "renew",
    "renew_due",
    "renewal_health",
    "revoke",
    "delete_cert",
    "damaged",
    "settings",
    "save_settings",
    "send_test_mail",
    "mail_cert",
    "agents",
    "agent_fingerprint",
    "pair_agent",
    "remove_agent",
    "agent_package",
    "agent_examples",
];

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
    npm(&ui, &["run", "build", "--silent"]);
}

fn main() {
    build_ui();
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
